"""Benchmark: one drop across many groups, its 限量 stock racing from all of them.

20 groups of 300 members (fewer with --quick) get one drop from one /开团 with
`群 全部`; members post growing 接龙 copies and plain orders interleaved across
the groups, through the real pipeline on SQLite. Prints throughput and latency,
checks that the shared stock was never oversold, and times /汇总 of the drop
(all groups and each group). Last line: `drop: N msg/s, p99 X ms, 汇总 Y ms, oversold 0`.

    python bench/drop_cost.py            # 20 groups x 500 members (10,000 buyers)
    python bench/drop_cost.py --quick    # a small run that only shows it works
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ChatLoad, _pct
from bot.domain.lifecycle import summary_text


def opening(stock: int) -> str:
    return (f"/开团 周六鲜果团\n群 全部\nA. 丹东草莓 30元/盒 限量{stock}\nB. 砂糖橘 25元/箱\nC. 鸡蛋 15元/板\n"
            "截单 11-30 20:00")


async def run(folder: Path, groups: int, members: int, stock: int) -> None:
    """`stock`: the 限量 of 丹东草莓, well under what the members order, so they race for it."""
    chat = await ChatLoad.start(folder / "drop.sqlite", groups, members, 20261201)
    db, svc, rooms = chat.db, chat.svc, chat.rooms
    started = time.perf_counter()
    await chat.say(rooms[0].room, "owner", opening(stock))
    await chat.play()
    await chat.drain()
    elapsed = time.perf_counter() - started
    await chat.stop()
    n, latencies = chat.n, chat.latencies

    parts = await db.fetchone("SELECT COUNT(*) FROM campaigns WHERE drop_id IS NOT NULL")
    row = await db.fetchone(
        "SELECT COALESCE(SUM(i.qty), 0) FROM items i JOIN lines l ON l.id = i.line_id JOIN products p "
        "ON p.id = i.product_id WHERE l.live = 1 AND p.stock IS NOT NULL")
    sold = await db.fetchone("SELECT sold FROM products WHERE stock IS NOT NULL")
    waitlisted = await db.fetchone("SELECT COALESCE(SUM(qty), 0) FROM waitlist")
    ordered = int(row[0]) if row else 0
    oversold = max(ordered - stock, 0, int(sold[0]) - stock if sold else 0)
    campaign = await svc.campaigns.open_in(rooms[0].room)
    assert campaign is not None and parts is not None and sold is not None and waitlisted is not None
    t = time.perf_counter()
    await summary_text(svc, campaign)
    summary_ms = (time.perf_counter() - t) * 1000
    buyers = await db.fetchone("SELECT COUNT(DISTINCT member_id) FROM lines WHERE live = 1")
    await db.close()

    rate = n / elapsed
    p50, p99 = statistics.median(latencies), _pct(latencies, 0.99)
    print(f"{parts[0]} groups, {buyers[0] if buyers else 0} buyers; {n} messages in {elapsed:.1f} s: {rate:.0f} msg/s; "
          f"latency median {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    print(f"限量 {stock}: live {ordered}, sold counter {sold[0]}, waitlisted {waitlisted[0]}; oversold {oversold}")
    print(f"/汇总 of the whole drop: {summary_ms:.1f} ms")
    print(f"drop: {rate:.0f} msg/s, p99 {p99 * 1000:.1f} ms, 汇总 {summary_ms:.0f} ms, oversold {oversold}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    groups, members, stock = (3, 40, 100) if args.quick else (20, 500, 5000)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp), groups, members, stock))


if __name__ == "__main__":
    main()
