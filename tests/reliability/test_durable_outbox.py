"""Nothing said is lost or doubled: the outbox table across crashes, hung sends and storage faults.

The bot runs live-like: the App with the rate-limited outbound queue, on a
ManualClock with ManualSleep, so every send time is exact and nothing really
sleeps. A "crash" stops the process's memory (queue, batcher) without a word
to the database, and a new App starts on the same file, as after SIGKILL.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app.outbox import ManualSleep, OutboundQueue, SendLimits
from bot.app.pipeline import App
from bot.clock import ManualClock
from bot.domain.services import Services, Settings
from bot.models import Member, Message, Outgoing, RoomInfo, RoomSeen, SentSeen
from bot.routers import build_dispatcher
from storage.db import Database
from tests.harness import START, Harness

OWNER = "wx_owner"
OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱"
_ids = itertools.count(1)


class Wire:
    """The chat service as the members see it: everything that arrived, across restarts."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.arrived: list[Outgoing] = []
        self.hang_on: str | None = None  # a text the service delivers but never answers for

    async def send(self, out: Outgoing) -> None:
        if self.hang_on is not None and self.hang_on in out.text:
            self.hang_on = None
            self.arrived.append(out)
            await asyncio.get_running_loop().create_future()
        self.arrived.append(out)

    def mentions(self) -> list[str]:
        return [m for out in self.arrived for m in out.mentions]


class Live:
    def __init__(self, db: Database, clock: ManualClock, wire: Wire) -> None:
        self.db = db
        self.clock = clock
        self.timer = ManualSleep(clock)
        self.wire = wire
        self.queue = OutboundQueue(wire.send, clock, SendLimits(), sleep=self.timer.sleep)
        self.svc = Services.build(db, Settings())
        self.app = App(self.svc, clock, self.queue, build_dispatcher())
        self.worker: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, path: Path, clock: ManualClock, wire: Wire) -> Live:
        live = cls(await Database.open(path), clock, wire)
        await live.svc.load_owner_templates()
        await live.app.start()
        live.worker = asyncio.create_task(live.queue.run())
        members = (Member(OWNER, "王姐"), *(Member(f"wx_{i}", f"团员{i}") for i in range(50)))
        await live.app.on_event(RoomSeen(RoomInfo("r1", "阳光花园", OWNER, members)))
        return live

    async def say(self, member: str, text: str) -> None:
        msg = Message(id=f"m{next(_ids)}", ts=self.clock.now(), sender=Member(member, member), text=text,
                      room_id="r1")
        await self.app.on_event(msg)

    async def run_for(self, seconds: float) -> None:
        """The live ticker: timed work every second, sends as the limits allow."""
        for _ in range(int(seconds)):
            await self.timer.advance(1)
            await self.app.advance(self.clock.now())
            await self.quiet()

    async def quiet(self) -> None:
        """Lets the sender's database trips (real I/O, which ManualSleep cannot see) finish."""
        for _ in range(4):
            await self.db.fetchone("SELECT 1")
            await self.timer.settle()

    async def crash(self) -> None:
        """The process dies: memory is gone, the database keeps what was committed."""
        if self.worker is None:
            return  # crashed already
        self.worker.cancel()
        self.worker = None
        for task in list(self.queue._tasks):
            task.cancel()
        await asyncio.sleep(0)
        await self.db.close()


Start = Callable[[ManualClock, Wire], Awaitable[Live]]


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    """`await start(clock, wire)`: the bot live on tmp_path/b.sqlite (again: a restart on the same file).
    Whatever a test leaves running, passed or failed, crashes at its end: an open database would keep
    aiosqlite's thread alive and pytest from exiting."""
    started: list[Live] = []

    async def start_(clock: ManualClock, wire: Wire) -> Live:
        live = await Live.start(tmp_path / "b.sqlite", clock, wire)
        started.append(live)
        return live

    yield start_
    for live in started:
        await live.crash()


async def _statuses(live: Live) -> dict[str, int]:
    rows = await live.db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}


async def test_a_crash_inside_the_acknowledgement_window_then_a_restart_acknowledges_each_once(start: Start) -> None:
    clock = ManualClock(START)
    wire = Wire(clock)
    live = await start(clock, wire)
    await live.say(OWNER, OPEN)
    await live.run_for(10)
    for i in range(3):
        await live.say(f"wx_{i}", "草莓2盒")
    await live.run_for(60)  # still gathering
    await live.crash()
    assert wire.mentions() == []

    clock.set(clock.now() + timedelta(seconds=20))  # down for a while
    again = await start(clock, wire)
    await again.run_for(200)  # the restart posts nothing early ...
    assert wire.mentions() == []
    await again.run_for(30)  # ... and tells each within the 5 minutes of her order
    assert sorted(wire.mentions()) == ["wx_0", "wx_1", "wx_2"]
    assert all("草莓×2" in out.text for out in wire.arrived if out.mentions)
    await again.crash()

    third = await start(clock, wire)
    await third.run_for(30)
    assert sorted(wire.mentions()) == ["wx_0", "wx_1", "wx_2"]
    assert set(await _statuses(third)) == {"sent"}
    await third.crash()


async def test_her_wait_goes_on_across_edits_and_a_restart(start: Start) -> None:
    clock = ManualClock(START)
    wire = Wire(clock)
    live = await start(clock, wire)
    await live.say(OWNER, OPEN)
    await live.run_for(10)
    await live.say("wx_1", "草莓1盒")
    first = clock.now()
    for qty in (2, 3, 4, 5, 6):  # she keeps changing it
        await live.run_for(30)
        await live.say("wx_1", f"草莓改成{qty}盒")
    await live.run_for(30)
    await live.say("wx_2", "砂糖橘1箱")  # and someone else orders
    await live.run_for(1)
    await live.say("wx_2", "+1")  # which product? asked: she must hear within a minute
    await live.crash()
    assert wire.mentions() == []

    again = await start(clock, wire)
    await again.run_for(60)
    # The exception's minute held across the restart, and 团员1 went along after her 3 minutes.
    assert sorted(wire.mentions()) == ["wx_1", "wx_2"]
    assert wire.arrived[-1].text.startswith("@wx_1 已记录：草莓×6") and clock.now() - first < timedelta(minutes=5)
    await again.crash()


async def test_a_crash_in_the_middle_of_a_pickup_notice_sends_the_rest_after_restart_nobody_twice(start: Start) -> None:
    clock = ManualClock(START)
    wire = Wire(clock)
    live = await start(clock, wire)
    await live.say(OWNER, OPEN)
    for i in range(45):
        await live.say(f"wx_{i}", "草莓1盒")
    await live.say(OWNER, "/截单")
    await live.run_for(300)
    wire.arrived.clear()
    await live.say(OWNER, "/到货 东门")
    await live.run_for(1)  # part 1 of 3 went out; part 2 waits for the group's 2 s gap
    assert len(wire.arrived) == 1 and len(wire.mentions()) == 20
    notified = await live.db.fetchall("SELECT member_id FROM fulfilment WHERE notified_at IS NOT NULL")
    assert len(notified) == 20  # notified means delivered, not queued
    await live.crash()

    again = await start(clock, wire)
    await again.run_for(30)
    assert len(wire.arrived) == 3
    assert sorted(wire.mentions()) == sorted(f"wx_{i}" for i in range(45))
    notified = await again.db.fetchall("SELECT member_id FROM fulfilment WHERE notified_at IS NOT NULL")
    assert len(notified) == 45
    await again.crash()


async def test_an_acknowledgement_that_hangs_but_arrives_is_not_sent_again_even_after_a_restart(start: Start) -> None:
    clock = ManualClock(START)
    wire = Wire(clock)
    live = await start(clock, wire)
    await live.say(OWNER, OPEN)
    await live.run_for(10)
    wire.hang_on = "已记录"
    await live.say("wx_1", "草莓2盒")
    await live.run_for(300)  # sent within the 5 minutes, no answer
    await live.crash()
    assert wire.mentions() == ["wx_1"]

    again = await start(clock, wire)
    await again.run_for(600)
    assert wire.mentions() == ["wx_1"]
    assert (await _statuses(again)).get("unconfirmed") == 1
    await again.crash()


async def test_a_notice_that_times_out_but_whose_echo_comes_back_is_not_sent_again(start: Start) -> None:
    clock = ManualClock(START)
    wire = Wire(clock)
    live = await start(clock, wire)
    await live.say(OWNER, OPEN)
    await live.run_for(10)
    announcements = len(wire.arrived)
    wire.hang_on = "汇总"
    await live.say(OWNER, "/汇总")
    await live.run_for(40)  # timed out at 30 s: uncertain
    (summary,) = wire.arrived[announcements:]
    await live.app.on_event(SentSeen(summary))
    await live.run_for(600)
    assert len(wire.arrived) == announcements + 1
    assert set(await _statuses(live)) == {"sent"}
    await live.crash()


async def test_storage_failing_tells_the_member_and_the_owner_acknowledges_nothing_and_recovers(
        bot: Harness) -> None:
    await bot.say("wx_owner", OPEN)
    await bot.say("wx_zhang", "草莓1盒")
    await bot.settle()
    bot.take()

    await bot.db.execute("PRAGMA query_only = 1")  # the file cannot be written: like a read-only or full disk
    await bot.say("wx_li", "草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱", after=30)
    await bot.say("wx_wang", "草莓3盒", after=30)
    await bot.settle()
    said = bot.take()
    to_members = [o for o in said if o.room_id == "r1"]
    to_owner = [o for o in said if o.to == "wx_owner"]
    # One brief word to each member whose message was lost (not twice within minutes).
    assert [o.mentions for o in to_members] == [("wx_li",), ("wx_wang",)]
    assert all("没有记录上" in o.text and "已记录" not in o.text for o in to_members)
    # The owner hears once, privately.
    assert len(to_owner) == 1 and "数据库" in to_owner[0].text
    assert await bot.book() == {("wx_zhang", "草莓"): 1}

    # The disk is fine again: no restart, the next order counts and is acknowledged.
    await bot.db.execute("PRAGMA query_only = 0")
    await bot.say("wx_li", "草莓2盒", after=30)
    await bot.settle()
    said = bot.take()
    assert any(o.to == "wx_owner" and "恢复" in o.text for o in said)
    assert any(o.room_id == "r1" and "已记录" in o.text and o.mentions == ("wx_li",) for o in said)
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 2}

    # Failing again after more than a few minutes: told again.
    await bot.db.execute("PRAGMA query_only = 1")
    await bot.say("wx_wang", "草莓3盒", after=600)
    assert [o.mentions for o in bot.take() if o.room_id == "r1"] == [("wx_wang",)]
    await bot.db.execute("PRAGMA query_only = 0")

