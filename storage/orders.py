"""Order lines, their items, the waitlist and the lines that need the owner.

Every query is bounded by the message at hand (its keys, one member's lines,
one product), never by the size of the campaign, except the reports
(totals, export) that exist to read the whole campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from storage.campaigns import product_from_row, ts
from storage.db import Database, Row
from storage.records import Line, MemberOrder, Product, ProductTotal, Unreadable


def _line(row: Row) -> Line:
    return Line(
        id=row["id"], campaign_id=row["campaign_id"], member_id=row["member_id"], source=row["source"],
        key=row["key"], label=row["label"], raw=row["raw"], live=bool(row["live"]),
        readable=bool(row["readable"]),
    )


class OrderRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Every 接龙 copy repeats the whole list, so each copy looks up every one
        # of its lines: a per-campaign index of copy lines by key answers that
        # without a query. Loaded once per campaign, kept in step by add_line
        # and set_live, dropped on a rollback.
        self._index: dict[int, dict[str, list[Line]]] = {}
        # Name, unit, stock and limits never change after the drop.
        self._products: dict[int, Product] = {}
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._index.clear()
        self._products.clear()

    async def copy_index(self, campaign_id: int) -> dict[str, list[Line]]:
        """Copy lines of the campaign by key, oldest first. Read-only for callers."""
        index = self._index.get(campaign_id)
        if index is None:
            index = {}
            rows = await self.db.fetchall(
                "SELECT * FROM lines WHERE campaign_id = ? AND source = 'copy' ORDER BY id", (campaign_id,))
            for row in rows:
                line = _line(row)
                index.setdefault(line.key, []).append(line)
            self._index[campaign_id] = index
        return index

    async def copy_lines_by_keys(self, campaign_id: int, keys: Sequence[str]) -> list[Line]:
        """The campaign's 接龙 copy lines with these keys, oldest first."""
        index = await self.copy_index(campaign_id)
        found = [line for key in dict.fromkeys(keys) for line in index.get(key, ())]
        found.sort(key=lambda line: line.id)
        return found

    async def member_lines(self, campaign_id: int, member_id: str, source: str | None = None) -> list[Line]:
        if source is None:
            rows = await self.db.fetchall(
                "SELECT * FROM lines WHERE campaign_id = ? AND member_id = ? ORDER BY id", (campaign_id, member_id)
            )
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM lines WHERE campaign_id = ? AND member_id = ? AND source = ? ORDER BY id",
                (campaign_id, member_id, source),
            )
        return [_line(r) for r in rows]

    async def live_lines(self, campaign_id: int, source: str) -> list[Line]:
        rows = await self.db.fetchall(
            "SELECT * FROM lines WHERE campaign_id = ? AND source = ? AND live = 1 ORDER BY id",
            (campaign_id, source),
        )
        return [_line(r) for r in rows]

    async def lines_with_label(self, campaign_id: int, label_key: str) -> list[Line]:
        rows = await self.db.fetchall(
            "SELECT * FROM lines WHERE campaign_id = ? AND label_key = ? AND live = 1", (campaign_id, label_key)
        )
        return [_line(r) for r in rows]

    async def add_line(self, campaign_id: int, member_id: str, source: str, key: str, label: str,
                       label_key: str, raw: str, readable: bool, message_id: str, now: datetime) -> int:
        stamp = ts(now)
        line_id = await self.db.execute(
            "INSERT INTO lines (campaign_id, member_id, source, key, label, label_key, raw, live, readable, "
            "message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (campaign_id, member_id, source, key, label, label_key, raw, int(readable), message_id, stamp, stamp),
        )
        if source != "text":
            await self.db.execute("UPDATE campaigns SET live_lines = live_lines + 1 WHERE id = ?", (campaign_id,))
        index = self._index.get(campaign_id) if source == "copy" else None
        if index is not None:
            index.setdefault(key, []).append(Line(line_id, campaign_id, member_id, source, key, label, raw, True,
                                                  readable))
        return line_id

    async def set_live(self, line: Line, live: bool, now: datetime) -> None:
        if line.live == live:
            return
        await self.db.execute(
            "UPDATE lines SET live = ?, updated_at = ? WHERE id = ?", (int(live), ts(now), line.id)
        )
        if line.source != "text":
            await self.db.execute(
                "UPDATE campaigns SET live_lines = live_lines + ? WHERE id = ?",
                (1 if live else -1, line.campaign_id),
            )
        index = self._index.get(line.campaign_id) if line.source == "copy" else None
        if index is not None:
            index[line.key] = [replace(x, live=live) if x.id == line.id else x for x in index.get(line.key, [])]

    async def items(self, line_id: int) -> dict[int, int]:
        rows = await self.db.fetchall("SELECT product_id, qty FROM items WHERE line_id = ?", (line_id,))
        return {int(r["product_id"]): int(r["qty"]) for r in rows}

    async def set_item(self, line_id: int, product_id: int, qty: int) -> None:
        await self.db.execute(
            "INSERT INTO items (line_id, product_id, qty) VALUES (?, ?, ?) "
            "ON CONFLICT (line_id, product_id) DO UPDATE SET qty = excluded.qty",
            (line_id, product_id, qty),
        )

    async def member_product_qty(self, campaign_id: int, member_id: str, product_id: int) -> int:
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(i.qty), 0) FROM items i JOIN lines l ON l.id = i.line_id "
            "WHERE l.campaign_id = ? AND l.member_id = ? AND l.live = 1 AND i.product_id = ?",
            (campaign_id, member_id, product_id),
        )
        return int(row[0]) if row else 0

    async def product(self, product_id: int) -> Product:
        """The product's fixed facts; its `sold` is as of the first read (see sold_of)."""
        if product_id not in self._products:
            row = await self.db.fetchone("SELECT * FROM products WHERE id = ?", (product_id,))
            assert row is not None
            self._products[product_id] = product_from_row(row)
        return self._products[product_id]

    async def sold_of(self, product_id: int) -> int:
        row = await self.db.fetchone("SELECT sold FROM products WHERE id = ?", (product_id,))
        return int(row[0]) if row else 0

    async def add_sold(self, product_id: int, delta: int) -> None:
        await self.db.execute("UPDATE products SET sold = sold + ? WHERE id = ?", (delta, product_id))

    async def add_waitlist(self, campaign_id: int, product_id: int, member_id: str, qty: int,
                           message_id: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO waitlist (campaign_id, product_id, member_id, qty, message_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (campaign_id, product_id, member_id, qty, message_id, ts(now)),
        )

    async def add_unreadable(self, campaign_id: int, member_id: str, name: str, text: str, reason: str,
                             message_id: str, now: datetime, line_id: int | None = None) -> None:
        await self.db.execute(
            "INSERT INTO unreadable (campaign_id, member_id, name, text, reason, line_id, message_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, member_id, name, text[:500], reason, line_id, message_id, ts(now)),
        )

    async def unreadable(self, campaign_id: int) -> list[Unreadable]:
        rows = await self.db.fetchall(
            "SELECT u.member_id, u.name, u.text, u.reason FROM unreadable u "
            "LEFT JOIN lines l ON l.id = u.line_id "
            "WHERE u.campaign_id = ? AND (u.line_id IS NULL OR l.live = 1) ORDER BY u.id",
            (campaign_id,),
        )
        return [Unreadable(r["member_id"], r["name"], r["text"], r["reason"]) for r in rows]

    async def member_order(self, campaign_id: int, member_id: str, name: str,
                           products: Sequence[Product], *, with_label: bool = True) -> MemberOrder:
        rows = await self.db.fetchall(
            "SELECT i.product_id, SUM(i.qty) AS qty FROM items i JOIN lines l ON l.id = i.line_id "
            "WHERE l.campaign_id = ? AND l.member_id = ? AND l.live = 1 GROUP BY i.product_id",
            (campaign_id, member_id),
        )
        qty = {int(r["product_id"]): int(r["qty"]) for r in rows}
        label_row = await self.db.fetchone(
            "SELECT label FROM lines WHERE campaign_id = ? AND member_id = ? AND live = 1 AND label != '' "
            "ORDER BY id DESC LIMIT 1",
            (campaign_id, member_id),
        ) if with_label else None
        items = tuple((p, qty[p.id]) for p in products if qty.get(p.id, 0) > 0)
        label = str(label_row["label"]) if label_row else name
        return MemberOrder(member_id, name, label, items)

    async def totals(self, campaign_id: int, products: Sequence[Product]) -> tuple[list[ProductTotal], int]:
        """Per-product live quantities and the number of buyers."""
        rows = await self.db.fetchall(
            "SELECT i.product_id, SUM(i.qty) AS qty FROM items i JOIN lines l ON l.id = i.line_id "
            "WHERE l.campaign_id = ? AND l.live = 1 GROUP BY i.product_id",
            (campaign_id,),
        )
        qty = {int(r["product_id"]): int(r["qty"]) for r in rows}
        buyers = await self.db.fetchone(
            "SELECT COUNT(DISTINCT l.member_id) FROM items i JOIN lines l ON l.id = i.line_id "
            "WHERE l.campaign_id = ? AND l.live = 1 AND i.qty > 0",
            (campaign_id,),
        )
        return [ProductTotal(p, qty.get(p.id, 0)) for p in products], int(buyers[0]) if buyers else 0

    async def orders(self, campaign_id: int, products: Sequence[Product]) -> list[MemberOrder]:
        """Every member's live order, in the order members first ordered."""
        by_id = {p.id: p for p in products}
        rows = await self.db.fetchall(
            "SELECT l.member_id, i.product_id, SUM(i.qty) AS qty, MIN(l.id) AS first_line, "
            "COALESCE(m.name, l.member_id) AS name FROM items i JOIN lines l ON l.id = i.line_id "
            "JOIN campaigns c ON c.id = l.campaign_id "
            "LEFT JOIN members m ON m.room_id = c.room_id AND m.member_id = l.member_id "
            "WHERE l.campaign_id = ? AND l.live = 1 GROUP BY l.member_id, i.product_id HAVING SUM(i.qty) > 0",
            (campaign_id,),
        )
        labels = await self.db.fetchall(
            "SELECT member_id, label FROM lines WHERE campaign_id = ? AND live = 1 AND label != '' ORDER BY id",
            (campaign_id,),
        )
        label_of = {str(r["member_id"]): str(r["label"]) for r in labels}
        grouped: dict[str, tuple[int, str, list[tuple[Product, int]]]] = {}
        for r in rows:
            member = str(r["member_id"])
            first, name, items = grouped.get(member, (int(r["first_line"]), str(r["name"]), []))
            items.append((by_id[int(r["product_id"])], int(r["qty"])))
            grouped[member] = (min(first, int(r["first_line"])), name, items)
        out = []
        for member, (_, name, items) in sorted(grouped.items(), key=lambda kv: kv[1][0]):
            items.sort(key=lambda pq: pq[0].position)
            out.append(MemberOrder(member, name, label_of.get(member, name), tuple(items)))
        return out

    async def claim(self, message_id: str, now: datetime) -> bool:
        """Records the message as handled; False when it already was (a re-delivery).
        Inside the message's transaction, so a failure un-claims it."""
        return await self.db.execute_count(
            "INSERT OR IGNORE INTO processed (message_id, ts) VALUES (?, ?)", (message_id, ts(now))) == 1
