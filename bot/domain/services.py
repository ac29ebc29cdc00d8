"""The services a message or a job works with: the repositories, the order book, the templates, the settings."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.orderbook import OrderBook
from bot.render.templates import CampaignShown, Templates
from storage.book import BookRepo
from storage.campaigns import CampaignRepo
from storage.db import Database
from storage.fulfilment import FulfilmentRepo
from storage.hype import HypeRepo
from storage.orders import OrderRepo
from storage.owner_prefs import OwnerPrefsRepo
from storage.qa import QaRepo
from storage.records import Campaign
from storage.rooms import RoomRepo
from storage.schedules import ScheduleRepo, TemplateRepo
from storage.web.access import WebAccessRepo


@dataclass(frozen=True)
class Settings:
    ack_window: timedelta = timedelta(seconds=3)
    max_message_chars: int = 20_000
    max_qty: int = 99
    merged_list_every: timedelta = timedelta(minutes=3)
    # The "last 30 minutes" nudge before a deadline.
    reminder_before: timedelta = timedelta(minutes=30)
    # After downtime a post late by less than this still goes out; older ones
    # are skipped, so a restart never bursts stale hype into the group.
    grace: timedelta = timedelta(minutes=10)
    # The same answer is posted in full at most once in this long per group;
    # repeats are gathered for this long into one pointer to it.
    answer_repeat: timedelta = timedelta(minutes=10)
    repeat_gather: timedelta = timedelta(minutes=1)
    # Unanswered questions reach the owner at most once in this long per group.
    forward_every: timedelta = timedelta(minutes=5)
    # Where /导出 keeps the workbooks it sends (beside the database when run by bot.py).
    export_dir: Path = Path("data") / "exports"
    # The web page's address as a phone opens it (--web-url, or http://HOST:PORT from --web); None: no page.
    web_url: str | None = None


@dataclass
class Services:
    db: Database
    rooms: RoomRepo
    campaigns: CampaignRepo
    orders: OrderRepo
    book: OrderBook
    templates: Templates
    settings: Settings
    schedules: ScheduleRepo
    owner_templates: TemplateRepo
    fulfilment: FulfilmentRepo
    owner_prefs: OwnerPrefsRepo
    qa: QaRepo
    hype: HypeRepo
    history: BookRepo  # the whole book read at once: reports and statistics
    web: WebAccessRepo
    # When the merged 接龙 was last posted, per campaign: a fork of many copies
    # gets one merged list, not one per copy. Losing this on restart costs at
    # most one extra post.
    merged_posted: dict[int, datetime] = field(default_factory=dict)

    @classmethod
    def build(cls, db: Database, settings: Settings, templates: Templates | None = None) -> Services:
        campaigns = CampaignRepo(db)
        orders = OrderRepo(db)
        rooms = RoomRepo(db)
        return cls(db=db, rooms=rooms, campaigns=campaigns, orders=orders,
                   book=OrderBook(orders, rooms, max_qty=settings.max_qty), templates=templates or Templates(),
                   settings=settings, schedules=ScheduleRepo(db), owner_templates=TemplateRepo(db),
                   fulfilment=FulfilmentRepo(db), owner_prefs=OwnerPrefsRepo(db), qa=QaRepo(db), hype=HypeRepo(db),
                   history=BookRepo(db), web=WebAccessRepo(db))

    async def load_owner_templates(self) -> None:
        for room_id, kind, text in await self.owner_templates.all():
            self.templates.set_override(room_id, kind, text)

    async def render(self, kind: str, room_id: str | None = None, *, fallback: bool = True, **context: Any) -> str:
        """`Templates.render`, with what a template may show of its campaign worked out now:
        `campaign.live_lines` is counted only for a template that names it."""
        campaign = context.get("campaign")
        if isinstance(campaign, Campaign) and self.templates.mentions(room_id, kind, "live_lines"):
            facts = {f.name: getattr(campaign, f.name) for f in fields(Campaign)}
            context["campaign"] = CampaignShown(**facts, live_lines=await self.orders.live_count(campaign.id))
        return self.templates.render(kind, room_id, fallback=fallback, **context)
