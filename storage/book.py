"""The whole live order book in one reading, for the after-the-drop reports.

A handful of queries whatever the campaign's size; bot/domain/reports.py turns
the result into the reports without touching the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from storage.aftersales import AfterSalesRepo
from storage.campaigns import campaign_from_row, product_from_row
from storage.db import Database
from storage.fulfilment import fulfilment_from_row
from storage.records import Book, BookOrder, Campaign, Fulfilment, ItemRow, KeptPrice


class PickupMarks(NamedTuple):
    """A pickup list's state in brief (BookRepo.pickup_marks): equal readings, nothing to redraw."""

    picked: dict[tuple[int, str], tuple[str, str]]  # (campaign, member) -> (pickup code, collected at)
    taken: dict[tuple[int, str], tuple[tuple[int, int], ...]]  # -> ((product, quantity), ...) of a partial pickup
    orders: tuple[int, ...]  # live lines, the newest line, a weighted sum of quantities


def _where(ids: tuple[int, ...] | None, column: str) -> tuple[str, tuple[int, ...]]:
    if ids is None:
        return "", ()
    return f" AND {column} IN ({', '.join('?' * len(ids))})", ids


class BookRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _ids(self, campaign_id: int | None) -> tuple[int, ...] | None:
        """The campaigns one reading covers: all (None), or the campaign with every group's part of its drop."""
        if campaign_id is None:
            return None
        row = await self.db.fetchone("SELECT drop_id FROM campaigns WHERE id = ?", (campaign_id,))
        if row is None or row[0] is None:
            return (campaign_id,)
        rows = await self.db.fetchall("SELECT id FROM campaigns WHERE drop_id = ? ORDER BY id", (int(row[0]),))
        return tuple(int(r[0]) for r in rows)

    async def read(self, campaign_id: int | None = None) -> Book:
        """One campaign's book (a drop's: every group's part), or every campaign's; no campaigns when the
        id is not there."""
        ids = await self._ids(campaign_id)
        cond, args = _where(ids, "id")
        campaigns = tuple(campaign_from_row(r) for r in await self.db.fetchall(
            f"SELECT * FROM campaigns WHERE 1{cond} ORDER BY id", args))
        if not campaigns:
            return Book((), (), (), ())
        cond, args = _where(ids, "campaign_id")
        products = tuple(product_from_row(r) for r in await self.db.fetchall(
            f"SELECT * FROM products WHERE 1{cond} ORDER BY campaign_id, position", args))
        cond, args = _where(ids, "campaign_id")
        waiting = tuple((int(r[0]), int(r[1])) for r in await self.db.fetchall(
            f"SELECT product_id, SUM(qty) FROM waitlist WHERE qty > 0{cond} GROUP BY product_id", args))
        after = AfterSalesRepo(self.db)
        return Book(campaigns, products, await self._orders(ids), await self._fulfilment(ids), waiting,
                    await self._groups(campaigns), await self._partners(), await self._kept(ids),
                    tuple(await after.refunds(ids)), tuple(await after.refund_payments(ids)),
                    tuple(await after.claims(ids)), await self._names(ids),
                    tuple(await after.replacements(sorted({c.room_id for c in campaigns}))))

    async def _names(self, ids: tuple[int, ...] | None) -> dict[tuple[int, str], str]:
        """The names of members with a refund (one cut to nothing by 缺货 has no order to name her)."""
        cond, args = _where(ids, "r.campaign_id")
        return {(int(r[0]), str(r[1])): str(r[2]) for r in await self.db.fetchall(
            "SELECT DISTINCT r.campaign_id, r.member_id, COALESCE(m.name, r.member_id) FROM refunds r "
            "JOIN campaigns c ON c.id = r.campaign_id "
            f"LEFT JOIN members m ON m.room_id = c.room_id AND m.member_id = r.member_id WHERE 1{cond}", args)}

    async def _orders(self, ids: tuple[int, ...] | None) -> tuple[BookOrder, ...]:
        # The same reading as OrderRepo.orders (live lines, per member and product, only
        # quantities above zero, the member's latest label), over every campaign at once.
        cond, args = _where(ids, "l.campaign_id")
        rows = await self.db.fetchall(
            "SELECT l.campaign_id, l.member_id, i.product_id, SUM(i.qty) AS qty, MIN(l.id) AS first_line, "
            "COALESCE(m.name, l.member_id) AS name FROM items i JOIN lines l ON l.id = i.line_id "
            "JOIN campaigns c ON c.id = l.campaign_id "
            "LEFT JOIN members m ON m.room_id = c.room_id AND m.member_id = l.member_id "
            f"WHERE l.live = 1{cond} GROUP BY l.campaign_id, l.member_id, i.product_id HAVING SUM(i.qty) > 0",
            args,
        )
        cond, args = _where(ids, "campaign_id")
        label_of = {
            (int(r["campaign_id"]), str(r["member_id"])): str(r["label"])
            for r in await self.db.fetchall(
                f"SELECT campaign_id, member_id, label FROM lines WHERE live = 1 AND label != ''{cond} ORDER BY id",
                args)
        }
        grouped: dict[tuple[int, str], tuple[int, str, list[ItemRow]]] = {}
        for r in rows:
            key = (int(r["campaign_id"]), str(r["member_id"]))
            first, name, items = grouped.get(key, (int(r["first_line"]), str(r["name"]), []))
            items.append(ItemRow(int(r["product_id"]), int(r["qty"])))
            grouped[key] = (min(first, int(r["first_line"])), name, items)
        return tuple(
            BookOrder(cid, member, name, label_of.get((cid, member), name), tuple(items), first)
            for (cid, member), (first, name, items) in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[1][0]))
        )

    async def _kept(self, ids: tuple[int, ...] | None) -> dict[tuple[int, str], tuple[KeptPrice, ...]]:
        cond, args = _where(ids, "campaign_id")
        kept: dict[tuple[int, str], list[KeptPrice]] = {}
        for r in await self.db.fetchall(
                f"SELECT campaign_id, member_id, product_id, qty, price_cents FROM kept_prices WHERE 1{cond} "
                "ORDER BY id", args):
            kept.setdefault((int(r[0]), str(r[1])), []).append(KeptPrice(int(r[2]), int(r[3]), int(r[4])))
        return {k: tuple(v) for k, v in kept.items()}

    async def _fulfilment(self, ids: tuple[int, ...] | None) -> tuple[tuple[Fulfilment, str], ...]:
        cond, args = _where(ids, "f.campaign_id")
        return tuple(
            (fulfilment_from_row(r), str(r["name"]))
            for r in await self.db.fetchall(
                "SELECT f.*, COALESCE(m.name, f.member_id) AS name FROM fulfilment f "
                "JOIN campaigns c ON c.id = f.campaign_id "
                f"LEFT JOIN members m ON m.room_id = c.room_id AND m.member_id = f.member_id WHERE 1{cond}",
                args,
            )
        )

    async def _groups(self, campaigns: tuple[Campaign, ...]) -> dict[str, str]:
        """The names of the groups a drop among `campaigns` is sold in."""
        rooms = {c.room_id for c in campaigns if c.drop_id is not None}
        return {str(r["id"]): str(r["topic"] or r["id"]) for r in await self.db.fetchall(
            "SELECT id, topic FROM rooms WHERE id IN (SELECT room_id FROM campaigns WHERE drop_id IS NOT NULL)")
            if str(r["id"]) in rooms}

    async def _partners(self) -> dict[str, tuple[tuple[str, str, int], ...]]:
        partners: dict[str, list[tuple[str, str, int]]] = {}
        for r in await self.db.fetchall(
                "SELECT p.room_id, p.member_id, p.commission_bp, COALESCE(m.name, p.member_id) AS name "
                "FROM partners p LEFT JOIN members m ON m.room_id = p.room_id AND m.member_id = p.member_id "
                "ORDER BY p.rowid"):
            partners.setdefault(str(r["room_id"]), []).append(
                (str(r["member_id"]), str(r["name"]), int(r["commission_bp"])))
        return {k: tuple(v) for k, v in partners.items()}

    async def buyers_before(self, room_id: str, campaign_id: int) -> set[str]:
        """Members with a live order in the group's campaigns before this one (for the repeat rate)."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT l.member_id FROM lines l JOIN campaigns c ON c.id = l.campaign_id "
            "JOIN items i ON i.line_id = l.id WHERE c.room_id = ? AND c.id < ? AND l.live = 1 AND i.qty > 0",
            (room_id, campaign_id),
        )
        return {str(r["member_id"]) for r in rows}


    async def first_orders(self, campaign_ids: tuple[int, ...]) -> list[tuple[int, str, datetime]]:
        """(campaign id, member id, when her live order began) for every buyer of these campaigns:
        the owner's chart of orders over time."""
        if not campaign_ids:
            return []
        cond, args = _where(campaign_ids, "l.campaign_id")
        rows = await self.db.fetchall(
            "SELECT l.campaign_id, l.member_id, MIN(l.created_at) AS at FROM lines l JOIN items i ON i.line_id = l.id "
            f"WHERE l.live = 1 AND i.qty > 0{cond} GROUP BY l.campaign_id, l.member_id", args)
        return [(int(r["campaign_id"]), str(r["member_id"]), datetime.fromisoformat(r["at"])) for r in rows]

    async def pickup_marks(self, campaign_ids: tuple[int, ...]) -> PickupMarks:
        """In one trip, what an open pickup page compares to learn what changed: per buyer her code and
        when she collected, what a partial pickup handed over, and a checksum of the live orders."""
        if not campaign_ids:
            return PickupMarks({}, {}, ())
        cond, args = _where(campaign_ids, "campaign_id")
        lcond, largs = _where(campaign_ids, "l.campaign_id")
        picked, taken, orders = await self.db.fetch_each([
            (f"SELECT campaign_id, member_id, pickup_code, collected_at FROM fulfilment WHERE 1{cond}", args),
            (f"SELECT campaign_id, member_id, product_id, qty FROM collected_items WHERE 1{cond} "
             "ORDER BY campaign_id, member_id, product_id", args),
            ("SELECT COUNT(*), COALESCE(MAX(l.id), 0), COALESCE(SUM(i.qty * (l.id % 9973 + i.product_id % 997 + 1)), 0)"
             f" FROM items i JOIN lines l ON l.id = i.line_id WHERE l.live = 1{lcond}", largs),
        ])
        marks = {(int(r[0]), str(r[1])): (str(r[2] or ""), str(r[3] or "")) for r in picked}
        parts: dict[tuple[int, str], list[tuple[int, int]]] = {}
        for r in taken:
            parts.setdefault((int(r[0]), str(r[1])), []).append((int(r[2]), int(r[3])))
        return PickupMarks(marks, {k: tuple(v) for k, v in parts.items()}, tuple(int(x) for x in orders[0]))
