"""Load benchmark: a busy drop across many groups, through the real pipeline.

100 groups of 300 members (fewer with --quick), one campaign each. Members post
growing 接龙 copies — with forks from older versions, edits and cancellations of
their own line — and plain orders, interleaved across groups as in a real
evening drop. Everything goes through the App with SQLite on disk, the
templates, and the outbound queue with its limits lifted.

Prints throughput, per-message latency (median, p99, max), peak memory, the
cost of one copy at 50/200/500 lines, /汇总 on a large campaign, and start-up
time on a database of one million orders and 10,000 schedules, and one drop across 20 groups x 300
members with its 限量 stock racing from all of them (all skipped with
--quick). Last line: `bench: N msg/s, p99 X ms, rss Y MB`.

    python bench/run.py            # the full run (several minutes)
    python bench/run.py --quick    # a small run that only shows it works (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.outbox import OutboundQueue, SendLimits
from bot.app.pipeline import App
from bot.clock import DEFAULT_TZ, ManualClock
from bot.domain.lifecycle import summary_text
from bot.domain.services import Services, Settings
from bot.models import Member, Message, Outgoing, RoomInfo, RoomSeen
from bot.routers import build_dispatcher
from storage.db import Database

PRODUCTS = ["丹东草莓", "砂糖橘", "鸡蛋"]
OPEN = "/开团 周六鲜果团\nA. 丹东草莓 30元/盒\nB. 砂糖橘 25元/箱\nC. 鸡蛋 15元/板\n截单 11-30 20:00"
HEADER = "#接龙\n周六鲜果团\n丹东草莓 ¥30/盒，砂糖橘 ¥25/箱，鸡蛋 ¥15/板\n例：3-502 张三 丹东草莓1盒\n\n"


class Group:
    """One group's drop: the versions of its list and who has a line in it."""

    def __init__(self, room: str, members: int, rng: random.Random) -> None:
        self.room = room
        self.rng = rng
        self.members = [f"{room}_m{i}" for i in range(members)]
        self.versions: list[list[tuple[str, str]]] = [[]]  # each version: (member, line)
        self.pending = list(self.members)
        rng.shuffle(self.pending)

    def _line(self, member: str) -> str:
        i = int(member.rsplit("m", 1)[1])
        items = " ".join(f"{p}{self.rng.randint(1, 3)}{'盒箱板'[k]}" for k, p in enumerate(PRODUCTS)
                         if self.rng.random() < (0.8 if k == 0 else 0.3))
        return f"{i % 30 + 1}-{1000 + i} 团员{i} {items or '丹东草莓1盒'}"

    def next_text(self) -> tuple[str, str] | None:
        """(member, text) of the next message in this group, or None when everyone has spoken."""
        if not self.pending:
            return None
        roll = self.rng.random()
        latest = self.versions[-1]
        if roll < 0.25:
            member = self.pending.pop()
            k = self.rng.randrange(3)
            return member, f"{PRODUCTS[k][-2:]}{self.rng.randint(1, 4)}{'盒箱板'[k]}"
        if roll < 0.30 and latest:
            # An edit or a cancellation of one's own line, in a copy of the latest version.
            member, _ = self.rng.choice(latest)
            if self.rng.random() < 0.5:
                version = [(m, ln) for m, ln in latest if m != member]
            else:
                version = [(m, self._line(m) if m == member else ln) for m, ln in latest]
            self.versions.append(version)
            return member, self._render(version)
        member = self.pending.pop()
        # A fork: copied from a version a few copies old.
        base = self.versions[-1 - min(len(self.versions) - 1, self.rng.randint(1, 3))] if roll > 0.9 else latest
        version = [*base, (member, self._line(member))]
        self.versions.append(version)
        return member, self._render(version)

    @staticmethod
    def _render(version: list[tuple[str, str]]) -> str:
        return HEADER + "\n".join(f"{i}. {line}" for i, (_, line) in enumerate(version, 1))


async def _discard(out: Outgoing) -> None:
    pass


class ChatLoad:
    """The real app on SQLite, everything said going through the durable outbox (with no send
    limits), its groups seen; `say` times each message and `play` interleaves the groups' chats."""

    def __init__(self, db: Database, clock: ManualClock, svc: Services, app: App, queue: OutboundQueue,
                 rooms: list[Group]) -> None:
        self.db, self.clock, self.svc, self.app, self.queue, self.rooms = db, clock, svc, app, queue, rooms
        self.worker = asyncio.create_task(queue.run())
        self.n = 0
        self.latencies: list[float] = []
        self.now = clock.now()

    @classmethod
    async def start(cls, path: Path, groups: int, members: int, seed: int) -> ChatLoad:
        db = await Database.open(path)
        clock = ManualClock(datetime(2026, 11, 28, 8, 0, tzinfo=DEFAULT_TZ))
        queue = OutboundQueue(_discard, clock, SendLimits.unlimited())
        svc = Services.build(db, Settings())
        # The outbox on: rows in the table, the sender records each send.
        app = App(svc, clock, queue, build_dispatcher())
        rng = random.Random(seed)
        rooms = [Group(f"g{g:03d}", members, rng) for g in range(groups)]
        for g in rooms:
            info = RoomInfo(g.room, g.room, "owner", (Member("owner", "团长"), *(Member(m, m) for m in g.members)))
            await app.on_event(RoomSeen(info))
        return cls(db, clock, svc, app, queue, rooms)

    async def say(self, room: str, member: str, text: str) -> None:
        self.n += 1
        self.now += timedelta(milliseconds=50)
        msg = Message(id=f"x{self.n}", ts=self.now, sender=Member(member, member), text=text, room_id=room)
        start = time.perf_counter()
        await self.app.on_event(msg)
        self.latencies.append(time.perf_counter() - start)

    async def play(self) -> None:
        """Every group's members, one message from each group in turn, until all have spoken."""
        live = list(self.rooms)
        while live:
            for g in list(live):
                nxt = g.next_text()
                if nxt is None:
                    live.remove(g)
                    continue
                await self.say(g.room, *nxt)

    async def drain(self) -> None:
        """Waits until everything said was handed to the (discarding) sender: part of the timed run."""
        await self.app.drain()
        await self.queue.drain(timeout=60)

    async def stop(self) -> None:
        await self.queue.stop()
        self.worker.cancel()


async def load(folder: Path, groups: int, members: int) -> tuple[int, list[float], float]:
    chat = await ChatLoad.start(folder / "load.sqlite", groups, members, 20261128)
    started = time.perf_counter()
    cpu_started = time.process_time()
    calls_before = chat.db.calls
    for g in chat.rooms:
        await chat.say(g.room, "owner", OPEN)
    await chat.play()
    await chat.drain()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    n = chat.n
    print(f"database round trips per message: {(chat.db.calls - calls_before) / n:.2f}")
    # CPU time of the whole process (both threads): steadier than msg/s on a shared machine.
    print(f"CPU time per message: {cpu / n * 1e6:.0f} µs ({n / cpu:.0f} msg per CPU second)")
    await chat.stop()
    summary_ms = 0.0
    campaign = await chat.svc.campaigns.open_in(chat.rooms[0].room)
    if campaign is not None:
        t = time.perf_counter()
        await summary_text(chat.svc, campaign)
        summary_ms = (time.perf_counter() - t) * 1000
    await chat.db.close()
    print(f"/汇总 on a campaign of {members} members: {summary_ms:.1f} ms")
    return n, chat.latencies, elapsed


async def big_summary(folder: Path, orders: int) -> float:
    """/汇总 on a campaign with `orders` orders (built with direct inserts)."""
    db = await Database.open(folder / "big.sqlite")
    svc = Services.build(db, Settings())
    async with db.transaction():
        await db.execute("INSERT INTO rooms (id, topic, owner_id) VALUES ('big', 'big', 'owner')")
        await db.execute("INSERT INTO campaigns (id, room_id, title, status, opened_at, created_by) "
                         "VALUES (1, 'big', '大团', 'open', '2026-11-28T08:00:00+08:00', 'owner')")
        await db.executemany("INSERT INTO products (id, campaign_id, position, name, price_cents, unit) "
                             "VALUES (?, 1, ?, ?, 3000, '盒')", [(i + 1, i, p) for i, p in enumerate(PRODUCTS)])
        await db.executemany(
            "INSERT INTO lines (id, campaign_id, member_id, source, key, created_at, updated_at) "
            "VALUES (?, 1, ?, 'copy', ?, '', '')", [(i, f"m{i}", f"k{i}") for i in range(1, orders + 1)])
        await db.executemany("INSERT INTO items (line_id, product_id, qty) VALUES (?, ?, ?)",
                             [(i, i % 3 + 1, 1 + i % 3) for i in range(1, orders + 1)])
    campaign = await svc.campaigns.get(1)
    assert campaign is not None
    t = time.perf_counter()
    await summary_text(svc, campaign)
    took = (time.perf_counter() - t) * 1000
    await db.close()
    return took


async def startup(folder: Path, orders: int, schedules: int) -> float:
    """Start-up (open, migrate, load templates, first due-work check) on a big database."""
    path = folder / "startup.sqlite"
    db = await Database.open(path)
    async with db.transaction():
        campaigns = orders // 1000
        await db.executemany(
            "INSERT INTO campaigns (id, room_id, title, status, opened_at, close_at, created_by) "
            "VALUES (?, ?, '团', ?, '2026-11-01T08:00:00+08:00', ?, 'owner')",
            [(c, f"r{c % 500}", "closed" if c < campaigns - 500 else "open",
              "2026-12-31T20:00:00+08:00" if c >= campaigns - 500 else None) for c in range(1, campaigns + 1)])
        await db.executemany(
            "INSERT INTO lines (id, campaign_id, member_id, source, key, created_at, updated_at) "
            "VALUES (?, ?, ?, 'text', ?, '', '')",
            [(i, i % campaigns + 1, f"m{i % 5000}", f"m{i % 5000}") for i in range(1, orders + 1)])
        await db.executemany(
            "INSERT INTO schedules (room_id, kind, run_at, run_at_utc, created_by, created_at) "
            "VALUES (?, 'interaction', ?, ?, 'owner', '')",
            [(f"r{s % 500}", "2026-12-20T08:00:00+08:00", "2026-12-20T00:00:00.000000") for s in range(schedules)])
    await db.close()
    t = time.perf_counter()
    db = await Database.open(path)
    svc = Services.build(db, Settings())
    await svc.load_owner_templates()
    clock = ManualClock(datetime(2026, 11, 28, 8, 0, tzinfo=DEFAULT_TZ))
    app = App(svc, clock, _discard, build_dispatcher())
    await app.advance(clock.now())
    took = time.perf_counter() - t
    await db.close()
    return took


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(quick: bool, load_only: bool = False) -> None:
    groups, members = (5, 40) if quick else (100, 300)
    print(f"python {sys.version.split()[0]}; {groups} groups x {members} members")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n, latencies, elapsed = await load(folder, groups, members)
        # The load's peak, before the start-up test builds a million rows in this process.
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = n / elapsed
        p50, p99, worst = statistics.median(latencies), _pct(latencies, 0.99), max(latencies)
        print(f"{n} messages in {elapsed:.1f} s: {rate:.0f} msg/s; latency median {p50 * 1000:.2f} ms, "
              f"p99 {p99 * 1000:.2f} ms, max {worst * 1000:.1f} ms")
        if not quick and not load_only:
            from bench.copy_cost import main as copy_cost

            await copy_cost(10)
            print(f"/汇总 on a campaign with 10,000 orders: {await big_summary(folder, 10_000):.1f} ms")
            print(f"start-up with 1,000,000 orders and 10,000 schedules: "
                  f"{await startup(folder, 1_000_000, 10_000):.2f} s")
            # One drop across 20 groups x 300 members, its 限量 racing from all of them (bench/drop_cost.py).
            from bench.drop_cost import run as drop

            await drop(folder, 20, 300, 3000)
    print(f"peak memory during the load: {rss_mb:.0f} MB")
    print(f"bench: {rate:.0f} msg/s, p99 {p99 * 1000:.1f} ms, rss {rss_mb:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run that only checks it works")
    parser.add_argument("--load-only", action="store_true", help="the full load, without the other measurements")
    args = parser.parse_args()
    asyncio.run(main(args.quick, args.load_only))
