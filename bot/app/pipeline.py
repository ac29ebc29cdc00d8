"""The pipeline every transport feeds: one event at a time, one transaction per message.

Console, replay and WeChat all call `on_event`; timed work (deadlines, the
acknowledgement window) runs in `advance(now)`, which replays call with
transcript time and live transports call from a ticker.

Whatever the bot will say is written to the outbox table in the transaction
of the change that caused it (and acknowledgements being gathered to
`ack_pending`), then handed to the sender after the commit: the outbound
queue (live), or the transport directly (console, replay), which marks each
row delivered. A crash loses nothing said: `start` resumes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

from bot.app.ack_window import AckWindow
from bot.app.acks import AckBatcher
from bot.app.context import Context, Deferred
from bot.app.delivery import OutboxJournal
from bot.app.faults import HandlerFaults, StorageAlarm, is_storage_fault, storable, storable_message, storable_room
from bot.app.jobs import label, run_job
from bot.app.middleware import Next, Queued, Turn, chain, claim, sender, unit_of_work
from bot.app.outbox import OutboundQueue
from bot.app.router import Dispatcher
from bot.clock import Clock
from bot.domain.conversation.merged_list import ride_along
from bot.domain.lifecycle import close_campaign
from bot.domain.orderbook import catalog_of
from bot.domain.scope import scope_of
from bot.domain.services import Services
from bot.models import Event, Member, MemberJoined, Message, Outgoing, RoomSeen, SentSeen, Tick
from bot.parsing.textnorm import nfkc, own_words
from bot.render.templates import KINDS
from storage.db import NothingChanged, RowId
from storage.outbox import OutboxRepo, PendingAckRepo, schedule_delivered
from storage.records import Campaign

log = logging.getLogger("bot.app.pipeline")

Send = Callable[[Outgoing], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True)
class Acted(Generic[T]):
    """What an action from outside the chat did: the work's result and what it said to the person
    acting (her page shows it); `repeated`: the action id was done before, so nothing was done now."""

    result: T | None
    said: tuple[str, ...]
    repeated: bool = False


class _Known(RowId):
    """The id of a row read back from the table (not one being inserted)."""

    def __init__(self, value: int) -> None:
        super().__init__()
        self.fill(value)


class App:
    def __init__(self, svc: Services, clock: Clock, send: Send | OutboundQueue, dispatcher: Dispatcher, *,
                 wait_for_background: bool = False, resume: bool = False) -> None:
        """`send`: the outbound queue (it then sends from the outbox table, with a journal), or
        a plain send that delivers at once (console, replay, tests).

        `dispatcher`: the handlers' routers (bot/routers.py puts them together: the app knows
        no handler).

        `wait_for_background`: finish deferred work (an export) before the next event, so a replay
        or a test prints it in transcript order; live, it runs alongside the next messages.

        `resume`: a live bot sending directly (the console) takes up at start what the last run
        left unsaid (with the outbound queue that is always done)."""
        self.svc = svc
        self.clock = clock
        self.dispatcher = dispatcher
        self.acks = AckBatcher(svc.templates, AckWindow.of(svc.settings.ack_window, svc.settings.ack_within))
        self.outbox = OutboxRepo(svc.db)
        self.pending_acks = PendingAckRepo(svc.db)
        self.queue: OutboundQueue | None = None
        self._send: Send
        if isinstance(send, OutboundQueue):
            self.queue = send
            send.journal = OutboxJournal(svc, self.outbox, clock, send)
            self._send = send.post
        else:
            self._send = send
        self.alarm = StorageAlarm(svc, clock, self._post)
        self.mishaps = HandlerFaults(svc, clock, self._say)
        # Every message, outermost first: bot/app/middleware.py says what each step is for.
        self._per_message = chain([unit_of_work, claim, sender, self._said], self._dispatch)
        self._started = False
        self._took_acks = False  # the current message's transaction took due acknowledgements
        self._next_deadline: datetime | None = None
        self._next_job: datetime | None = None
        self._due_known = False
        self._timed = asyncio.Lock()
        self.wait_for_background = wait_for_background
        self._background: set[asyncio.Task[None]] = set()
        self._resume = resume
        self._closing = False
        # Told after every commit that may have changed the book, with the groups it touched and who
        # acted (the web page's live rows, its logins); a listener must be quick and never raise: it
        # runs on the message's path.
        self.listeners: list[Callable[[frozenset[str], str | None], None]] = []

    # -- start-up ------------------------------------------------------------

    async def start(self) -> None:
        """Resumes what the last run had still to say: gathered acknowledgements and unsent rows."""
        if self._started:
            return
        self._started = True
        if self.queue is None:
            if self._resume:
                await self._reload_acks()
                await self._deliver([(_Known(row.id), row.out, row.on_sent) for row in await self.outbox.unsent()])
            # A replay prints as it goes: restarted after a kill it carries on from the
            # transcript, and words of an earlier run printed now would carry the wrong time.
            return
        await self._reload_acks()
        assert isinstance(self.queue.journal, OutboxJournal)
        await self.queue.journal.resume()

    async def close(self, background: float) -> None:
        """Stopping: timed work in progress finishes its transaction and none starts after it.
        Gathered acknowledgements stay in ack_pending, going on at the next start: a stop never
        makes the bot say anything early. Deferred work (an export) gets `background` seconds;
        what is not done by then is cut off, with a log line (the owner asks again)."""
        self._closing = True
        async with self._timed:
            pass
        if self._background:
            _, late = await asyncio.wait(list(self._background), timeout=background)
            for task in late:
                log.warning("stopping: background work cut off (an export the owner must ask for again)")
                task.cancel()
            if late:
                await asyncio.wait(late)

    async def _reload_acks(self) -> None:
        for ack in await self.pending_acks.all():
            self.acks.restore(ack.room_id, ack.member_id, ack.name, ack.text, ack.since, ack.urgent_since)
            # A group with acknowledgements waiting was a busy one: a restart must not post them early.
            self.acks.spoke(ack.room_id, ack.since)

    # -- inbound -------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        await self.start()
        if self.wait_for_background:
            await self.finish_background()
        ts = getattr(event, "ts", None)
        if ts is not None:
            # Work due before this event runs first, stamped with its own time. Live,
            # a message's own transaction carries the acknowledgements due by then.
            await self.advance(ts, acks=not (self.queue is not None and isinstance(event, Message)))
            self.clock.observe(ts)
        if isinstance(event, Message):
            await self._on_message(event)
        elif isinstance(event, RoomSeen):
            await self._on_room(event)
        elif isinstance(event, MemberJoined):
            await self._on_join(event)
        elif isinstance(event, SentSeen):
            if self.queue is not None:
                self.queue.seen(event.out)
        elif isinstance(event, Tick):
            pass

    async def _on_join(self, event: MemberJoined) -> None:
        event = replace(event, member=Member(event.member.id, storable(event.member.name)))
        text = ""
        async with self.svc.db.transaction():
            await self.svc.rooms.remember_member(event.room_id, event.member.id, event.member.name)
            campaign = await self.svc.campaigns.open_in(event.room_id)
            products = await self.svc.campaigns.products(campaign.id) if campaign else []
            if campaign is not None and products:
                text = await self.svc.render("welcome", event.room_id, campaign=campaign,
                                                 example=f"{products[0].name}1{products[0].unit or '份'}")
                since, _ = self.acks.times(event.room_id, event.member.id, event.ts)
                self.pending_acks.put(event.room_id, event.member.id, event.member.name, text, since)
        if text:
            # Gathered like acknowledgements: twenty people joining is one greeting.
            self.acks.add(event.room_id, event.member.id, event.member.name, text, event.ts)

    async def _on_room(self, event: RoomSeen) -> None:
        room = storable_room(event.room)
        self.alarm.remember_owner(room.id, room.owner_id, room.topic)
        async with self.svc.db.transaction():
            await self.svc.rooms.upsert_room(room.id, room.topic, room.owner_id)
            for member in room.members:
                await self.svc.rooms.remember_member(room.id, member.id, member.name)

    async def _on_message(self, msg: Message) -> None:
        msg = storable_message(msg)
        if len(msg.text) > self.svc.settings.max_message_chars:
            log.warning("message %s ignored: %d characters is over the limit", msg.id, len(msg.text))
            await self._too_long(msg)
            return
        attempt: list[Turn] = []
        try:
            handled = await self._handle(msg, attempt)
        except Exception as exc:
            await self._put_back_acks()
            # One bad message must not stop the bot; its effects were rolled back.
            if is_storage_fault(exc):
                # Quiet only for a message that was handled to the end and asked for no answer (chatter).
                turn = attempt[0] if attempt else None
                answered = turn is None or not turn.dispatched or bool(turn.ctx.replies or turn.ctx.acks)
                await self.alarm.raised(msg, exc, answered=answered)
            else:
                # A bug or input nobody foresaw: she hears one short line, the owner an alert, rarely.
                await self.mishaps.raised(msg, exc)
            return
        self._took_acks = False
        await self.alarm.cleared()
        if handled is None:
            return
        ctx, queued = handled.ctx, handled.queued
        # Before any await: the acknowledgements in memory match what was committed
        # when the next transaction (a flush of the window) looks at them.
        for ack in ctx.acks:
            self.acks.add(ack.room_id, ack.member_id, ack.name, ack.text, self.clock.now(), urgent=ack.urgent)
        for change in ctx.after_commit:
            change()
        self._changed(ctx)
        await self._deliver(queued)
        # A message that filled a batch sends it now, not at the next tick (checked for its groups
        # only: the cost of a message must not grow with the number of groups).
        now = self.clock.now()
        if any(self.acks.due_by(room, now) for room in {a.room_id for a in ctx.acks}):
            await self._flush_acks(now)
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
                      f"这条消息超过{limit}字，没有读取，订单没有记录。请只发自己的一行，或分几条发", self.clock.now(),
                      urgent=True)

    def _run_in_background(self, work: Deferred, msg: Message) -> None:
        async def run() -> None:
            try:
                outs = await work()
            except Exception:
                log.exception("background work for message %s failed", msg.id)
                outs = [Outgoing(text="抱歉，这次没有做成，请稍后再试。", to=msg.sender.id)]
            await self._say(outs)

        task = asyncio.ensure_future(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _say(self, outs: list[Outgoing]) -> None:
        """Says `outs` through the outbox, in a transaction of their own (work done outside a message's)."""
        try:
            async with self.svc.db.transaction():
                queued = self._queue_rows(outs)
        except Exception:
            log.exception("could not queue %d message(s); sending them without the outbox", len(outs))
            for out in outs:
                await self._post(out)
            return
        await self._deliver(queued)

    def _changed(self, ctx: Context | None = None, rooms: frozenset[str] = frozenset()) -> None:
        """Tells the listeners; the groups touched are the one the work was about and those it spoke in."""
        if not self.listeners:
            return
        if ctx is not None:
            rooms = frozenset(r for r in (ctx.group_id, *(out.room_id for out in ctx.replies)) if r is not None)
        actor = ctx.msg.sender.id if ctx is not None else None
        for listener in self.listeners:
            listener(rooms, actor)

    # -- actions from outside the chat (the web page) --------------------------

    async def act(self, actor: Member, group_id: str, work: Callable[[Context], Awaitable[T]], *,
                  action_id: str) -> Acted[T]:
        """Runs `work` as `actor` on `group_id` the way a message runs a command: in one transaction
        with the app's other writers, claimed under `action_id` (a form sent twice does it once), and
        what it says goes to the outbox in that transaction and out after the commit, exactly as the
        command's would. What it says to `actor` privately comes back instead: she is looking at the
        page, and a tick per buyer must not become a WeChat message per buyer.

        `work` runs with `ctx.scope`, the actor's scope in that group's business by the chat's one rule
        (bot/domain/scope.py), and only when she is its staff: otherwise PermissionError, nothing
        done. `work` calls the same domain operations as the chat commands.

        The scope is read just before the transaction, not inside it: a tap's transaction then holds
        the one writer's lock for two trips (her pickup and the commit) rather than four, and
        messages queued behind it wait that much less."""
        await self.start()
        scope = await scope_of(self.svc.rooms, actor.id, group_id)
        if not scope.is_staff:
            raise PermissionError(f"{actor.id} may not act on {group_id}")
        now = self.clock.now()
        msg = Message(id=action_id, ts=now, sender=actor, text="", room_id=None)
        ctx = Context(msg=msg, text="", svc=self.svc, is_admin=True, now=now, dispatcher=self.dispatcher,
                      group_id=group_id, answer_private=True)
        turn = Turn(ctx)
        results: list[T] = []
        said: list[str] = []

        async def run(turn: Turn) -> None:
            turn.ctx.scope = scope
            results.append(await work(turn.ctx))
            turn.dispatched = True

        async def to_her(turn: Turn, call_next: Next) -> None:
            await call_next(turn)
            kept: list[Outgoing] = []
            effects: dict[int, str] = {}
            for i, out in enumerate(ctx.replies):
                if out.to == actor.id and out.room_id is None and out.file is None and i not in ctx.on_sent:
                    said.append(out.text)
                    continue
                if i in ctx.on_sent:
                    effects[len(kept)] = ctx.on_sent[i]
                kept.append(out)
            ctx.replies[:], ctx.on_sent = kept, effects

        try:
            await chain([unit_of_work, claim, self._said, to_her], run)(turn)
        except NothingChanged:
            await self._put_back_acks()
            return Acted(None, (), repeated=True)
        except Exception:
            await self._put_back_acks()
            raise
        self._took_acks = False
        for ack in ctx.acks:
            self.acks.add(ack.room_id, ack.member_id, ack.name, ack.text, self.clock.now(), urgent=ack.urgent)
        for change in ctx.after_commit:
            change()
        if ctx.deadlines_changed:
            self._due_known = False
        self._changed(ctx)
        await self._deliver(turn.queued)
        return Acted(results[0] if results else None, tuple(said))

    async def finish_background(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background))

    async def _handle(self, msg: Message, attempt: list[Turn]) -> Turn | None:
        ctx = Context(msg=msg, text=own_words(msg.text), svc=self.svc, is_admin=False, now=msg.ts,
                      dispatcher=self.dispatcher)
        turn = Turn(ctx)
        attempt.append(turn)
        try:
            await self._per_message(turn)
        except NothingChanged:
            log.info("message %s was already handled; ignored", msg.id)
            await self._put_back_acks()
            return None
        return turn

    async def _dispatch(self, turn: Turn) -> None:
        await self.dispatcher.dispatch(turn.ctx)
        turn.dispatched = True

    async def _said(self, turn: Turn, call_next: Next) -> None:
        """Middleware: what the handlers said goes to the outbox in the message's own transaction,
        riding in its commit's trip, with the gathered acknowledgements due by now."""
        await call_next(turn)
        ctx = turn.ctx
        turn.queued = self._queue_rows(ctx.replies, ctx.on_sent)
        if self.queue is not None:
            # Due acknowledgements ride in this message's trip instead of one of their own.
            self._took_acks = True
            turn.queued += await self._take_acks(ctx.msg.ts)
        now = self.clock.now()
        for ack in ctx.acks:
            if ack.text:
                # Her wait counts from her first change still waiting, not from this one.
                since, urgent_since = self.acks.times(ack.room_id, ack.member_id, now, urgent=ack.urgent)
                self.pending_acks.put(ack.room_id, ack.member_id, ack.name, ack.text, since, urgent_since)
            else:
                self.pending_acks.withdraw(ack.room_id, ack.member_id)
        turn.queued += await self._template_troubles()

    async def _template_troubles(self) -> list[Queued]:
        """Inside a transaction: a group's own template that failed while this one rendered is kept as
        broken (the built-in one is used from now on) and its owner told, privately, once."""
        outs = []
        for t in self.svc.templates.take_troubles():
            self.svc.owner_templates.mark_broken(t.room_id, t.kind, t.text, t.why)
            owner = await self.svc.rooms.owner(t.room_id)
            if owner is None:
                continue
            topic = await self.svc.rooms.topic(t.room_id) or t.room_id
            label = KINDS.get(t.kind, (t.kind,))[0]
            outs.append(Outgoing(to=owner, text=(
                f"⚠️ 「{topic}」的【{label}】话术用真实数据出错了（{t.why}），这次用默认文字发出了，改好以前都用默认的。"
                f"请改好：/话术 查看 {label}，/话术 设置 {label}；或恢复默认：/话术 恢复 {label}")))
        return self._queue_rows(outs)

    def _queue_rows(self, outs: list[Outgoing], on_sent: dict[int, str] | None = None) -> list[Queued]:
        """Writes `outs` to the outbox inside the caller's transaction."""
        now = self.clock.now()
        effects = on_sent or {}
        return [(self.outbox.add(out, now, effects.get(i)), out, effects.get(i)) for i, out in enumerate(outs)]

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

    async def advance(self, now: datetime, *, acks: bool = True) -> None:
        """Runs everything due by `now`, in time order, each stamped with its own time.

        Lateness is measured against the clock as it was when called: live, the
        wall clock (after downtime, stale posts are skipped); in a replay, the
        previous event's time, so transcript time passing is never lateness."""
        reference = self.clock.now()
        # Live, the ticker and incoming messages both call this: one at a time,
        # or both would read the same due job and post it twice.
        async with self._timed:
            while not self._closing:
                deadline, job_at = await self._next_due()
                ack_due = self.acks.next_due() if acks else None
                candidates = [t for t in (deadline, job_at, ack_due) if t is not None and t <= now]
                if not candidates:
                    return
                first = min(candidates)
                self.clock.observe(first)
                if deadline is not None and deadline == first:
                    await self._close_due(first)
                elif job_at is not None and job_at == first:
                    await self._run_jobs(first, reference)
                elif not await self._flush_acks(first):
                    return  # storage trouble: the next call tries again

    async def _take_acks(self, due: datetime | None) -> list[Queued]:
        """Inside a transaction: the acknowledgements due by `due` become outbox rows (a merged 接龙
        owed in their group riding in them)."""
        taken, rode = await ride_along(self.svc, self.acks.take_due(due))
        if rode:
            self._due_known = False  # a merged list's schedule was done early
        for room_id in dict.fromkeys(out.room_id for _, out in taken):
            if room_id is not None:
                self.pending_acks.clear(room_id)
                # What a full batch left gathering stays as durable as before.
                for member_id, name, text, since, urgent_since in self.acks.waiting(room_id):
                    self.pending_acks.put(room_id, member_id, name, text, since, urgent_since)
        return [(self.outbox.add(out, at), out, None) for at, out in taken]

    async def _put_back_acks(self) -> None:
        """A message's transaction that took due acknowledgements rolled back: they are still in the table."""
        if not self._took_acks:
            return
        self._took_acks = False
        try:
            await self._reload_acks()
        except Exception:
            log.exception("gathered acknowledgements could not be read back; they go out after a restart")

    async def _flush_acks(self, due: datetime | None) -> bool:
        """Turns the gathered acknowledgements due by `due` into outbox rows, in one transaction."""
        queued: list[Queued] = []
        try:
            async with self.svc.db.transaction():
                queued = await self._take_acks(due)
                queued += await self._template_troubles()
        except Exception:
            log.exception("gathered acknowledgements could not be queued; they wait in the database")
            # What was taken from memory is still in ack_pending: put it back.
            try:
                await self._reload_acks()
            except Exception:
                log.exception("gathered acknowledgements could not be read back; they go out after a restart")
            return False
        await self._deliver(queued)
        return True

    async def _close_due(self, now: datetime) -> None:
        """Closes every campaign whose deadline has come, each in a transaction of its own.

        A close that fails for anything but storage still closes: orders after the deadline
        must be refused, and a close that raised at every start would be a crash loop. The
        group then hears a plain line and the owner learns why privately."""
        queued: list[Queued] = []
        try:
            due = await self.svc.campaigns.due(now)
        except Exception:
            log.exception("could not read the deadlines due by %s; the next tick tries again", now)
            return
        for campaign in due:
            try:
                async with self.svc.db.transaction():
                    notices = await close_campaign(self.svc, campaign, campaign.close_at or now)
                    queued += self._queue_rows(notices) + await self._template_troubles()
            except Exception as exc:
                if is_storage_fault(exc):
                    log.exception("campaign %s could not be closed; the next tick tries again", campaign.id)
                    continue
                log.exception("closing campaign %s failed; it is closed without its notices", campaign.id)
                queued += await self._close_plainly(campaign, now)
        self._due_known = False
        self._changed(rooms=frozenset(c.room_id for c in due))
        await self._deliver(queued)

    async def _close_plainly(self, campaign: Campaign, now: datetime) -> list[Queued]:
        """The deadline holds even when the close's notices could not be made: closed, said plainly."""
        try:
            async with self.svc.db.transaction():
                parts = [campaign] if campaign.drop_id is None else \
                    [p for p in await self.svc.campaigns.parts(campaign) if p.is_open]
                outs: list[Outgoing] = []
                for part in parts:
                    if part.close_at is not None and part.close_at > now:
                        continue  # a group of the drop with its own, later deadline
                    await self.svc.campaigns.close(part.id, part.close_at or now)
                    outs.append(Outgoing(text=f"✂️ 「{part.title}」已截单，谢谢大家！", room_id=part.room_id))
                owner = await self.svc.rooms.owner(campaign.room_id)
                if owner is not None:
                    said = (f"⚠️ 「{campaign.title}」已按时截单，但截单汇总没能生成（错误记在日志里）。"
                            "群里只发了一句“已截单”；汇总请发 /汇总 查看。")
                    outs.append(Outgoing(text=said, to=owner))
                return self._queue_rows(outs)
        except Exception:
            log.exception("campaign %s could not even be closed plainly; the next tick tries again", campaign.id)
            return []

    async def _run_jobs(self, now: datetime, reference: datetime) -> None:
        for job in await self.svc.schedules.due(now):
            queued: list[Queued] = []
            try:
                async with self.svc.db.transaction():
                    posts = await run_job(self.svc, job, now, reference - job.run_at)
                    # `done` then means queued in the outbox; delivered_at is set when the last post goes out.
                    group_posts = [i for i, out in enumerate(posts) if out.room_id is not None]
                    effects = {group_posts[-1]: schedule_delivered(job.id)} if group_posts else {}
                    queued = self._queue_rows(posts, effects) + await self._template_troubles()
            except Exception:
                # Rolled back; marked failed so it is not retried forever, and whoever planned it is told.
                log.exception("schedule #%s (%s) failed", job.id, job.kind)
                async with self.svc.db.transaction():
                    await self.svc.schedules.finish(job.id, "failed", "error, see log")
                    queued = self._queue_rows([Outgoing(
                        text=f"⏰ 计划 #{job.id}（{label(job.kind)}）出错了，没有执行。需要的话请重新安排。",
                        to=job.created_by)])
            await self._deliver(queued)
        self._due_known = False

    async def drain(self) -> None:
        """Sends every gathered acknowledgement now (end of a replay, shutdown), after deferred work."""
        await self.start()
        await self.finish_background()
        if self.acks.next_due() is not None:
            self.clock.observe(max(self.clock.now(), self.acks.next_due() or self.clock.now()))
            await self._flush_acks(None)
    async def _deliver(self, queued: list[Queued]) -> None:
        """Hands committed outbox rows to the sender."""
        if not queued:
            return
        now = self.clock.now()
        for _, out, _ in queued:
            if out.room_id is not None:
                # A group the bot talks in is not a quiet one: its acknowledgements gather longer.
                self.acks.spoke(out.room_id, now)
        if self.queue is not None:
            for row, out, on_sent in queued:
                self.queue.put(out, row=row.value, on_sent=on_sent)
            return
        delivered: list[Queued] = []
        for item in queued:
            try:
                await self._send(item[1])
            except Exception:
                # Stays in the outbox: sent again at the next start.
                log.exception("sending to %s failed", item[1].room_id or item[1].to)
            else:
                delivered.append(item)
        if delivered:
            try:
                async with self.svc.db.transaction():
                    for row, _, on_sent in delivered:
                        self.outbox.delivered(row.value, on_sent, self.clock.now())
            except Exception:
                log.exception("could not record %d delivered message(s)", len(delivered))

    async def _post(self, out: Outgoing) -> None:
        """Says `out` without the outbox table (the storage alarm: the database is what failed)."""
        try:
            if self.queue is not None:
                self.queue.put(out)
            else:
                await self._send(out)
        except Exception:
            log.exception("sending to %s failed", out.room_id or out.to)
