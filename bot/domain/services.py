"""The services a message or a job works with: the repositories, the order book, the templates, the settings."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.orderbook import OrderBook
from bot.render.templates import CampaignShown, Templates
from storage.aftersales import AfterSalesRepo
from storage.book import BookRepo
from storage.campaigns import CampaignRepo
from storage.db import Database
from storage.fulfilment import FulfilmentRepo
from storage.hype import HypeRepo
from storage.orders import OrderRepo, QuestionRepo
from storage.owner_prefs import OwnerPrefsRepo
from storage.qa import QaRepo
from storage.records import Campaign
from storage.rooms import RoomRepo
from storage.schedules import ScheduleRepo, TemplateRepo
from storage.web.access import WebAccessRepo


@dataclass(frozen=True)
class Settings:
    # A lone order in a group the bot has been quiet in is confirmed after this much quiet (--ack-window);
    # otherwise acknowledgements gather, and a member hears hers within `ack_within` (bot/app/ack_window.py).
    ack_window: timedelta = timedelta(seconds=3)
    ack_within: timedelta = timedelta(seconds=290)
    max_message_chars: int = 20_000
    max_qty: int = 99
    # When copies fork, the merged 接龙 is said only while the fork lasts: in the next gathered acknowledgement
    # once it has lasted `merged_list_after`, alone after `merged_list_alone`, a wait that doubles for each list
    # posted within `merged_list_alone_max` before, up to that (bot/domain/conversation/merged_list.py).
    merged_list_after: timedelta = timedelta(minutes=3)
    merged_list_alone: timedelta = timedelta(minutes=10)
    merged_list_alone_max: timedelta = timedelta(hours=1)
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
    # A question to a member about her order (bot/domain/conversation/questions.py) waits this long
    # for her answer before it goes to the owner's check list; and it goes there this long before
    # the close, or at the close when it was asked later than that less `question_least_wait`.
    question_wait: timedelta = timedelta(minutes=30)
    question_before_close: timedelta = timedelta(minutes=10)
    question_least_wait: timedelta = timedelta(minutes=3)
    # Where /导出 keeps the workbooks it sends; None: an exports/ folder beside the database. Never a
    # folder relative to wherever the process runs: tests run in the project folder, beside a real data/.
    export_dir: Path | None = None
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
    questions: QuestionRepo  # open questions to members about their orders
    aftersales: AfterSalesRepo  # 缺货, 售后 and the refund ledger
    web: WebAccessRepo
    # When a group's owner was last told of a kind of trouble (a broken native list, a failing
    # command): at most one alert per kind in a few minutes. Losing it on restart costs one alert.
    owner_alerted: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @classmethod
    def build(cls, db: Database, settings: Settings, templates: Templates | None = None) -> Services:
        campaigns = CampaignRepo(db)
        orders = OrderRepo(db)
        rooms = RoomRepo(db)
        return cls(db=db, rooms=rooms, campaigns=campaigns, orders=orders,
                   book=OrderBook(orders, rooms, max_qty=settings.max_qty), templates=templates or Templates(),
                   settings=settings, schedules=ScheduleRepo(db), owner_templates=TemplateRepo(db),
                   fulfilment=FulfilmentRepo(db), owner_prefs=OwnerPrefsRepo(db), qa=QaRepo(db), hype=HypeRepo(db),
                   history=BookRepo(db), questions=QuestionRepo(db), aftersales=AfterSalesRepo(db),
                   web=WebAccessRepo(db))

    def export_folder(self) -> Path:
        """Where /导出 writes: the setting, else exports/ beside the database (a temporary folder for
        an in-memory one)."""
        if self.settings.export_dir is not None:
            return self.settings.export_dir
        if self.db.path == ":memory:":
            return Path(tempfile.gettempdir()) / "jielong-bot-exports"
        return Path(self.db.path).parent / "exports"

    async def load_owner_templates(self) -> None:
        for room_id, kind, text, broken in await self.owner_templates.all():
            self.templates.set_override(room_id, kind, text, broken)

    async def render(self, kind: str, room_id: str | None = None, **context: Any) -> str:
        """`Templates.render`, with what a template may show of its campaign worked out now:
        `campaign.live_lines` is counted only for a template that names it."""
        campaign = context.get("campaign")
        if isinstance(campaign, Campaign) and self.templates.mentions(room_id, kind, "live_lines"):
            facts = {f.name: getattr(campaign, f.name) for f in fields(Campaign)}
            context["campaign"] = CampaignShown(**facts, live_lines=await self.orders.live_count(campaign.id))
        return await self.templates.arender(kind, room_id, **context)
