"""The pipeline every transport feeds: one event at a time, one transaction per message.

Console, replay and WeChat all call `on_event`; timed work (deadlines, the
acknowledgement window) runs in `advance(now)`, which replays call with
transcript time and live transports call from a ticker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.app.acks import AckBatcher
from bot.app.context import Context, Deferred
from bot.app.groups import resolve_group
from bot.app.jobs import run_job
from bot.app.router import Dispatcher
from bot.clock import Clock
from bot.domain.lifecycle import close_campaign
from bot.domain.orderbook import catalog_of
from bot.domain.services import Services
from bot.models import Event, MemberJoined, Message, Outgoing, RoomSeen, Tick
from bot.parsing.textnorm import nfkc, own_words
from handlers import (
    admins,
    campaigns,
    checks,
    exports,
    help,
    members,
    ordering,
    owner,
    payments,
    pickup,
    plans,
    qa,
    scripts,
    stats,
)
from storage.db import NothingChanged

log = logging.getLogger("bot.app.pipeline")

Send = Callable[[Outgoing], Awaitable[None]]


def build_dispatcher() -> Dispatcher:
    # Matchers run by their own priorities; routers are listed in the order /帮助 shows their commands.
    dispatcher = Dispatcher(resolve_group)
    dispatcher.include(help.router, campaigns.router, pickup.router, payments.router, stats.router, exports.router,
                       plans.router, scripts.router, qa.router, admins.router, owner.router, checks.router,
                       members.router, ordering.router)
    return dispatcher


class App:
    def __init__(self, svc: Services, clock: Clock, send: Send, *, wait_for_background: bool = False) -> None:
        """`wait_for_background`: finish deferred work (an export) before the next event, so a replay
        or a test prints it in transcript order; live, it runs alongside the next messages."""
        self.svc = svc
        self.clock = clock
        self._send = send
        self.dispatcher = build_dispatcher()
        self.acks = AckBatcher(svc.templates, svc.settings.ack_window)
        self._next_deadline: datetime | None = None
        self._next_job: datetime | None = None
        self._due_known = False
        self._timed = asyncio.Lock()
        self.wait_for_background = wait_for_background
        self._background: set[asyncio.Task[None]] = set()

    # -- inbound -------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        if self.wait_for_background:
            await self.finish_background()
        ts = getattr(event, "ts", None)
        if ts is not None:
            # Work due before this event runs first, stamped with its own time.
            await self.advance(ts)
            self.clock.observe(ts)
        if isinstance(event, Message):
            await self._on_message(event)
        elif isinstance(event, RoomSeen):
            await self._on_room(event)
        elif isinstance(event, MemberJoined):
            await self._on_join(event)
        elif isinstance(event, Tick):
            pass

    async def _on_join(self, event: MemberJoined) -> None:
        async with self.svc.db.transaction():
            await self.svc.rooms.remember_member(event.room_id, event.member.id, event.member.name)
            campaign = await self.svc.campaigns.open_in(event.room_id)
            products = await self.svc.campaigns.products(campaign.id) if campaign else []
        if campaign is None or not products:
            return
        text = self.svc.templates.render("welcome", event.room_id, campaign=campaign,
                                         example=f"{products[0].name}1{products[0].unit or '份'}")
        # Gathered like acknowledgements: twenty people joining is one greeting.
        self.acks.add(event.room_id, event.member.id, event.member.name, text, event.ts)

    async def _on_room(self, event: RoomSeen) -> None:
        room = event.room
        async with self.svc.db.transaction():
            await self.svc.rooms.upsert_room(room.id, room.topic, room.owner_id)
            for member in room.members:
                await self.svc.rooms.remember_member(room.id, member.id, member.name)

    async def _on_message(self, msg: Message) -> None:
        if len(msg.text) > self.svc.settings.max_message_chars:
            log.warning("message %s ignored: %d characters is over the limit", msg.id, len(msg.text))
            await self._too_long(msg)
            return
        try:
            ctx = await self._handle(msg)
        except Exception:
            # One bad message must not stop the bot; its effects were rolled back.
            log.exception("message %s from %s failed and changed nothing", msg.id, msg.sender.id)
            return
        if ctx is None:
            return
        for change in ctx.after_commit:
            change()
        for out in ctx.replies:
            await self._post(out)
        for ack in ctx.acks:
            self.acks.add(ack.room_id, ack.member_id, ack.name, ack.text, self.clock.now(), urgent=ack.urgent)
        # A message that filled a batch sends it now, not at the next tick (checked for its groups
        # only: the cost of a message must not grow with the number of groups).
        now = self.clock.now()
        if any(self.acks.due_by(room, now) for room in {a.room_id for a in ctx.acks}):
            for _, out in self.acks.take_due(now):
                await self._post(out)
        for work in ctx.deferred:
            self._run_in_background(work, msg)
        if ctx.deadlines_changed:
            self._due_known = False

    async def _too_long(self, msg: Message) -> None:
        """A message over the length limit is never read; when it names a product of the
        group's open campaign it was probably an order, and she is told rather than
        left to think it was booked. Only its ends are looked at: reading it whole is
        what the limit prevents."""
        if msg.room_id is None:
            return
        try:
            async with self.svc.db.transaction():
                self.svc.orders.claim(msg.id, msg.ts)
                campaign = await self.svc.campaigns.open_in(msg.room_id)
                if campaign is None:
                    return
                products = await self.svc.campaigns.products(campaign.id)
                ends = nfkc(msg.text[:2000] + "\n" + msg.text[-2000:]).lower()
                if not catalog_of(products).find(ends):
                    return
        except NothingChanged:
            return
        limit = self.svc.settings.max_message_chars
        self.acks.add(msg.room_id, msg.sender.id, msg.sender.name,
                      f"这条消息超过{limit}字，没有读取，订单没有记录。请只发自己的一行，或分几条发", self.clock.now())

    def _run_in_background(self, work: Deferred, msg: Message) -> None:
        async def run() -> None:
            try:
                outs = await work()
            except Exception:
                log.exception("background work for message %s failed", msg.id)
                outs = [Outgoing(text="抱歉，这次没有做成，请稍后再试。", to=msg.sender.id)]
            for out in outs:
                await self._post(out)

        task = asyncio.ensure_future(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def finish_background(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background))

    async def _handle(self, msg: Message) -> Context | None:
        svc = self.svc
        try:
            async with svc.db.transaction():
                # Checked when the transaction reaches the database, with its effects:
                # a re-delivered message rolls back whatever it would have done.
                svc.orders.claim(msg.id, msg.ts)
                is_admin = False
                if msg.room_id is not None:
                    await svc.rooms.remember_member(msg.room_id, msg.sender.id, msg.sender.name)
                    is_admin = await svc.rooms.is_admin(msg.room_id, msg.sender.id)
                ctx = Context(msg=msg, text=own_words(msg.text), svc=svc, is_admin=is_admin, now=msg.ts,
                              dispatcher=self.dispatcher)
                await self.dispatcher.dispatch(ctx)
        except NothingChanged:
            log.info("message %s was already handled; ignored", msg.id)
            return None
        return ctx

    # -- timed work ------------------------------------------------------------

    async def _next_due(self) -> tuple[datetime | None, datetime | None]:
        """The next deadline and the next scheduled job, cached until something changes."""
        if not self._due_known:
            open_ = await self.svc.campaigns.due(datetime.max.replace(tzinfo=self.clock.tz))
            self._next_deadline = min((c.close_at for c in open_ if c.close_at), default=None)
            job = await self.svc.schedules.next_pending()
            self._next_job = job.run_at if job else None
            self._due_known = True
        return self._next_deadline, self._next_job

    async def advance(self, now: datetime) -> None:
        """Runs everything due by `now`, in time order, each stamped with its own time.

        Lateness is measured against the clock as it was when called: live, the
        wall clock (after downtime, stale posts are skipped); in a replay, the
        previous event's time, so transcript time passing is never lateness."""
        reference = self.clock.now()
        # Live, the ticker and incoming messages both call this: one at a time,
        # or both would read the same due job and post it twice.
        async with self._timed:
            while True:
                deadline, job_at = await self._next_due()
                ack_due = self.acks.next_due()
                candidates = [t for t in (deadline, job_at, ack_due) if t is not None and t <= now]
                if not candidates:
                    return
                first = min(candidates)
                self.clock.observe(first)
                if deadline is not None and deadline == first:
                    await self._close_due(first)
                elif job_at is not None and job_at == first:
                    await self._run_jobs(first, reference)
                else:
                    for _, out in self.acks.take_due(first):
                        await self._post(out)

    async def _close_due(self, now: datetime) -> None:
        notices: list[Outgoing] = []
        async with self.svc.db.transaction():
            for campaign in await self.svc.campaigns.due(now):
                notices.extend(await close_campaign(self.svc, campaign, campaign.close_at or now))
        self._due_known = False
        for notice in notices:
            await self._post(notice)

    async def _run_jobs(self, now: datetime, reference: datetime) -> None:
        for job in await self.svc.schedules.due(now):
            try:
                async with self.svc.db.transaction():
                    posts = await run_job(self.svc, job, now, reference - job.run_at)
            except Exception:
                # Rolled back; marked failed so it is not retried forever.
                log.exception("schedule #%s (%s) failed", job.id, job.kind)
                async with self.svc.db.transaction():
                    await self.svc.schedules.finish(job.id, "failed", "error, see log")
                posts = []
            for out in posts:
                await self._post(out)
        self._due_known = False

    async def drain(self) -> None:
        """Sends every gathered acknowledgement now (end of a replay, shutdown), after deferred work."""
        await self.finish_background()
        for due, out in self.acks.take_due(None):
            self.clock.observe(due)
            await self._post(out)

    async def _post(self, out: Outgoing) -> None:
        try:
            await self._send(out)
        except Exception:
            log.exception("sending to %s failed", out.room_id or out.to)
