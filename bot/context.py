"""What a handler gets: the message, the services, and a place for its replies.

Replies and acknowledgements are only collected here; the app sends them after
the message's transaction commits, so nothing is ever said about an order that
is not in the book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.models import Message, Outgoing
from bot.orderbook import OrderBook
from bot.templates import Templates
from storage.campaigns import CampaignRepo
from storage.db import Database
from storage.orders import OrderRepo
from storage.rooms import RoomRepo


@dataclass(frozen=True)
class Settings:
    ack_window: timedelta = timedelta(seconds=3)
    max_message_chars: int = 20_000
    max_qty: int = 99
    merged_list_every: timedelta = timedelta(minutes=3)


@dataclass
class Services:
    db: Database
    rooms: RoomRepo
    campaigns: CampaignRepo
    orders: OrderRepo
    book: OrderBook
    templates: Templates
    settings: Settings
    # When the merged 接龙 was last posted, per campaign: a fork of many copies
    # gets one merged list, not one per copy. Losing this on restart costs at
    # most one extra post.
    merged_posted: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def build(cls, db: Database, settings: Settings, templates: Templates | None = None) -> Services:
        orders = OrderRepo(db)
        return cls(db=db, rooms=RoomRepo(db), campaigns=CampaignRepo(db), orders=orders,
                   book=OrderBook(orders, max_qty=settings.max_qty), templates=templates or Templates(),
                   settings=settings)


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
    acks: list[Ack] = field(default_factory=list)
    # Set when the campaign set of a room changed, so the app re-reads deadlines.
    deadlines_changed: bool = False

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

    def ack(self, member_id: str, name: str, text: str) -> None:
        self.acks.append(Ack(self.room_id, member_id, name, text))
