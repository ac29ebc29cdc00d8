"""The puppet-service client's reconnects and watchdog, on a ManualClock with ManualSleep.

A fake service hands out fake connections; time moves only when the test
moves it, so every reconnect and ding happens at an exact second and nothing
really sleeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from grpclib.const import Status
from grpclib.exceptions import GRPCError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import EventResponse, EventType, MessageSendTextRequest

from bot.app.outbox import ManualSleep
from bot.clock import ManualClock
from bot.transports.wechaty.client import Link, PuppetClient, SendFailed, backoff_delay
from bot.transports.wechaty.protocol import SendRequest

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LOGGER = "bot.transports.wechaty"


def heartbeat() -> EventResponse:
    return EventResponse(type=EventType.EVENT_TYPE_HEARTBEAT, payload='{"data": "heartbeat"}')


class FakeLink:
    """One connection: the test feeds its stream and decides how it answers a ding."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.stream: asyncio.Queue[EventResponse | Exception | None] = asyncio.Queue()
        self.dings: list[float] = []
        self.ding_hangs = False
        self.closed = False
        self.sending: asyncio.Event | None = None  # set: the pending send's answer comes (a timeout)

    @property
    def stub(self) -> PuppetStub:
        raise AssertionError("these tests make no calls")

    async def next_event(self) -> EventResponse | None:
        item = await self.stream.get()
        if isinstance(item, Exception):
            raise item
        return item

    async def ding(self) -> None:
        self.dings.append(seconds_since_start(self.clock))
        if self.ding_hangs:
            await asyncio.Event().wait()  # a half-open connection: the answer never comes

    async def send(self, request: SendRequest) -> str:
        """A slow service: the answer comes when the test sets `sending`, and it is the deadline's."""
        assert self.sending is not None, "this test makes no sends"
        await self.sending.wait()
        raise SendFailed(TimeoutError("Deadline exceeded"), may_have_arrived=True)

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeService:
    clock: ManualClock
    refuse: int = 0  # how many of the next connects are refused
    attempts: list[float] = field(default_factory=list)
    links: list[FakeLink] = field(default_factory=list)

    async def connect(self) -> Link:
        self.attempts.append(seconds_since_start(self.clock))
        if self.refuse:
            self.refuse -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        link = FakeLink(self.clock)
        self.links.append(link)
        return link


def seconds_since_start(clock: ManualClock) -> float:
    return (clock.now() - START).total_seconds()


@dataclass
class World:
    clock: ManualClock
    timer: ManualSleep
    service: FakeService
    client: PuppetClient
    received: list[tuple[float, EventResponse]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def on_event(self, event: EventResponse) -> None:
        self.received.append((seconds_since_start(self.clock), event))

    async def start(self) -> None:
        self.task = asyncio.create_task(self.client.run(self.on_event))
        await self.timer.settle()

    async def at(self, seconds: float) -> None:
        """Let time run to `seconds` after the start."""
        await self.timer.advance(seconds - seconds_since_start(self.clock))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = ManualClock(START)
    timer = ManualSleep(clock)
    service = FakeService(clock)
    client = PuppetClient("127.0.0.1:8788", token="t", clock=clock, sleep=timer.sleep, connect=service.connect,
                          backoff_initial=1.0, backoff_cap=4.0, rpc_timeout=15.0, idle_ping_after=60.0)
    w = World(clock, timer, service, client)
    yield w
    if w.task is not None:
        await client.stop()
        await asyncio.wait_for(w.task, 5)


async def test_a_refusing_service_is_retried_with_doubling_delays_up_to_the_cap(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    world.service.refuse = 100
    await world.start()
    await world.at(16)
    assert world.service.attempts == [0, 1, 3, 7, 11, 15]
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert "cannot reach the puppet service at 127.0.0.1:8788 (connection refused); retrying in 1 s" in (
        retries[0].getMessage())
    # One line per failure, not per retry: the repeats are quiet.
    assert [r.levelno for r in retries] == [logging.WARNING] + [logging.INFO] * 5


async def test_a_connection_that_held_resets_the_backoff_and_a_short_one_does_not(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    world.service.refuse = 2
    await world.start()
    await world.at(3)
    assert world.service.attempts == [0, 1, 3]
    assert any("reconnected" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)

    await world.at(13)
    world.service.links[0].stream.put_nowait(None)  # the service ends the stream after 10 s
    await world.at(17)
    assert world.service.attempts == [0, 1, 3, 17]  # the backoff went on: 4 s
    assert world.service.links[0].closed

    await world.at(57)
    world.service.links[1].stream.put_nowait(None)  # after 40 s: that one was working
    await world.at(60)
    assert world.service.attempts == [0, 1, 3, 17, 58]
    assert any("closed the event stream; retrying in 1 s" in r.getMessage() for r in caplog.records)


async def test_events_reach_the_callback_in_order(world: World) -> None:
    await world.start()
    link = world.service.links[0]
    first = EventResponse(type=EventType.EVENT_TYPE_MESSAGE, payload='{"messageId": "m1"}')
    second = EventResponse(type=EventType.EVENT_TYPE_MESSAGE, payload='{"messageId": "m2"}')
    link.stream.put_nowait(first)
    link.stream.put_nowait(second)
    await world.timer.settle()
    assert [e for _, e in world.received] == [first, second]


async def test_a_quiet_stream_gets_a_ding_after_a_minute_and_any_event_postpones_it(world: World) -> None:
    await world.start()
    link = world.service.links[0]
    await world.at(50)
    link.stream.put_nowait(heartbeat())
    await world.at(110)
    assert link.dings == []
    await world.at(120)
    assert link.dings == [120]
    await world.at(180)
    assert link.dings == [120, 180]
    assert world.service.attempts == [0]  # answered dings keep the connection


async def test_a_ding_left_unanswered_ends_the_connection_and_a_new_one_is_made(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    await world.start()
    link = world.service.links[0]
    link.ding_hangs = True
    await world.at(60)
    assert link.dings == [60] and not link.closed
    await world.at(75)  # the call timeout, 15 s
    assert link.closed
    await world.at(76)
    assert world.service.attempts == [0, 76]
    assert any("did not answer in time; retrying in 1 s" in r.getMessage() for r in caplog.records)


async def test_a_send_waiting_for_its_answer_keeps_the_connection_until_the_send_ends(world: World) -> None:
    # A hung send must not make the watchdog reset the connection under it: its message may be on
    # its way, and a reset stream would leave it in doubt (or, mapped wrongly, sent twice).
    await world.start()
    link = world.service.links[0]
    link.ding_hangs = True
    link.sending = asyncio.Event()
    sending = asyncio.ensure_future(world.client.send([MessageSendTextRequest(conversation_id="r1", text="x")]))
    await world.at(100)  # a quiet stream: a ding at 60 s, unanswered at 75 s
    assert link.dings == [60] and not link.closed and world.service.attempts == [0]
    link.sending.set()  # the send's own deadline
    with pytest.raises(SendFailed):
        await sending
    await world.at(132)  # the next ding, at 115 s, goes unanswered too: now the connection is ended
    assert link.dings == [60, 115] and link.closed and world.service.attempts == [0, 131]


async def test_an_event_scheduled_with_after_comes_on_time_unless_the_connection_ends(world: World) -> None:
    ready = EventResponse(type=EventType.EVENT_TYPE_READY, payload="")
    sessions = 0

    def on_session() -> None:
        nonlocal sessions
        sessions += 1
        if sessions == 1:
            world.client.after(10, ready)

    world.task = asyncio.create_task(world.client.run(world.on_event, on_session=on_session))
    await world.at(9.5)
    assert world.received == []
    await world.at(10)
    assert world.received == [(10, ready)]

    world.client.after(10, ready)
    world.service.links[0].stream.put_nowait(None)
    await world.at(40)
    assert world.service.attempts == [0, 11]
    assert world.received == [(10, ready)]  # not handed to the next connection


async def test_a_failing_callback_costs_the_connection_not_the_client(world: World) -> None:
    async def on_event(event: EventResponse) -> None:
        raise GRPCError(Status.UNAVAILABLE, "gone")

    world.task = asyncio.create_task(world.client.run(on_event))
    await world.timer.settle()
    world.service.links[0].stream.put_nowait(heartbeat())
    await world.at(1)
    assert world.service.attempts == [0, 1]
    assert world.service.links[0].closed and not world.service.links[1].closed


async def test_stop_during_the_backoff_returns_without_waiting_it_out(world: World) -> None:
    world.service.refuse = 100
    await world.start()
    assert world.service.attempts == [0]
    await world.client.stop()
    assert world.task is not None and world.task.done()
    assert world.service.attempts == [0] and seconds_since_start(world.clock) == 0


async def test_stop_from_inside_the_callback_ends_run_and_closes_the_connection(world: World) -> None:
    async def on_event(event: EventResponse) -> None:
        await world.client.stop()

    world.task = asyncio.create_task(world.client.run(on_event))
    await world.timer.settle()
    world.service.links[0].stream.put_nowait(heartbeat())
    await asyncio.wait_for(world.task, 5)
    assert world.service.links[0].closed and world.service.attempts == [0]


def test_by_default_the_bot_is_back_within_five_seconds_of_the_service() -> None:
    client = PuppetClient("127.0.0.1:1", token="t", clock=ManualClock(START))
    assert max(backoff_delay(n, initial=client.backoff_initial, cap=client.backoff_cap) for n in range(50)) <= 5
