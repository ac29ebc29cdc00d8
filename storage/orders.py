"""Order lines, their items, the waitlist, the lines that need the owner and the questions to members.

A campaign's lines and items are read once and then answered from memory
(storage/order_state.py), so a message costs what the message holds, never
what the campaign holds; only the reports (totals, export), which exist to
read the whole campaign, query it whole.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from storage.campaigns import product_from_row, ts
from storage.db import Database, Row
from storage.order_state import CampaignLines
from storage.records import (
    CopyKeys,
    KeptPrice,
    Line,
    MemberOrder,
    OpenQuestion,
    OrderItem,
    PricedItem,
    Product,
    ProductTotal,
    Unreadable,
    priced_item,
)


def _line(row: Row) -> Line:
    return Line(
        id=row["id"], campaign_id=row["campaign_id"], member_id=row["member_id"], source=row["source"],
        key=row["key"], label=row["label"], raw=row["raw"], live=bool(row["live"]),
        readable=bool(row["readable"]),
    )


class OrderRepo:
    # Campaigns kept in memory at once; older ones are read again when asked.
    KEEP = 256

    def __init__(self, db: Database) -> None:
        self.db = db
        # Every 接龙 copy repeats the whole list and every acknowledgement reads
        # her order: a campaign's lines and items are held in memory (see
        # storage/order_state.py), kept in step by every write below and
        # dropped on a rollback, so a message costs one trip to the database.
        self._states: OrderedDict[int, CampaignLines] = OrderedDict()
        # Name, unit, stock and limits never change after the drop.
        self._products: dict[int, Product] = {}
        self._sold: dict[int, int] = {}
        # Line and check-list ids are given here, not by SQLite (INSERT ... RETURNING):
        # the message that makes a line uses its id at once (its items, the cache,
        # a check-list entry about it), and a check-list number goes into the reply
        # the same transaction writes. Asking SQLite would be a trip per new line:
        # bench/run.py makes 0.97 lines a message, so nearly two trips a message
        # instead of one. One process writes this database, and the ids are what
        # SQLite would give (MAX(id) + 1).
        # Ids wanted only after the commit (outbox rows) are SQLite's: Database.write_returning.
        self._next_line_id: int | None = None
        # A drop's parts (one campaign per group) are all created when it opens.
        self._parts: dict[int, list[int]] = {}
        self._next_check_id: int | None = None
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._states.clear()
        self._products.clear()
        self._sold.clear()
        self._next_line_id = None
        self._parts.clear()
        self._next_check_id = None

    async def _state(self, campaign_id: int) -> CampaignLines:
        state = self._states.get(campaign_id)
        if state is not None:
            self._states.move_to_end(campaign_id)
            return state
        lines, items, kept = await self.db.fetch_each([
            ("SELECT * FROM lines WHERE campaign_id = ? ORDER BY id", (campaign_id,)),
            ("SELECT i.line_id, i.product_id, i.qty FROM items i JOIN lines l ON l.id = i.line_id "
             "WHERE l.campaign_id = ?", (campaign_id,)),
            ("SELECT member_id, product_id, qty, price_cents FROM kept_prices WHERE campaign_id = ? ORDER BY id",
             (campaign_id,)),
        ])
        state = CampaignLines.load(
            campaign_id, ((_line(r), str(r["label_key"])) for r in lines),
            ((int(r[0]), int(r[1]), int(r[2])) for r in items))
        for r in kept:
            state.kept.setdefault(str(r[0]), []).append(KeptPrice(int(r[1]), int(r[2]), int(r[3])))
        self._states[campaign_id] = state
        while len(self._states) > self.KEEP:
            self._states.popitem(last=False)
        return state

    async def copy_index(self, campaign_id: int) -> CopyKeys:
        """Copy lines of the campaign by key, oldest first, with the keys of one line. Read-only for callers."""
        state = await self._state(campaign_id)
        return CopyKeys(state.by_key, state.single, state.live_single)

    async def live_shared(self, campaign_id: int) -> int:
        """Live 接龙 lines (copy and native) of the campaign."""
        return (await self._state(campaign_id)).live_shared

    async def live_count(self, campaign_id: int) -> int:
        """Live 接龙 lines of the campaign, for a template that shows them: from memory when
        the campaign is held there, else counted (without reading the campaign whole)."""
        state = self._states.get(campaign_id)
        if state is not None:
            return state.live_shared
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM lines WHERE campaign_id = ? AND live = 1 AND source != 'text'", (campaign_id,))
        return int(row[0]) if row else 0

    async def copy_lines_by_keys(self, campaign_id: int, keys: Sequence[str]) -> list[Line]:
        """The campaign's 接龙 copy lines with these keys, oldest first."""
        index = (await self.copy_index(campaign_id)).by_key
        found = [line for key in dict.fromkeys(keys) for line in index.get(key, ())]
        found.sort(key=lambda line: line.id)
        return found

    async def member_lines(self, campaign_id: int, member_id: str, source: str | None = None) -> list[Line]:
        return (await self._state(campaign_id)).member_lines(member_id, source)

    async def live_lines(self, campaign_id: int, source: str) -> list[Line]:
        return list((await self._state(campaign_id)).live(source))

    async def lines_with_label(self, campaign_id: int, label_key: str) -> list[Line]:
        return (await self._state(campaign_id)).live_with_label(label_key)

    async def members_at(self, campaign_id: int, house: str) -> set[str]:
        return (await self._state(campaign_id)).members_at(house)

    async def add_line(self, *, campaign_id: int, member_id: str, source: str, key: str, message_id: str,
                       now: datetime, label: str = "", label_key: str = "", raw: str = "",
                       readable: bool = True) -> int:
        """A new live line; returns its id. `source`: 'copy' or 'native' (a 接龙 line, `key` its
        content key) or 'text' (her plain orders, `key` her member id)."""
        state = await self._state(campaign_id)
        if self._next_line_id is None:
            row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) + 1 FROM lines")
            self._next_line_id = int(row[0]) if row else 1
        line_id, self._next_line_id = self._next_line_id, self._next_line_id + 1
        stamp = ts(now)
        self.db.write(
            "INSERT INTO lines (id, campaign_id, member_id, source, key, label, label_key, raw, live, readable, "
            "message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (line_id, campaign_id, member_id, source, key, label, label_key, raw, int(readable), message_id,
             stamp, stamp),
        )
        state.add(Line(line_id, campaign_id, member_id, source, key, label, raw, True, readable), label_key)
        return line_id

    async def set_live(self, line: Line, live: bool, now: datetime) -> None:
        state = await self._state(line.campaign_id)
        if state.line(line.id).live == live:
            return
        self.db.write("UPDATE lines SET live = ?, updated_at = ? WHERE id = ?", (int(live), ts(now), line.id))
        state.set_live(line.id, live)

    async def line_live(self, campaign_id: int, line_id: int) -> bool:
        return (await self._state(campaign_id)).line(line_id).live

    async def items(self, campaign_id: int, line_id: int) -> dict[int, int]:
        return (await self._state(campaign_id)).items(line_id)

    async def set_item(self, campaign_id: int, line_id: int, product_id: int, qty: int) -> None:
        state = await self._state(campaign_id)
        self.db.write(
            "INSERT INTO items (line_id, product_id, qty) VALUES (?, ?, ?) "
            "ON CONFLICT (line_id, product_id) DO UPDATE SET qty = excluded.qty",
            (line_id, product_id, qty),
        )
        state.set_item(line_id, product_id, qty)

    async def member_product_qty(self, campaign_id: int, member_id: str, product_id: int) -> int:
        return (await self._state(campaign_id)).member_totals(member_id).get(product_id, 0)

    async def drop_product_qty(self, drop_id: int, member_id: str, product_id: int) -> int:
        """Her live quantity of the product in every group's part of the drop (限购 is per member, not per group)."""
        parts = self._parts.get(drop_id)
        if parts is None:
            rows = await self.db.fetchall("SELECT id FROM campaigns WHERE drop_id = ? ORDER BY id", (drop_id,))
            parts = self._parts[drop_id] = [int(r[0]) for r in rows]
        return sum([await self.member_product_qty(cid, member_id, product_id) for cid in parts])

    async def drop_buyers(self, campaign_ids: Sequence[int]) -> int:
        """Members with a live order in any of these campaigns (a drop's parts): one member, one buyer."""
        marks = ", ".join("?" * len(campaign_ids))
        row = await self.db.fetchone(
            "SELECT COUNT(DISTINCT l.member_id) FROM items i JOIN lines l ON l.id = i.line_id "
            f"WHERE l.campaign_id IN ({marks}) AND l.live = 1 AND i.qty > 0", tuple(campaign_ids))
        return int(row[0]) if row else 0
    async def ordered_since(self, campaign_id: int, since: datetime) -> list[str]:
        """The members whose readable live lines changed since `since`, latest first ("我也要")."""
        rows = await self.db.fetchall(
            "SELECT member_id, MAX(updated_at) AS at FROM lines WHERE campaign_id = ? AND updated_at >= ? "
            "AND live = 1 AND readable = 1 GROUP BY member_id ORDER BY at DESC LIMIT 5", (campaign_id, ts(since)))
        return [str(r["member_id"]) for r in rows]

    async def member_order_qty(self, campaign_id: int, member_id: str) -> dict[int, int]:
        """Her live quantity of each product."""
        return (await self._state(campaign_id)).member_totals(member_id)

    async def product(self, product_id: int) -> Product:
        """The product's fixed facts; its `sold` is as of the first read (see sold_of)."""
        if product_id not in self._products:
            row = await self.db.fetchone("SELECT * FROM products WHERE id = ?", (product_id,))
            assert row is not None
            self._products[product_id] = product_from_row(row)
        return self._products[product_id]

    async def sold_of(self, product_id: int) -> int:
        if product_id not in self._sold:
            row = await self.db.fetchone("SELECT sold FROM products WHERE id = ?", (product_id,))
            self._sold[product_id] = int(row[0]) if row else 0
        return self._sold[product_id]

    async def add_sold(self, product_id: int, delta: int) -> None:
        sold = await self.sold_of(product_id)
        self.db.write("UPDATE products SET sold = sold + ? WHERE id = ?", (delta, product_id))
        self._sold[product_id] = sold + delta

    # -- the waitlist (only products with stock have one) ---------------------

    async def waiting_for(self, campaign_id: int, product_id: int, member_id: str) -> int:
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(qty), 0) FROM waitlist WHERE campaign_id = ? AND product_id = ? AND member_id = ?",
            (campaign_id, product_id, member_id))
        return int(row[0]) if row else 0

    async def set_waitlist(self, campaign_id: int, product_id: int, member_id: str, qty: int,
                           message_id: str, now: datetime) -> None:
        """Her place in the waitlist for a product becomes `qty` (0: she leaves it).
        A changed quantity keeps her place: her row keeps its id."""
        if qty <= 0:
            self.db.write("DELETE FROM waitlist WHERE campaign_id = ? AND product_id = ? AND member_id = ?",
                          (campaign_id, product_id, member_id))
            return
        row = await self.db.fetchone(
            "SELECT MIN(id) FROM waitlist WHERE campaign_id = ? AND product_id = ? AND member_id = ?",
            (campaign_id, product_id, member_id))
        if row is None or row[0] is None:
            self.db.write(
                "INSERT INTO waitlist (campaign_id, product_id, member_id, qty, message_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (campaign_id, product_id, member_id, qty, message_id, ts(now)),
            )
            return
        self.db.write("DELETE FROM waitlist WHERE campaign_id = ? AND product_id = ? AND member_id = ? AND id != ?",
                      (campaign_id, product_id, member_id, row[0]))
        self.db.write("UPDATE waitlist SET qty = ? WHERE id = ?", (qty, row[0]))

    async def waitlist_queue(self, campaign_id: int, product_id: int) -> list[tuple[str, int]]:
        """(member, qty) waiting for a product, first come first."""
        rows = await self.db.fetchall(
            "SELECT member_id, qty FROM waitlist WHERE campaign_id = ? AND product_id = ? ORDER BY id",
            (campaign_id, product_id))
        return [(str(r[0]), int(r[1])) for r in rows]

    async def product_waitlist(self, product_id: int) -> list[tuple[int, str, int]]:
        """(campaign, member, qty) waiting for a product, first come first. A drop's groups sell the
        same product rows, so this is the drop's one queue across its groups."""
        rows = await self.db.fetchall(
            "SELECT campaign_id, member_id, qty FROM waitlist WHERE product_id = ? AND qty > 0 ORDER BY id",
            (product_id,))
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def waiting_elsewhere(self, campaign_id: int, member_id: str, product_id: int) -> int:
        """What she waits for of a product in other campaigns selling the same product row: a drop's
        other groups (限购 is per member, so a place in each group's queue would be served twice)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(qty), 0) FROM waitlist WHERE product_id = ? AND member_id = ? AND campaign_id != ?",
            (product_id, member_id, campaign_id))
        return int(row[0]) if row else 0

    async def waitlist(self, campaign_id: int) -> list[tuple[str, int, int]]:
        """(member, product id, qty) of the whole waitlist, first come first."""
        rows = await self.db.fetchall(
            "SELECT member_id, product_id, qty FROM waitlist WHERE campaign_id = ? AND qty > 0 ORDER BY id",
            (campaign_id,))
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def waiting_untold(self, campaign_id: int, now: datetime) -> list[tuple[str, int, int]]:
        """(member, product id, qty) still waiting at the close and not yet told they got nothing;
        from now on they count as told."""
        rows = await self.db.fetchall(
            "SELECT member_id, product_id, qty FROM waitlist WHERE campaign_id = ? AND qty > 0 AND told_at IS NULL "
            "ORDER BY id", (campaign_id,))
        self.db.write("UPDATE waitlist SET told_at = ? WHERE campaign_id = ? AND told_at IS NULL",
                      (ts(now), campaign_id))
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    # -- the owner's check list ---------------------------------------------------

    async def add_unreadable(self, campaign_id: int, member_id: str, name: str, text: str, reason: str,
                             message_id: str, now: datetime, line_id: int | None = None) -> int:
        """Puts a message or line on the owner's check list; returns its number there."""
        if self._next_check_id is None:
            row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) + 1 FROM unreadable")
            self._next_check_id = int(row[0]) if row else 1
        check_id, self._next_check_id = self._next_check_id, self._next_check_id + 1
        self.db.write(
            "INSERT INTO unreadable (id, campaign_id, member_id, name, text, reason, line_id, message_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (check_id, campaign_id, member_id, name, text[:500], reason, line_id, message_id, ts(now)),
        )
        return check_id

    async def has_open_check(self, campaign_id: int, member_id: str | None, text: str, reason: str) -> bool:
        """Whether this line is already on the check list, waiting: hers (`member_id`), or anyone's
        (None: a 接龙 line every copy repeats). A re-sent or re-copied line is on it once."""
        row = await self.db.fetchone(
            "SELECT 1 FROM unreadable WHERE campaign_id = ? AND (? IS NULL OR member_id = ?) "
            "AND settled_at IS NULL AND text = ? AND reason = ? LIMIT 1",
            (campaign_id, member_id, member_id, text[:500], reason))
        return row is not None

    async def was_checked(self, campaign_id: int, text: str, reason: str) -> bool:
        """Whether this line went to the check list before, for this reason (settled or not)."""
        row = await self.db.fetchone(
            "SELECT 1 FROM unreadable WHERE campaign_id = ? AND text = ? AND reason = ? LIMIT 1",
            (campaign_id, text[:500], reason))
        return row is not None

    async def unreadable(self, campaign_id: int) -> list[Unreadable]:
        """The open entries of the check list: not settled, and not about a line that is gone."""
        rows = await self.db.fetchall(
            "SELECT u.id, u.member_id, u.name, u.text, u.reason FROM unreadable u "
            "LEFT JOIN lines l ON l.id = u.line_id "
            "WHERE u.campaign_id = ? AND u.settled_at IS NULL AND (u.line_id IS NULL OR l.live = 1) ORDER BY u.id",
            (campaign_id,),
        )
        return [Unreadable(r["member_id"], r["name"], r["text"], r["reason"], int(r["id"])) for r in rows]

    async def check_entry(self, check_id: int) -> tuple[int, Unreadable, bool] | None:
        """(campaign id, entry, still open) of a check-list entry."""
        row = await self.db.fetchone(
            "SELECT u.id, u.campaign_id, u.member_id, u.name, u.text, u.reason, u.settled_at, u.line_id, l.live "
            "FROM unreadable u LEFT JOIN lines l ON l.id = u.line_id WHERE u.id = ?", (check_id,))
        if row is None:
            return None
        open_ = row["settled_at"] is None and (row["line_id"] is None or bool(row["live"]))
        return (int(row["campaign_id"]),
                Unreadable(row["member_id"], row["name"], row["text"], row["reason"], int(row["id"])), open_)

    def settle(self, check_id: int, how: str, now: datetime) -> None:
        self.db.write("UPDATE unreadable SET settled_at = ?, settled_how = ? WHERE id = ? AND settled_at IS NULL",
                      (ts(now), how, check_id))

    def settle_member(self, campaign_id: int, member_id: str, reasons: Sequence[str], how: str,
                      now: datetime) -> None:
        """Her open entries about her own messages (not about a 接龙 line) with these reasons."""
        marks = ",".join("?" * len(reasons))
        self.db.write(
            f"UPDATE unreadable SET settled_at = ?, settled_how = ? WHERE campaign_id = ? AND member_id = ? "
            f"AND settled_at IS NULL AND line_id IS NULL AND reason IN ({marks})",
            (ts(now), how, campaign_id, member_id, *reasons))

    async def member_order(self, campaign_id: int, member_id: str, name: str,
                           products: Sequence[Product], *, with_label: bool = True) -> MemberOrder:
        state = await self._state(campaign_id)
        qty = state.member_totals(member_id)
        kept = state.kept.get(member_id, ())
        items = tuple(priced_item(p, qty[p.id], kept) for p in products if qty.get(p.id, 0) > 0)
        label = (state.member_label(member_id) if with_label else "") or name
        return MemberOrder(member_id, name, label, items)

    async def worth(self, campaign_id: int, member_id: str, product: Product, qty: int) -> int:
        """What `qty` units of the product are worth to her: units that kept an earlier price at it
        (priced_item). A refund of units is the worth of what she holds less that of what is left."""
        state = await self._state(campaign_id)
        return priced_item(product, qty, state.kept.get(member_id, ())).amount_cents

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
        totals = [ProductTotal(p, qty.get(p.id, 0)) for p in products]
        if await self._kept_prices(campaign_id):
            state = await self._state(campaign_id)
            totals = [self._kept_total(state, t) for t in totals]
        return totals, int(buyers[0]) if buyers else 0

    async def _kept_prices(self, campaign_id: int) -> dict[str, list[KeptPrice]]:
        """Units keeping an earlier price, per member: from memory when the campaign is held there, else
        read on their own (a report must not load a whole campaign's lines to find there are none)."""
        state = self._states.get(campaign_id)
        if state is not None:
            return state.kept
        kept: dict[str, list[KeptPrice]] = {}
        for r in await self.db.fetchall("SELECT member_id, product_id, qty, price_cents FROM kept_prices "
                                        "WHERE campaign_id = ? ORDER BY id", (campaign_id,)):
            kept.setdefault(str(r[0]), []).append(KeptPrice(int(r[1]), int(r[2]), int(r[3])))
        return kept

    @staticmethod
    def _kept_total(state: CampaignLines, total: OrderItem) -> OrderItem:
        """A product's total when some members' units keep an earlier price: the sum of theirs."""
        extra = 0
        for member_id, kept in state.kept.items():
            if any(k.product_id == total.product.id for k in kept):
                held = state.member_totals(member_id).get(total.product.id, 0)
                extra += priced_item(total.product, held, kept).amount_cents - held * (total.product.price_cents or 0)
        return PricedItem(total.product, total.qty, total.amount_cents + extra) if extra else total

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
        grouped: dict[str, tuple[int, str, list[OrderItem]]] = {}
        for r in rows:
            member = str(r["member_id"])
            first, name, items = grouped.get(member, (int(r["first_line"]), str(r["name"]), []))
            items.append(OrderItem(by_id[int(r["product_id"])], int(r["qty"])))
            grouped[member] = (min(first, int(r["first_line"])), name, items)
        kept_of = await self._kept_prices(campaign_id)
        out = []
        for member, (_, name, items) in sorted(grouped.items(), key=lambda kv: kv[1][0]):
            items.sort(key=lambda item: item.product.position)
            kept = kept_of.get(member)
            if kept:
                items = [priced_item(i.product, i.qty, kept) for i in items]
            out.append(MemberOrder(member, name, label_of.get(member, name), tuple(items)))
        return out

    # -- prices that stay (/改价 without 全部) --------------------------------------

    async def keep_price(self, campaign_id: int, product: Product, now: datetime) -> int:
        """Every member of the campaign holding the product keeps its current price for the units she
        holds beyond those already keeping an earlier one; returns how many members keep one."""
        state = await self._state(campaign_id)
        members = 0
        for member_id in sorted(state.members()):
            held = state.member_totals(member_id).get(product.id, 0)
            new = held - sum(k.qty for k in state.kept.get(member_id, ()) if k.product_id == product.id)
            if new <= 0 or product.price_cents is None:
                continue
            self.db.write("INSERT INTO kept_prices (campaign_id, member_id, product_id, qty, price_cents, kept_at) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (campaign_id, member_id, product.id, new, product.price_cents,
                                                        ts(now)))
            state.kept.setdefault(member_id, []).append(KeptPrice(product.id, new, product.price_cents))
            members += 1
        return members

    async def drop_kept_prices(self, campaign_id: int, product_id: int) -> None:
        """/改价 … 全部: everyone's units of the product are at its price now."""
        state = await self._state(campaign_id)
        self.db.write("DELETE FROM kept_prices WHERE campaign_id = ? AND product_id = ?", (campaign_id, product_id))
        for member_id, kept in list(state.kept.items()):
            kept[:] = [k for k in kept if k.product_id != product_id]
            if not kept:
                del state.kept[member_id]

    def forget_product(self, product_id: int) -> None:
        """The product's facts changed (stock, price, withdrawn): read them again when next asked."""
        self._products.pop(product_id, None)
        self._sold.pop(product_id, None)

    def claim(self, message_id: str, now: datetime) -> None:
        """Records the message as handled, with the rest of its transaction. A
        re-delivered message makes the transaction fail with NothingChanged
        and roll back, so it changes nothing."""
        self.db.write("INSERT OR IGNORE INTO processed (message_id, ts) VALUES (?, ?)", (message_id, ts(now)),
                      must_change=True)

# -- open questions to members (bot/domain/asking.py) ----------------------------------------------
# Every message in a group first asks whether its sender has an open question, so the open ones
# are held in memory: a group's are read once, then kept in step by the writes below and dropped
# on a rollback. A question costs a write when it is asked and when it is settled; a message from
# someone with nothing open costs a dictionary lookup.


def _question(row: Row) -> OpenQuestion:
    return OpenQuestion(
        id=int(row["id"]), campaign_id=int(row["campaign_id"]), room_id=str(row["room_id"]),
        member_id=str(row["member_id"]), name=str(row["name"]), text=str(row["text"]),
        leftover=str(row["leftover"]), asked=str(row["asked"]), choices=str(row["choices"]),
        reason=str(row["reason"]), from_member=row["from_member"],
        line_id=None if row["line_id"] is None else int(row["line_id"]), message_id=str(row["message_id"]),
        created_at=datetime.fromisoformat(str(row["created_at"])), due_at=datetime.fromisoformat(str(row["due_at"])),
        check_id=None if row["check_id"] is None else int(row["check_id"]))


class QuestionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Per group: member -> her open question.
        self._open: dict[str, dict[str, OpenQuestion]] = {}
        # Ids are given here, like order lines' (storage/orders.py): the message that asks uses
        # the id at once, and asking SQLite would be a trip.
        self._next_id: int | None = None
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._open.clear()
        self._next_id = None

    async def _room(self, room_id: str) -> dict[str, OpenQuestion]:
        held = self._open.get(room_id)
        if held is None:
            rows = await self.db.fetchall(
                "SELECT * FROM questions WHERE room_id = ? AND closed_at IS NULL ORDER BY id", (room_id,))
            held = self._open[room_id] = {}
            for row in rows:
                held[str(row["member_id"])] = _question(row)
        return held

    async def open_for(self, room_id: str, member_id: str) -> OpenQuestion | None:
        return (await self._room(room_id)).get(member_id)

    async def open_in(self, room_id: str) -> list[OpenQuestion]:
        """The group's open questions, oldest first."""
        return sorted((await self._room(room_id)).values(), key=lambda q: q.id)

    async def add(self, q: OpenQuestion) -> OpenQuestion:
        """Stores `q` (its id is given here) as her open question; returns it with its id.
        The caller has closed any question of hers that was open."""
        held = await self._room(q.room_id)
        assert q.member_id not in held, "one open question per member and group"
        if self._next_id is None:
            row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) + 1 FROM questions")
            self._next_id = int(row[0]) if row else 1
        q = replace(q, id=self._next_id)
        self._next_id += 1
        self.db.write(
            "INSERT INTO questions (id, campaign_id, room_id, member_id, name, text, leftover, asked, choices, "
            "reason, from_member, line_id, message_id, created_at, due_at, check_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (q.id, q.campaign_id, q.room_id, q.member_id, q.name, q.text[:500], q.leftover[:500], q.asked,
             q.choices, q.reason, q.from_member, q.line_id, q.message_id, ts(q.created_at), ts(q.due_at),
             q.check_id))
        held[q.member_id] = q
        return q

    async def update(self, q: OpenQuestion) -> None:
        """Her open question asked again (the owner's words, fewer choices) or gone to the owner's list."""
        held = await self._room(q.room_id)
        self.db.write("UPDATE questions SET asked = ?, choices = ?, due_at = ?, check_id = ? WHERE id = ?",
                      (q.asked, q.choices, ts(q.due_at), q.check_id, q.id))
        held[q.member_id] = q

    async def close(self, q: OpenQuestion, how: str, now: datetime) -> None:
        held = await self._room(q.room_id)
        self.db.write("UPDATE questions SET closed_at = ?, closed_how = ? WHERE id = ? AND closed_at IS NULL",
                      (ts(now), how, q.id))
        if held.get(q.member_id) is not None and held[q.member_id].id == q.id:
            del held[q.member_id]

    async def by_check(self, room_id: str, check_id: int) -> OpenQuestion | None:
        """The open question that went to the owner's list as entry `check_id`."""
        return next((q for q in (await self._room(room_id)).values() if q.check_id == check_id), None)
