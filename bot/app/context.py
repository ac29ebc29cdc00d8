"""What a handler gets: the message, the services, and a place for its replies.

Replies and acknowledgements are only collected here; the app sends them after
the message's transaction commits, so nothing is ever said about an order that
is not in the book.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.services import Services
from bot.models import Message, Outgoing


@dataclass(frozen=True)
class Ack:
    room_id: str
    member_id: str
    name: str
    text: str


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
    # Set when deadlines or schedules changed, so the app re-reads what is due next.
    deadlines_changed: bool = False
    # Changes to the bot's memory that must follow the database: run once the
    # message's transaction has committed, never for one that rolled back.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def room_id(self) -> str:
        assert self.msg.room_id is not None
        return self.msg.room_id

    def reply(self, text: str, *, mention_sender: bool = False, mentions: tuple[str, ...] = ()) -> None:
        if mention_sender:
            text = f"@{self.msg.sender.name} {text}"
            mentions = (self.msg.sender.id, *mentions)
        if self.msg.room_id is None:
            self.replies.append(Outgoing(text=text, to=self.msg.sender.id))
        else:
            self.replies.append(Outgoing(text=text, room_id=self.msg.room_id, mentions=mentions))

    def post(self, out: Outgoing, on_sent: str | None = None) -> None:
        """Says `out`; `on_sent` (see storage/outbox.py) is applied when it is delivered, not when queued."""
        if on_sent is not None:
            self.on_sent[len(self.replies)] = on_sent
        self.replies.append(out)

    def reply_private(self, text: str) -> None:
        """Says `text` to the sender in her private chat with the bot, wherever she wrote.

        Owner-only information (money, commission, debts, statistics, schedules)
        goes this way even when the command was typed in a group."""
        self.replies.append(Outgoing(text=text, to=self.msg.sender.id))

    async def tell_owner(self, room_id: str, text: str) -> None:
        """Says `text` privately to the group's owner (alerts, the check list, questions nobody answered)."""
        owner = await self.svc.rooms.owner(room_id)
        if owner is not None:
            self.replies.append(Outgoing(text=text, to=owner))

    def ack(self, member_id: str, name: str, text: str) -> None:
        self.acks.append(Ack(self.room_id, member_id, name, text))
