"""What one more 接龙 copy costs: read it and apply it to the order book.

Drives the real pipeline (App, SQLite on disk, templates) with a transport that
discards what the bot says. Prints, for lists of 50, 200 and 500 lines, the
median and p90 time to handle one more copy; and the same 50-line copy in a
campaign that first saw 5,000 other messages, to show that the cost follows
the message, not the campaign's history. Wall time, and CPU time (of the whole
process, SQLite's thread included): on a shared machine the CPU time is the
figure to compare, as other work stretches the wall time.

    python bench/copy_cost.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.pipeline import App
from bot.clock import DEFAULT_TZ, ManualClock
from bot.domain.services import Services, Settings
from bot.models import Member, Message, Outgoing, RoomInfo, RoomSeen
from bot.routers import build_dispatcher
from storage.db import Database

HEADER = "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n例：楼栋-房号 姓名 商品数量\n\n"
OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱"


async def _discard(out: Outgoing) -> None:
    pass


class Bench:
    def __init__(self, db: Database) -> None:
        self.clock = ManualClock(datetime(2026, 11, 20, 8, 0, tzinfo=DEFAULT_TZ))
        self.app = App(Services.build(db, Settings()), self.clock, _discard, build_dispatcher())
        self.n = 0
        self.lines: list[str] = []

    async def say(self, member: str, text: str) -> tuple[float, float]:
        """(wall, CPU) seconds the bot took over the message."""
        self.n += 1
        ts = self.clock.now() + timedelta(seconds=1)
        msg = Message(id=f"b{self.n}", ts=ts, sender=Member(member, member), text=text, room_id="r1")
        start, cpu = time.perf_counter(), time.process_time()
        await self.app.on_event(msg)
        return time.perf_counter() - start, time.process_time() - cpu

    async def grow(self, to: int) -> None:
        while len(self.lines) < to:
            i = len(self.lines)
            self.lines.append(f"{i % 30 + 1}-{1000 + i} 团员{i} 草莓{i % 3 + 1}盒")
            await self.say(f"m{i}", HEADER + "\n".join(f"{k}. {e}" for k, e in enumerate(self.lines, 1)))

    async def one_more(self) -> tuple[float, float]:
        await self.grow(len(self.lines))
        i = len(self.lines)
        self.lines.append(f"{i % 30 + 1}-{1000 + i} 团员{i} 砂糖橘1箱")
        return await self.say(f"m{i}", HEADER + "\n".join(f"{k}. {e}" for k, e in enumerate(self.lines, 1)))


async def _setup(folder: Path, name: str) -> tuple[Database, Bench]:
    db = await Database.open(folder / f"{name}.sqlite")
    bench = Bench(db)
    await bench.app.on_event(RoomSeen(RoomInfo("r1", "bench", "owner", (Member("owner", "团长"),))))
    await bench.say("owner", OPEN)
    return db, bench


def _ms(samples: list[tuple[float, float]]) -> str:
    wall = sorted(w for w, _ in samples)
    p90 = wall[int(0.9 * (len(wall) - 1))]
    cpu = statistics.median(c for _, c in samples)
    return f"median {statistics.median(wall) * 1000:6.2f} ms, p90 {p90 * 1000:6.2f} ms, CPU median {cpu * 1000:6.2f} ms"


async def main(repeat: int) -> None:
    print(f"python {sys.version.split()[0]}, one more copy, {repeat} samples each")
    results: dict[int, float] = {}  # size → median wall seconds
    cpu: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in (50, 200, 500):
            db, bench = await _setup(folder, f"size{size}")
            await bench.grow(size - repeat)
            samples = [await bench.one_more() for _ in range(repeat)]
            results[size] = statistics.median(w for w, _ in samples)
            cpu[size] = statistics.median(c for _, c in samples)
            print(f"copy of ~{size:3d} lines: {_ms(samples)}, {results[size] / size * 1e6:5.1f} µs/line")
            await db.close()

        db, bench = await _setup(folder, "history")
        # 5,000 messages of history: plain orders, changes and cancellations by 2,500 members.
        for i in range(2500):
            await bench.say(f"h{i}", "草莓2盒")
            await bench.say(f"h{i}", "取消" if i % 2 else "砂糖橘1箱")
        await bench.grow(50 - repeat)
        samples = [await bench.one_more() for _ in range(repeat)]
        print(f"copy of ~ 50 lines after 5,000 other messages: {_ms(samples)}")
        await db.close()
    growth = results[500] / results[50]
    print(f"bench: 500-line copy {results[500] * 1000:.1f} ms, 50-line copy {results[50] * 1000:.1f} ms, "
          f"ratio {growth:.1f} for 10x the lines; CPU {cpu[500] * 1000:.2f} ms and {cpu[50] * 1000:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    asyncio.run(main(parser.parse_args().repeat))
