"""What the after-the-drop exports cost on a campaign of 10,000 orders.

Builds the database quickly with direct INSERTs (schema from the real
migrations): one campaign, 10,000 members each with a live 接龙 line of one to
three products (a few thousand superseded lines too), labels with and without
a house number, payments, pickups and commission. Then prints the median time
of the three reports, the laid-out XLSX write (every sheet, as /导出 writes it)
and the /汇总 totals query. Targets on the 2-core CI machine: XLSX under 2 s,
totals under 100 ms.

    python bench/export_cost.py [--orders 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import DEFAULT_TZ
from bot.domain.lifecycle import summary_text
from bot.domain.reports import Reports, load_reports, member_list, packing_list, supplier_list
from bot.domain.services import Services, Settings
from bot.render.xlsx_export import SHEETS, WORKBOOK_TABLES, sheet_table, write_exports, write_workbook
from storage.db import Database

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=DEFAULT_TZ)
PRODUCTS = [("草莓", 3000, "盒", None), ("砂糖橘", 2500, "箱", 1500), ("车厘子", 9990, "斤", None)]


def _label(i: int, rng: random.Random) -> str:
    kind = i % 10
    if kind < 5:
        return f"{rng.randint(1, 30)}-{rng.randint(1, 33)}0{rng.randint(1, 4)} 团员{i}"
    if kind < 8:
        return f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}0{rng.randint(1, 4)} 团员{i} 138{i:08d}"
    return f"团员{i}"


def build(path: Path, orders: int) -> int:
    """The database with one campaign of `orders` member orders; returns the campaign id."""
    asyncio.run(_create_schema(path))
    rng = random.Random(7)
    stamp = NOW.isoformat()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO rooms (id, topic, owner_id) VALUES ('r1', '阳光花园', 'owner')")
        cid = conn.execute(
            "INSERT INTO campaigns (room_id, title, status, opened_at, closed_at, pickup, created_by, fulfilled, "
            "commission_bp) VALUES ('r1', '周六水果团', 'closed', ?, ?, ?, 'owner', 1, 1000)",
            (stamp, stamp, "东门快递柜 11-22 09:00-12:00"),
        ).lastrowid
        assert cid is not None
        product_ids = []
        for pos, (name, price, unit, bp) in enumerate(PRODUCTS):
            pid = conn.execute(
                "INSERT INTO products (campaign_id, position, name, price_cents, unit, commission_bp) "
                "VALUES (?, ?, ?, ?, ?, ?)", (cid, pos, name, price, unit, bp)).lastrowid
            assert pid is not None
            product_ids.append(pid)
        conn.executemany("INSERT INTO members (room_id, member_id, name) VALUES ('r1', ?, ?)",
                         [(f"wx{i}", f"团员{i}") for i in range(orders)])
        line_id = 0
        lines, items, fulfilment = [], [], []
        for i in range(orders):
            label = _label(i, rng)
            # Every fourth member edited her line once: the old one stays, not live.
            for live in ([0, 1] if i % 4 == 0 else [1]):
                line_id += 1
                lines.append((line_id, cid, f"wx{i}", "copy", f"k{line_id}", label, label, label, live, stamp, stamp))
                for pid in rng.sample(product_ids, rng.randint(1, 3)):
                    items.append((line_id, pid, rng.randint(1, 3)))
            if i % 2 == 0:
                collected = stamp if i % 4 == 0 else None
                fulfilment.append((cid, f"wx{i}", f"{i:05d}", collected, rng.choice([0, 3000, 8500]), stamp))
        conn.executemany(
            "INSERT INTO lines (id, campaign_id, member_id, source, key, label, label_key, raw, live, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
        conn.executemany("INSERT INTO items (line_id, product_id, qty) VALUES (?, ?, ?)", items)
        conn.executemany(
            "INSERT INTO fulfilment (campaign_id, member_id, pickup_code, collected_at, paid_cents, paid_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", fulfilment)
    conn.close()
    return int(cid)


async def _create_schema(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


async def _median(repeat: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Median wall time and CPU time: on a shared machine the CPU time is the steadier figure."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        await work()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _sheet_cost(reports: Reports, name: str, folder: Path, repeat: int) -> tuple[int, float]:
    """(cells written, median seconds) for one sheet alone: laid out and written."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        table = WORKBOOK_TABLES[name](reports, DEFAULT_TZ)
        write_workbook([table], folder / f"{name}.xlsx", "bench")
        times.append(time.perf_counter() - start)
    written = sheet_table(table)  # the columns the sheet keeps
    cells = sum(1 for row in (*written.rows, written.totals or ()) for v in row if v not in (None, ""))
    return cells, statistics.median(times)


async def measure(path: Path, cid: int, repeat: int, folder: Path) -> Path:
    """Prints the figures; returns the workbook /导出 wrote."""
    db = await Database.open(path)
    try:
        svc = Services.build(db, Settings())
        campaign = await svc.campaigns.get(cid)
        assert campaign is not None
        products = await svc.campaigns.products(cid)
        reports = await load_reports(db, cid)
        print(f"{len(reports.orders)} member orders, {sum(len(o.items) for o in reports.orders)} order items")
        figures = [
            ("supplier list", await _median(repeat, lambda: supplier_list(db, cid))),
            ("packing list", await _median(repeat, lambda: packing_list(db, cid))),
            ("member list", await _median(repeat, lambda: member_list(db, cid))),
            ("all three, from one reading", await _median(repeat, lambda: load_reports(db, cid))),
            ("xlsx, as /导出 writes it", await _median(repeat, lambda: write_exports(db, cid, folder, NOW))),
            ("/汇总 totals query", await _median(repeat * 4, lambda: svc.orders.totals(cid, products))),
            ("/汇总 whole reply", await _median(repeat * 4, lambda: summary_text(svc, campaign))),
        ]
        print(f"{'':32s} {'wall':>8s}    {'cpu':>8s}")
        for name, (wall, cpu) in figures:
            print(f"{name:32s} {wall * 1000:8.1f} ms {cpu * 1000:8.1f} ms")
        print("of which, per sheet (lay out and write):")
        for name in SHEETS:
            cells, seconds = await asyncio.to_thread(_sheet_cost, reports, name, folder, max(1, repeat // 2))
            print(f"  {name:30s} {seconds * 1000:8.1f} ms  {cells:7d} cells  "
                  f"{seconds / max(cells, 1) * 1e6:4.1f} µs/cell")
        return await write_exports(db, cid, folder, NOW)
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.sqlite"
        start = time.perf_counter()
        cid = build(path, args.orders)
        print(f"built {args.orders} orders in {time.perf_counter() - start:.1f} s")
        workbook = asyncio.run(measure(path, cid, args.repeat, Path(tmp) / "out"))
        print(f"workbook {workbook.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
