"""What a handler gets: the message, the services, and a place for its replies.

Replies and acknowledgements are only collected here; the app sends them after
the message's transaction commits, so nothing is ever said about an order that
is not in the book.

Who hears what:
- `ctx.reply(text)` answers the sender: where she wrote, or privately when the
  command answers the owner (`answer_private`, set by the router for owner
  commands, so their money, debts and schedules never reach a group);
- `ctx.reply_private(text)` answers her privately, wherever she wrote;
- `ctx.post(text)` posts to the group the message is about, for the members;
- `await ctx.tell_owner(room_id, text)` tells a group's owner privately (`alert_owner`: at most
  once every few minutes for the same trouble);
- `ctx.ack(...)` queues a gathered acknowledgement in the group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.scope import Scope, nobody
from bot.domain.services import Services
from bot.models import Message, Outgoing

if TYPE_CHECKING:
    from bot.app.router import Dispatcher

# Work done after the commit, off the message pipeline (building a workbook);
# what it returns is sent when it is done.
Deferred = Callable[[], Awaitable[list[Outgoing]]]


@dataclass(frozen=True)
class Ack:
    room_id: str
    member_id: str
    name: str
    text: str
    # Waitlisted, refused after the close, or sent to the owner: the member must
    # learn it soon, so it shortens the wait for everyone in its batch.
    urgent: bool = False


@dataclass
class Context:
    msg: Message
    text: str  # the member's own words (a quoted part removed)
    svc: Services
    is_admin: bool
    now: datetime
    replies: list[Outgoing] = field(default_factory=list)
    # What delivering a reply means (an outbox `on_sent`), by its index in `replies`.
    on_sent: dict[int, str] = field(default_factory=dict)
    acks: list[Ack] = field(default_factory=list)
    # The group the message is about: where it was written or, for an owner's
    # private command, the group she picked. None for other private messages.
    group_id: str | None = None
    # Set by the router for owner commands: `reply` goes to the sender's private chat.
    answer_private: bool = False
    # Set when deadlines or schedules changed, so the app re-reads what is due next.
    deadlines_changed: bool = False
    # Changes to the bot's memory that must follow the database: run once the
    # message's transaction has committed, never for one that rolled back.
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)
    # The commands the app knows, for /帮助.
    dispatcher: Dispatcher | None = None
    # Who she is in the business the message touches, resolved before any command runs
    # (bot/app/scope.py); a member's scope, with no group to act on, until then.
    scope: Scope = field(init=False)

    def __post_init__(self) -> None:
        if self.group_id is None:
            self.group_id = self.msg.room_id
        self.scope = nobody(self.msg.sender.id, self.msg.room_id)

    @property
    def room_id(self) -> str:
        assert self.group_id is not None, "this handler needs a group"
        return self.group_id

    @property
    def private(self) -> bool:
        """Written in a private chat with the bot."""
        return self.msg.room_id is None

    def reply(self, text: str, *, mention_sender: bool = False, mentions: tuple[str, ...] = ()) -> None:
        if self.msg.room_id is None or self.answer_private:
            self.reply_private(text)
            return
        if mention_sender:
            text = f"@{self.msg.sender.name} {text}"
            mentions = (self.msg.sender.id, *mentions)
        self.replies.append(Outgoing(text=text, room_id=self.msg.room_id, mentions=mentions))

    def send(self, out: Outgoing, on_sent: str | None = None) -> None:
        """Says `out`; `on_sent` (see storage/outbox.py) is applied when it is delivered, not when queued."""
        if on_sent is not None:
            self.on_sent[len(self.replies)] = on_sent
        self.replies.append(out)

    def reply_private(self, text: str) -> None:
        """Says `text` to the sender in her private chat with the bot, wherever she wrote.

        Owner-only information (money, commission, debts, statistics, schedules)
        goes this way even when the command was typed in a group."""
        self.replies.append(Outgoing(text=text, to=self.msg.sender.id))

    def post(self, text: str, *, mentions: tuple[str, ...] = ()) -> None:
        """Posts `text` in the group the message is about, for its members (also from a private command)."""
        self.replies.append(Outgoing(text=text, room_id=self.room_id, mentions=mentions))

    async def tell_owner(self, room_id: str, text: str) -> None:
        """Says `text` privately to the group's owner (alerts, the check list, questions nobody answered)."""
        owner = await self.svc.rooms.owner(room_id)
        if owner is not None:
            self.replies.append(Outgoing(text=text, to=owner))

    async def alert_owner(self, room_id: str, topic: str, text: str, *,
                          every: timedelta = timedelta(minutes=5)) -> None:
        """Tells the group's owner privately, at most once every `every` for the same group and topic:
        trouble a hostile member can repeat at will must not flood her chat."""
        last = self.svc.owner_alerted.get((room_id, topic))
        if last is not None and timedelta() <= self.now - last < every:
            return
        await self.tell_owner(room_id, text)
        alerted, now = self.svc.owner_alerted, self.now
        self.after_commit.append(lambda: alerted.__setitem__((room_id, topic), now))

    def ack(self, member_id: str, name: str, text: str, *, urgent: bool = False) -> None:
        self.acks.append(Ack(self.room_id, member_id, name, text, urgent))

    def defer(self, work: Deferred) -> None:
        """Runs `work` after the commit without holding up other messages; sends what it returns."""
        self.deferred.append(work)
