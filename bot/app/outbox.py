"""The outbound queue: everything the bot says goes through here, paced so WeChat does not throttle it.

WeChat answers an account that posts too fast with "操作过于频繁" and may block
it for hours, which for a group-buy bot means orders nobody confirms. So
`OutboundQueue.post` only enqueues (handling an incoming message never waits
for a send), and one worker sends with a minimum gap per conversation, a
minimum gap and a sliding 60 s budget for the whole account, retries with
backoff, and merges acknowledgements that are still waiting for the same group.

With a `Journal` (the durable outbox, bot/app/delivery.py) every message is a
row of the outbox table: the journal records an attempt before the send, the
delivery after it, and what the service left unknown. At most once on the
wire: a send that timed out is *uncertain*, never blindly retried; a send that
failed is retried with backoff up to a long horizon, then reported. A
throttling answer ("操作过于频繁") pauses the whole account.

Time is asked of the injected Clock and every wait goes through the injected
`sleep`, so tests and benchmarks run on a ManualClock with `ManualSleep` and
never really sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import random
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock, ManualClock
from bot.models import Outgoing
from bot.transports.base import SendUncertain, is_throttling

log = logging.getLogger("bot.app.outbox")

Send = Callable[[Outgoing], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

# Float noise between the clock and a sleep's deadline must not make the worker
# wake a microsecond early and spin.
_EPSILON = 1e-6


@dataclass(frozen=True)
class SendLimits:
    """How fast the account may post. Defaults are deliberately below what a busy human 团长 does.

    WeChat publishes no limits; what is known from bot operators is that bursts,
    not averages, trigger "操作过于频繁", that a person typing manages a message
    every couple of seconds in one chat, and that accounts posting a few dozen
    messages a minute get restricted. Hence:

    - per_group_interval 2 s: no human posts twice in one chat faster; applies to
      private chats too. Below the 3 s acknowledgement window, so a group's
      gathered acknowledgements normally go out as soon as they are due.
    - per_account_interval 1 s: without it the 60 s window allows 20 messages in
      the same instant (a deadline closing in 20 groups), exactly the burst
      anti-spam looks for.
    - per_account_per_minute 20: one message every 3 s on average across all
      chats. A group's acknowledgements are gathered into one message every few
      minutes (bot/app/ack_window.py), so 20 busy groups fit; a burst of 300
      orders is 15 messages of 20 mentions, out in under a minute.
    - backoff 2, 4, 8 s... capped at backoff_max 120 s, for up to give_up_after
      (6 hours): a message is never dropped silently; an account blocked for
      longer than that is something the owner must hear about (the journal
      tells her privately). max_attempts (None: no limit) also gives up.
    - throttle_pause 60 s doubling to throttle_pause_max 30 min: "操作过于频繁"
      means the account, not the message, must wait; retrying in seconds is
      what gets an account blocked.
    - send_timeout 30 s: the wechaty adapter's own RPC timeout is 15 s; twice
      that means a hung connection, not a slow one. A timed-out send may still
      arrive: it is uncertain for uncertain_wait (2 min), long enough to see
      its echo come back from the service; see `OutboundQueue.seen`.
    - max_mentions 20: WeChat shows a wall of @-mentions badly and may treat it
      as spam; the same cap as the acknowledgement batcher's.
    - max_chars 1500: about two phone screens, enough for 20 acknowledgement
      lines of ~60 characters with room to spare, well under WeChat's text limit.
    - switch_gap 2-5 s, drawn at random each time: between a post in one chat
      and the next in another. A fixed rhythm across many groups is what
      anti-spam recognises as a bot; a person switching groups takes a few
      seconds, never the same few. Within one chat per_group_interval applies.
    """

    per_group_interval: float = 2.0
    per_account_interval: float = 1.0
    per_account_per_minute: int = 20
    max_attempts: int | None = None
    backoff_initial: float = 2.0
    backoff_max: float = 120.0
    give_up_after: float = 6 * 3600.0
    throttle_pause: float = 60.0
    throttle_pause_max: float = 1800.0
    send_timeout: float = 30.0
    uncertain_wait: float = 120.0
    max_mentions: int = 20
    max_chars: int = 1500
    switch_gap: tuple[float, float] = (2.0, 5.0)

    def __post_init__(self) -> None:
        if self.per_account_per_minute < 1 or (self.max_attempts or 1) < 1 or self.max_mentions < 1:
            raise ValueError("per_account_per_minute, max_attempts and max_mentions must be at least 1")
        if min(self.per_group_interval, self.per_account_interval, self.backoff_initial, self.backoff_max) < 0:
            raise ValueError("intervals and backoff must not be negative")
        if self.send_timeout <= 0:
            raise ValueError("send_timeout must be positive")
        if not 0 <= self.switch_gap[0] <= self.switch_gap[1]:
            raise ValueError("switch_gap must be (low, high) with 0 <= low <= high")

    @classmethod
    def unlimited(cls) -> SendLimits:
        """No pacing at all (load benchmarks); merging caps and retries stay as they are."""
        return cls(per_group_interval=0.0, per_account_interval=0.0, per_account_per_minute=sys.maxsize,
                   switch_gap=(0.0, 0.0))

    def backoff(self, failures: int) -> float:
        """The wait after the `failures`-th failed attempt of one message."""
        return min(self.backoff_max, self.backoff_initial * 2.0 ** min(failures - 1, 32))

    def pause(self, throttles: int) -> float:
        """How long the account rests after its `throttles`-th throttling answer in a row."""
        return min(self.throttle_pause_max, self.throttle_pause * 2.0 ** min(throttles - 1, 32))


class Journal(Protocol):
    """Where the queue records what happens to each message (the outbox table)."""

    async def attempting(self, item: Pending) -> None:
        """Before the send; raising means the attempt must not happen (it is retried)."""

    async def delivered(self, item: Pending, *, confirmed: bool = True) -> None: ...

    async def uncertain(self, item: Pending) -> None: ...

    async def gave_up(self, item: Pending, why: str) -> None: ...


@dataclass
class Pending:
    """One message on its way: its outbox row (None: one that bypasses the table) and the rows merged into it."""

    out: Outgoing
    posted_at: float
    attempts: int = 0
    row: int | None = None
    on_sent: str | None = None
    merged: list[int] = field(default_factory=list)
    # The service showed it back while the send was still waiting for its answer: it arrived,
    # whatever that answer turns out to be.
    echoed: bool = False


_Item = Pending


@dataclass
class _Conversation:
    key: str
    items: deque[_Item] = field(default_factory=deque)
    # Earliest time the next attempt may start: the per-conversation gap, or a retry's backoff.
    ready_at: float = -math.inf
    busy: bool = False
    # When this conversation was last given a send: the least recently served goes first.
    served: int = 0


def _conversation_key(out: Outgoing) -> str:
    # Room ids and member ids are different namespaces; keep them apart.
    if out.room_id is not None:
        return f"room:{out.room_id}"
    if out.to is not None:
        return f"to:{out.to}"
    raise ValueError("an Outgoing needs a room_id or a to")


class OutboundQueue:
    """One queue per conversation, served fairly under per-conversation and per-account limits.

    Fairness: among conversations allowed to send now, the one served least
    recently goes first (ties: the one whose message has waited longest), so a
    flood in one group never takes two account slots in a row while another
    group is waiting. Each send runs in its own task, so a hanging or retrying
    send holds up only its own conversation.
    """

    def __init__(self, send: Send, clock: Clock, limits: SendLimits | None = None, *,
                 sleep: Sleep = asyncio.sleep, rng: random.Random | None = None,
                 journal: Journal | None = None) -> None:
        """`rng` draws the gaps between chats; tests and benchmarks pass a seeded one."""
        self._send = send
        self.journal = journal
        self._clock = clock
        self.limits = limits or SendLimits()
        self._sleep = sleep
        self._origin = clock.now()
        self._clock_offset = 0.0
        self._latest = 0.0
        self._conversations: dict[str, _Conversation] = {}
        self._account_starts: deque[float] = deque()  # attempt start times within the last 60 s
        self._last_start = -math.inf
        # Throttled: the whole account rests until then; the pause grows with each throttling in a row.
        self._paused_until = -math.inf
        self._throttles = 0
        # Sends whose outcome is unknown, per conversation, until their echo or uncertain_wait.
        self._unsure: dict[str, list[Pending]] = {}
        self._rng = rng or random.Random()
        self._last_key: str | None = None
        self._switch_gap = 0.0  # drawn at each start: the wait before a post to another chat
        self._serial = itertools.count(1)
        self._wake = asyncio.Event()  # something to send may have become possible
        self._progress = asyncio.Event()  # a send finished, for drain()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._running = False
        self._run_done: asyncio.Event | None = None
        self._closed = False
        # posted == sent + merged + dropped + pending, at any moment.
        self.posted = 0
        self.sent = 0
        self.merged = 0  # posts folded into a message already waiting, so never sent on their own
        self.retried = 0  # failed attempts that were tried again
        self.dropped = 0  # messages given up past the horizon, or still pending at shutdown
        self.uncertain = 0  # sends that timed out: resolved later, never blindly retried
        self.unconfirmed = 0  # uncertain acknowledgements counted as delivered
        self.throttled = 0  # throttling answers, each pausing the account

    # -- producer side -----------------------------------------------------------

    async def post(self, out: Outgoing, *, row: int | None = None, on_sent: str | None = None) -> None:
        """Queues `out` and returns at once; the worker sends it when the limits allow.

        `row`: its outbox row, reported to the journal as it goes; `on_sent` travels with it."""
        self.put(out, row=row, on_sent=on_sent)

    def put(self, out: Outgoing, *, row: int | None = None, on_sent: str | None = None) -> None:
        key = _conversation_key(out)
        self.posted += 1
        if self._closed:
            if row is not None:
                log.info("outbox is stopped; outbox #%s to %s stays for the next start", row, key)
                return
            self.dropped += 1
            log.warning("outbox is stopped; dropped a message to %s: %.40r", key, out.text)
            return
        conv = self._conversations.get(key)
        if conv is None:
            conv = self._conversations[key] = _Conversation(key)
        if out.mergeable and on_sent is None and self._merge_into_waiting(conv, out, row):
            self.merged += 1
            return
        conv.items.append(Pending(out, posted_at=self._now(), row=row, on_sent=on_sent))
        self._wake.set()

    def resume_uncertain(self, out: Outgoing, *, row: int, on_sent: str | None = None) -> None:
        """A row found handed to the service at start-up: it may have arrived, so it is uncertain."""
        self.posted += 1
        self._unsure_add(Pending(out, posted_at=self._now(), attempts=1, row=row, on_sent=on_sent))

    def _merge_into_waiting(self, conv: _Conversation, out: Outgoing, row: int | None) -> bool:
        """Folds `out` into a waiting acknowledgement, the latest one it fits in.

        Looks back only through the waiting mergeable messages at the end of the
        queue: never past a non-mergeable one, so replies, notices and totals
        keep their place. It may pass acknowledgements of other members, but
        never one that mentions a member `out` mentions, so each member's latest
        line still comes last. Passing them matters under load: the batcher
        sends 20 mentions then the rest, and with only the last message to
        merge into, a 10-mention rest could never join the next batch's rest.
        A message that was attempted keeps its text, so a retry resends exactly
        what was tried.
        """
        passed: set[str] = set()
        for item in reversed(conv.items):
            if item.attempts or not item.out.mergeable or item.on_sent is not None:
                return False
            if passed.isdisjoint(out.mentions) and (item.row is None) == (row is None):
                merged = self._merge(item.out, out)
                if merged is not None:
                    item.out = merged
                    if row is not None:
                        item.merged.append(row)
                    return True
            passed.update(item.out.mentions)
        return False

    def _merge(self, first: Outgoing, second: Outgoing) -> Outgoing | None:
        text = first.text.rstrip("\n") + "\n" + second.text.lstrip("\n")
        mentions = tuple(dict.fromkeys((*first.mentions, *second.mentions)))
        if len(mentions) > self.limits.max_mentions or len(text) > self.limits.max_chars:
            return None
        return replace(first, text=text, mentions=mentions)

    @property
    def pending(self) -> int:
        """Messages waiting, being sent or uncertain (after merging)."""
        return sum(len(c.items) for c in self._conversations.values()) + sum(map(len, self._unsure.values()))

    @property
    def paused_until(self) -> float:
        """Seconds on the queue's own time line until which the account rests after a throttling answer."""
        return self._paused_until

    # -- worker --------------------------------------------------------------------

    async def run(self) -> None:
        """The worker loop; returns after stop(). Start it as a task once the transport can send."""
        if self._running:
            raise RuntimeError("the outbox worker is already running")
        self._running = True
        self._run_done = asyncio.Event()
        try:
            while not self._closed:
                self._wake.clear()
                now = self._now()
                conv = self._pick(now)
                if conv is not None:
                    self._start(conv, now)
                    continue
                await self._wait(self._next_wake(now))
        finally:
            self._running = False
            self._run_done.set()

    def _account_free_at(self, now: float) -> float:
        starts = self._account_starts
        while starts and now - starts[0] >= 60.0 - _EPSILON:
            starts.popleft()
        free = max(self._last_start + self.limits.per_account_interval, self._paused_until)
        if len(starts) >= self.limits.per_account_per_minute:
            free = max(free, starts[len(starts) - self.limits.per_account_per_minute] + 60.0)
        return free

    def _pick(self, now: float) -> _Conversation | None:
        if self._account_free_at(now) > now + _EPSILON:
            return None
        ready: list[_Conversation] = []
        idle: list[str] = []
        for c in self._conversations.values():
            if c.busy or self._ready_at(c) > now + _EPSILON:
                continue
            if c.items:
                ready.append(c)
            else:
                idle.append(c.key)
        # A private chat with every member would otherwise stay here for good;
        # once its gap has passed, a quiet conversation has nothing to remember.
        for key in idle:
            del self._conversations[key]
        if not ready:
            return None
        return min(ready, key=lambda c: (c.served, max(c.ready_at, c.items[0].posted_at)))

    def _next_wake(self, now: float) -> float | None:
        waiting = [self._ready_at(c) for c in self._conversations.values() if c.items and not c.busy]
        if not waiting:
            return None  # nothing to send until a post or a finished send wakes us
        return max(min(waiting), self._account_free_at(now)) - now

    def _ready_at(self, conv: _Conversation) -> float:
        if self._last_key is None or conv.key == self._last_key:
            return conv.ready_at
        return max(conv.ready_at, self._last_start + self._switch_gap)

    async def _wait(self, delay: float | None) -> None:
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
        if delay is not None:
            waiters.append(asyncio.ensure_future(self._sleep(max(delay, 0.0))))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    def _start(self, conv: _Conversation, now: float) -> None:
        item = conv.items[0]
        item.attempts += 1
        conv.busy = True
        conv.served = next(self._serial)
        # Failed attempts count too: WeChat saw them.
        conv.ready_at = now + self.limits.per_group_interval
        self._last_start = now
        self._last_key = conv.key
        self._switch_gap = self._rng.uniform(*self.limits.switch_gap)
        self._account_starts.append(now)
        self._spawn(self._attempt(conv, item))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._keep(asyncio.ensure_future(coro))

    def _keep(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here: an abandoned send's failure was already counted

    async def _attempt(self, conv: _Conversation, item: Pending) -> None:
        try:
            if self.journal is not None and item.row is not None:
                try:
                    await self.journal.attempting(item)
                except Exception as exc:
                    # Not recorded, not sent: sending now could send it twice after a crash.
                    if conv.items and conv.items[0] is item:
                        self._failed(conv, item, exc, throttle=False)
                    return
            try:
                await self._send_with_timeout(item.out)
            except Exception as exc:
                if not (conv.items and conv.items[0] is item):
                    return
                if item.echoed:
                    # Its echo came back while it waited: it arrived.
                    log.info("a message to %s arrived although its send answered %s", conv.key, _describe(exc))
                    conv.items.popleft()
                    self.sent += 1
                    await self._record_delivery(item, confirmed=True)
                elif isinstance(exc, SendUncertain):
                    conv.items.popleft()
                    self._went_uncertain(conv, item, exc)
                else:
                    self._failed(conv, item, exc, throttle=is_throttling(exc))
            else:
                self._throttles = 0
                if conv.items and conv.items[0] is item:
                    conv.items.popleft()
                    self.sent += 1
                    await self._record_delivery(item, confirmed=True)
        finally:
            conv.busy = False
            self._wake.set()
            self._progress.set()

    async def _record_delivery(self, item: Pending, *, confirmed: bool) -> None:
        if self.journal is None or item.row is None:
            return
        try:
            await self.journal.delivered(item, confirmed=confirmed)
        except Exception:
            # It went out; only the record failed (storage trouble). At start-up it
            # is found uncertain and resolved, never blindly sent again.
            log.exception("could not record delivery of outbox #%s", item.row)

    def _failed(self, conv: _Conversation, item: Pending, exc: Exception, *, throttle: bool) -> None:
        now = self._now()
        if throttle:
            self._throttles += 1
            self.throttled += 1
            pause = self.limits.pause(self._throttles)
            self._paused_until = max(self._paused_until, now + pause)
            log.warning("WeChat is throttling the account (%s); every send waits %.0f s", _describe(exc), pause)
        out_of_attempts = self.limits.max_attempts is not None and item.attempts >= self.limits.max_attempts
        if out_of_attempts or now - item.posted_at >= self.limits.give_up_after:
            conv.items.popleft()
            self.dropped += 1
            why = f"{item.attempts} attempts over {now - item.posted_at:.0f} s ({_describe(exc)})"
            log.warning("gave up on a message to %s after %s: %.40r", conv.key, why, item.out.text)
            if self.journal is not None and item.row is not None:
                self._spawn(self._report_given_up(item, why))
            return
        delay = self.limits.backoff(item.attempts)
        self.retried += 1
        conv.ready_at = max(conv.ready_at, now + delay)
        log.info("sending to %s failed (%s); attempt %d in %.3g s", conv.key, _describe(exc),
                 item.attempts + 1, max(delay, self._paused_until - now))

    async def _report_given_up(self, item: Pending, why: str) -> None:
        assert self.journal is not None
        try:
            await self.journal.gave_up(item, why)
        except Exception:
            log.exception("could not record giving up on outbox #%s", item.row)

    # -- uncertain sends ---------------------------------------------------------------

    def _went_uncertain(self, conv: _Conversation, item: Pending, exc: Exception) -> None:
        """The service may have delivered it: never sent blindly again; the conversation moves on."""
        self.uncertain += 1
        log.warning("no answer for a message to %s (%s); it may have arrived: waiting %.0f s for its echo",
                    conv.key, _describe(exc), self.limits.uncertain_wait)
        self._unsure_add(item)
        if self.journal is not None and item.row is not None:
            self._spawn(self._record_uncertain(item))

    async def _record_uncertain(self, item: Pending) -> None:
        assert self.journal is not None
        try:
            await self.journal.uncertain(item)
        except Exception:
            log.exception("could not record outbox #%s as uncertain", item.row)

    def _unsure_add(self, item: Pending) -> None:
        self._unsure.setdefault(_conversation_key(item.out), []).append(item)
        self._spawn(self._resolve_later(item))

    def seen(self, out: Outgoing) -> bool:
        """The service showed a message the account sent (its echo): an uncertain one with that
        text in that conversation arrived, or the one being sent there (whose answer may yet be
        a timeout). Returns whether it settled one."""
        key = _conversation_key(out)
        text = out.text.strip()
        for item in self._unsure.get(key, []):
            if item.out.text.strip() == text:
                self._unsure_remove(key, item)
                self.sent += 1
                log.info("the uncertain message to %s arrived (its echo came back)", key)
                self._spawn(self._record_delivery(item, confirmed=True))
                return True
        conv = self._conversations.get(key)
        if conv is not None and conv.busy and conv.items:
            sending = conv.items[0]
            if sending.attempts and not sending.echoed and sending.out.text.strip() == text:
                sending.echoed = True
                return True
        return False

    def _unsure_remove(self, key: str, item: Pending) -> None:
        items = self._unsure.get(key, [])
        if item in items:
            items.remove(item)
        if not items:
            self._unsure.pop(key, None)
        self._progress.set()

    async def _resolve_later(self, item: Pending) -> None:
        """No echo within uncertain_wait: it most likely never arrived.

        An acknowledgement is counted as delivered (at most once: the member's
        next acknowledgement repeats her whole order, and 查单 shows it); anything
        else — a pickup notice, a post, a reply — goes back to the head of its
        conversation and is sent again."""
        await self._sleep(self.limits.uncertain_wait)
        key = _conversation_key(item.out)
        if item not in self._unsure.get(key, []):
            return
        self._unsure_remove(key, item)
        if item.out.mergeable:
            self.unconfirmed += 1
            log.warning("an acknowledgement to %s stayed uncertain; counted as delivered, not sent again", key)
            await self._record_delivery(item, confirmed=False)
            return
        if self._now() - item.posted_at >= self.limits.give_up_after:
            self.dropped += 1
            why = f"{item.attempts} attempts, the last ones unanswered"
            log.warning("gave up on a message to %s after %s: %.40r", key, why, item.out.text)
            if self.journal is not None and item.row is not None:
                await self._report_given_up(item, why)
            return
        log.warning("a message to %s stayed uncertain with no echo; sending it again", key)
        conv = self._conversations.get(key)
        if conv is None:
            conv = self._conversations[key] = _Conversation(key)
        # Behind a send in flight, never in its place: its outcome is matched by position.
        conv.items.insert(1 if conv.busy and conv.items else 0, item)
        self._wake.set()

    async def _send_with_timeout(self, out: Outgoing) -> None:
        # asyncio.wait_for would time out on the loop's real clock; the timer
        # must go through the injected sleep like every other wait.
        send = asyncio.ensure_future(self._send(out))
        timer = asyncio.ensure_future(self._sleep(self.limits.send_timeout))
        try:
            await asyncio.wait([send, timer], return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not send.done():
                send.cancel()
                # The hung send is abandoned, not awaited: waiting for it to
                # acknowledge cancellation could hang as well.
                self._keep(send)
        if not send.done() or send.cancelled():
            raise SendUncertain(f"no answer within {self.limits.send_timeout:g} s")
        exc = send.exception()
        if isinstance(exc, TimeoutError):
            # The service's own call timed out: the message may be on its way all the same.
            raise SendUncertain(f"the service did not answer ({_describe(exc)})") from exc
        send.result()

    def _now(self) -> float:
        # Live time is the wall clock: were it set back an hour, every gap and
        # the account window would wait that hour. Time here never goes back.
        now = (self._clock.now() - self._origin).total_seconds() + self._clock_offset
        if now < self._latest:
            self._clock_offset += self._latest - now
            now = self._latest
        self._latest = now
        return now

    # -- shutdown ------------------------------------------------------------------

    # The timeout runs on the injected clock and sleep, which asyncio.timeout cannot.
    async def drain(self, timeout: float) -> None:  # noqa: ASYNC109
        """Sends what is pending, within the limits, for up to `timeout` seconds; drops the rest."""
        own_worker: asyncio.Task[None] | None = None
        if not self._running and not self._closed:
            own_worker = asyncio.ensure_future(self.run())
        try:
            await self._while(lambda: self.pending > 0, timeout)
        finally:
            if own_worker is not None:
                own_worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await own_worker
        if self.pending:
            self._drop_pending(f"drain gave up after {timeout:g} s")

    # The timeout runs on the injected clock and sleep, which asyncio.timeout cannot.
    async def finish(self, timeout: float) -> None:  # noqa: ASYNC109
        """Shutting down: starts no new send, gives the ones on their way up to `timeout` seconds
        to answer, then stops. Whatever was not sent stays in the outbox table for the next start
        (a send cut off on its way is found there as uncertain, never blindly sent again)."""
        self._closed = True
        self._wake.set()
        await self._while(lambda: any(c.busy for c in self._conversations.values()), timeout)
        await self.stop()

    async def _while(self, condition: Callable[[], bool], seconds: float) -> None:
        """Waits, checking at each finished send, while `condition` holds, for at most `seconds`."""
        deadline = asyncio.ensure_future(self._sleep(seconds))
        try:
            while condition() and not deadline.done():
                self._progress.clear()
                progress = asyncio.ensure_future(self._progress.wait())
                try:
                    await asyncio.wait([progress, deadline], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    progress.cancel()
        finally:
            deadline.cancel()

    async def stop(self) -> None:
        """Stops the worker; what is still pending is dropped with one log line. Safe to call twice."""
        self._closed = True
        self._wake.set()
        if self._running and self._run_done is not None:
            await self._run_done.wait()
        for task in list(self._tasks):
            task.cancel()
        if self.pending:
            self._drop_pending("stopped")

    def _drop_pending(self, why: str) -> None:
        count = self.pending
        where = sorted({c.key for c in self._conversations.values() if c.items} | set(self._unsure))
        kept = sum(1 for c in self._conversations.values() for i in c.items if i.row is not None)
        kept += sum(1 for items in self._unsure.values() for i in items if i.row is not None)
        for conv in self._conversations.values():
            conv.items.clear()
        self._unsure.clear()
        self.dropped += count - kept
        if kept:
            log.warning("outbox %s: %d unsent message%s stay in the outbox for the next start (to %s)", why, kept,
                        "" if kept == 1 else "s", ", ".join(where))
        if count - kept:
            log.warning("outbox %s: dropped %d unsent message%s (to %s)", why, count - kept,
                        "" if count - kept == 1 else "s", ", ".join(where))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class ManualSleep:
    """`sleep` on a ManualClock: a sleeper wakes only when the driver moves time past its deadline.

    For tests, benchmarks and anything else run on transcript time: the code
    under test sleeps as it would live, and `advance_to` plays the sleeps due
    by then in time order, setting the clock to each one's deadline, so what
    happens in between is stamped with the time it would have happened.
    """

    def __init__(self, clock: ManualClock, max_settle_rounds: int = 100_000, *,
                 unseen: Callable[[], Awaitable[bool]] | None = None) -> None:
        """`unseen`: waits for work the event loop cannot see (a database trip in its thread) and says
        whether there was any; settling waits for it too, so a run on this clock is repeatable."""
        self.clock = clock
        self._max_settle_rounds = max_settle_rounds
        self._unseen = unseen
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        # Rounded up: waking a microsecond early would make the sleeper sleep again.
        deadline = self.clock.now() + timedelta(microseconds=math.ceil(seconds * 1e6))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._seq), fut))
        await fut

    def next_deadline(self) -> datetime | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def settle(self) -> None:
        """Lets every task run until all of them wait (for a sleeper, an event, or I/O other than
        what `unseen` waits for)."""
        await self._settle()
        while self._unseen is not None and await self._unseen():
            await self._settle()

    async def _settle(self) -> None:
        loop = asyncio.get_running_loop()
        # The default loop's queue of runnable callbacks: empty after our own turn
        # means nothing else can run until a sleeper is woken. Other loops get a
        # fixed number of turns.
        ready = getattr(loop, "_ready", None)
        quiet = 0
        for turn in range(self._max_settle_rounds):
            await asyncio.sleep(0)
            if ready is None:
                if turn >= 1000:
                    return
                continue
            # Twice, so a callback queued just after our turn is seen too.
            quiet = 0 if ready else quiet + 1
            if quiet >= 2:
                return

    async def advance_to(self, when: datetime) -> None:
        await self.settle()
        while (due := self.next_deadline()) is not None and due <= when:
            if due > self.clock.now():
                self.clock.set(due)
            while (d := self.next_deadline()) is not None and d <= self.clock.now():
                heapq.heappop(self._sleepers)[2].set_result(None)
            await self.settle()
        if when > self.clock.now():
            self.clock.set(when)
        await self.settle()

    async def advance(self, seconds: float) -> None:
        await self.advance_to(self.clock.now() + timedelta(seconds=seconds))
