"""缺货 plans, the refund ledger, 售后 claims, members' photos and the claim window (migration 0030).

Everything here is read by after-the-drop commands and the reports, never by an order message:
a plain query per question is cheap enough, and nothing is cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.campaigns import ts
from storage.db import Database, Row
from storage.records import Claim, Refund, RefundPayment, Replacement, Shortage, ShortageChange


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _marks(ids: Sequence[int]) -> str:
    return ", ".join("?" * len(ids))


def _refund(r: Row) -> Refund:
    return Refund(int(r["id"]), int(r["campaign_id"]), str(r["member_id"]),
                  None if r["product_id"] is None else int(r["product_id"]), str(r["reason"]), int(r["qty"]),
                  int(r["cents"]), bool(r["in_book"]), None if r["source_id"] is None else int(r["source_id"]),
                  _at(r["created_at"]))


def _claim(r: Row) -> Claim:
    return Claim(int(r["id"]), int(r["campaign_id"]), str(r["room_id"]), str(r["member_id"]), str(r["name"]),
                 None if r["product_id"] is None else int(r["product_id"]),
                 None if r["qty"] is None else int(r["qty"]), str(r["kind"]), str(r["text"]), r["photo"],
                 str(r["message_id"]), _at(r["created_at"]), str(r["status"]), r["refund_cents"], r["replace_qty"],
                 r["note"], _dt(r["settled_at"]), _dt(r["replaced_at"]))


def _shortage(r: Row) -> Shortage:
    return Shortage(int(r["id"]), int(r["campaign_id"]), int(r["product_id"]), str(r["kind"]), str(r["rule"]),
                    int(r["units"]), int(r["held"]), str(r["status"]), str(r["planned_by"]), _at(r["planned_at"]))


class AfterSalesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the rule per campaign ---------------------------------------------------------

    async def rule(self, campaign_id: int) -> str | None:
        row = await self.db.fetchone("SELECT rule FROM shortage_rules WHERE campaign_id = ?", (campaign_id,))
        return str(row[0]) if row else None

    def set_rule(self, campaign_id: int, rule: str, by: str, now: datetime) -> None:
        self.db.write(
            "INSERT INTO shortage_rules (campaign_id, rule, set_by, set_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (campaign_id) DO UPDATE SET rule = excluded.rule, set_by = excluded.set_by, "
            "set_at = excluded.set_at", (campaign_id, rule, by, ts(now)))

    # -- shortages and restocks ------------------------------------------------------------

    async def add_shortage(self, campaign_id: int, product_id: int, kind: str, rule: str, units: int, held: int,
                           by: str, now: datetime, changes: Sequence[ShortageChange]) -> int:
        sid = await self.db.execute(
            "INSERT INTO shortages (campaign_id, product_id, kind, rule, units, held, status, planned_by, planned_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'planned', ?, ?)",
            (campaign_id, product_id, kind, rule, units, held, by, ts(now)))
        for c in changes:
            self.db.write("INSERT INTO shortage_changes (shortage_id, campaign_id, member_id, position, before, delta) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (sid, c.campaign_id, c.member_id, c.position, c.before, c.delta))
        return sid

    async def planned(self, planned_by: str) -> list[Shortage]:
        """Her plans waiting for her word, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM shortages WHERE planned_by = ? AND status = 'planned' ORDER BY id", (planned_by,))
        return [_shortage(r) for r in rows]

    async def changes(self, shortage_id: int) -> list[ShortageChange]:
        rows = await self.db.fetchall(
            "SELECT * FROM shortage_changes WHERE shortage_id = ? ORDER BY position", (shortage_id,))
        return [ShortageChange(int(r["campaign_id"]), str(r["member_id"]), int(r["position"]), int(r["before"]),
                               int(r["delta"])) for r in rows]

    def set_status(self, shortage_id: int, status: str, now: datetime) -> None:
        self.db.write("UPDATE shortages SET status = ?, applied_at = ? WHERE id = ? AND status = 'planned'",
                      (status, ts(now), shortage_id))

    def drop_planned(self, campaign_id: int, product_id: int, now: datetime) -> None:
        """A new plan for the product replaces any still waiting for her word."""
        self.db.write("UPDATE shortages SET status = 'dropped', applied_at = ? "
                      "WHERE campaign_id = ? AND product_id = ? AND status = 'planned'",
                      (ts(now), campaign_id, product_id))

    def set_change(self, shortage_id: int, campaign_id: int, member_id: str, delta: int) -> None:
        """The manual rule: what she actually changed, found when the owner confirms."""
        self.db.write(
            "INSERT INTO shortage_changes (shortage_id, campaign_id, member_id, position, before, delta) "
            "VALUES (?, ?, ?, 0, 0, ?) ON CONFLICT (shortage_id, campaign_id, member_id) DO UPDATE SET "
            "delta = excluded.delta", (shortage_id, campaign_id, member_id, delta))

    async def arrived_total(self, campaign_id: int, product_id: int) -> int | None:
        """What the latest applied 缺货 said arrived, plus every restock after it (None: never short)."""
        rows = await self.db.fetchall(
            "SELECT kind, units FROM shortages WHERE campaign_id = ? AND product_id = ? AND status = 'applied' "
            "ORDER BY id", (campaign_id, product_id))
        total: int | None = None
        for kind, units in rows:
            total = int(units) if kind == "short" else (total or 0) + int(units)
        return total

    # -- the refund ledger -------------------------------------------------------------------

    def add_refund(self, campaign_id: int, member_id: str, product_id: int | None, reason: str, qty: int,
                   cents: int, *, in_book: bool, source_id: int | None, by: str, now: datetime) -> None:
        self.db.write(
            "INSERT INTO refunds (campaign_id, member_id, product_id, reason, qty, cents, in_book, source_id, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, member_id, product_id, reason, qty, cents, int(in_book), source_id, by, ts(now)))

    async def refunds(self, campaign_ids: Sequence[int] | None = None) -> list[Refund]:
        """The ledger's rows for these campaigns (all with None), in the order they were written."""
        if campaign_ids is None:
            rows = await self.db.fetchall("SELECT * FROM refunds ORDER BY id")
        elif not campaign_ids:
            return []
        else:
            rows = await self.db.fetchall(
                f"SELECT * FROM refunds WHERE campaign_id IN ({_marks(campaign_ids)}) ORDER BY id", tuple(campaign_ids))
        return [_refund(r) for r in rows]

    async def member_refunds(self, campaign_id: int, member_id: str) -> list[Refund]:
        rows = await self.db.fetchall("SELECT * FROM refunds WHERE campaign_id = ? AND member_id = ? ORDER BY id",
                                      (campaign_id, member_id))
        return [_refund(r) for r in rows]

    async def product_shorts(self, product_id: int, campaign_ids: Sequence[int]) -> dict[tuple[int, str], int]:
        """Per (part, member): units of the product 缺货 took from her and no restock gave back."""
        if not campaign_ids:
            return {}
        rows = await self.db.fetchall(
            f"SELECT campaign_id, member_id, SUM(qty) FROM refunds WHERE product_id = ? AND reason = 'shortage' "
            f"AND campaign_id IN ({_marks(campaign_ids)}) GROUP BY campaign_id, member_id",
            (product_id, *campaign_ids))
        return {(int(r[0]), str(r[1])): int(r[2]) for r in rows if int(r[2]) > 0}

    async def short_positions(self, product_id: int, campaign_ids: Sequence[int]) -> dict[tuple[int, str], int]:
        """Per (part, member): her place in the book when a 缺货 of the product was planned."""
        if not campaign_ids:
            return {}
        rows = await self.db.fetchall(
            "SELECT c.campaign_id, c.member_id, MIN(c.position) FROM shortage_changes c "
            "JOIN shortages s ON s.id = c.shortage_id WHERE s.product_id = ? AND s.status = 'applied' "
            f"AND c.position > 0 AND c.campaign_id IN ({_marks(campaign_ids)}) GROUP BY c.campaign_id, c.member_id",
            (product_id, *campaign_ids))
        return {(int(r[0]), str(r[1])): int(r[2]) for r in rows}

    def add_refund_payment(self, campaign_id: int, member_id: str, cents: int, by: str, now: datetime) -> None:
        self.db.write("INSERT INTO refund_payments (campaign_id, member_id, cents, recorded_by, recorded_at) "
                      "VALUES (?, ?, ?, ?, ?)", (campaign_id, member_id, cents, by, ts(now)))

    async def refund_payments(self, campaign_ids: Sequence[int] | None = None) -> list[RefundPayment]:
        if campaign_ids is None:
            rows = await self.db.fetchall("SELECT * FROM refund_payments ORDER BY id")
        elif not campaign_ids:
            return []
        else:
            rows = await self.db.fetchall(
                f"SELECT * FROM refund_payments WHERE campaign_id IN ({_marks(campaign_ids)}) ORDER BY id",
                tuple(campaign_ids))
        return [RefundPayment(int(r["id"]), int(r["campaign_id"]), str(r["member_id"]), int(r["cents"]),
                              _at(r["recorded_at"]), _dt(r["undone_at"])) for r in rows]

    async def member_refund_payments(self, campaign_id: int, member_id: str) -> list[RefundPayment]:
        return [p for p in await self.refund_payments([campaign_id]) if p.member_id == member_id]

    async def undo_refund_payment(self, payment_id: int, by: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE refund_payments SET undone_by = ?, undone_at = ? WHERE id = ? AND undone_at IS NULL",
            (by, ts(now), payment_id))

    # -- 售后 claims -----------------------------------------------------------------------------

    async def add_claim(self, campaign_id: int, room_id: str, member_id: str, name: str, product_id: int | None,
                        qty: int | None, kind: str, text: str, photo: str | None, message_id: str,
                        now: datetime) -> int:
        return await self.db.execute(
            "INSERT INTO claims (campaign_id, room_id, member_id, name, product_id, qty, kind, text, photo, "
            "message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, room_id, member_id, name, product_id, qty, kind, text[:500], photo, message_id, ts(now)))

    async def claim(self, claim_id: int) -> Claim | None:
        row = await self.db.fetchone("SELECT * FROM claims WHERE id = ?", (claim_id,))
        return _claim(row) if row else None

    async def claims(self, campaign_ids: Sequence[int] | None = None) -> list[Claim]:
        if campaign_ids is None:
            rows = await self.db.fetchall("SELECT * FROM claims ORDER BY id")
        elif not campaign_ids:
            return []
        else:
            rows = await self.db.fetchall(
                f"SELECT * FROM claims WHERE campaign_id IN ({_marks(campaign_ids)}) ORDER BY id", tuple(campaign_ids))
        return [_claim(r) for r in rows]

    async def open_claims_of(self, member_id: str, campaign_id: int) -> list[Claim]:
        rows = await self.db.fetchall(
            "SELECT * FROM claims WHERE member_id = ? AND campaign_id = ? AND status = 'open' ORDER BY id",
            (member_id, campaign_id))
        return [_claim(r) for r in rows]

    async def claims_in_rooms(self, room_ids: Sequence[str]) -> list[Claim]:
        """Claims about campaigns of these groups, oldest first."""
        if not room_ids:
            return []
        rows = await self.db.fetchall(
            "SELECT cl.* FROM claims cl JOIN campaigns c ON c.id = cl.campaign_id "
            f"WHERE c.room_id IN ({', '.join('?' * len(room_ids))}) ORDER BY cl.id", tuple(room_ids))
        return [_claim(r) for r in rows]

    async def latest_claim(self, member_id: str, room_id: str) -> Claim | None:
        row = await self.db.fetchone(
            "SELECT * FROM claims WHERE member_id = ? AND room_id = ? ORDER BY id DESC LIMIT 1", (member_id, room_id))
        return _claim(row) if row else None

    def add_words(self, claim_id: int, text: str) -> None:
        self.db.write("UPDATE claims SET text = substr(text || ' / ' || ?, 1, 1000) WHERE id = ?", (text, claim_id))

    def set_photo(self, claim_id: int, photo: str) -> None:
        self.db.write("UPDATE claims SET photo = ? WHERE id = ?", (photo, claim_id))

    def settle(self, claim_id: int, status: str, by: str, now: datetime, *, refund_cents: int | None = None,
               replace_qty: int | None = None, note: str | None = None) -> None:
        self.db.write(
            "UPDATE claims SET status = ?, refund_cents = ?, replace_qty = ?, note = ?, settled_by = ?, settled_at = ? "
            "WHERE id = ?", (status, refund_cents, replace_qty, note, by, ts(now), claim_id))

    def mark_replaced(self, claim_id: int, now: datetime) -> None:
        self.db.write("UPDATE claims SET replaced_at = ? WHERE id = ? AND replaced_at IS NULL", (ts(now), claim_id))

    async def replacements(self, room_ids: Sequence[str]) -> list[Replacement]:
        """补发 promised in these groups and not marked handed over, oldest first."""
        if not room_ids:
            return []
        rows = await self.db.fetchall(
            "SELECT cl.id, cl.campaign_id, c.room_id, cl.member_id, cl.name, COALESCE(p.name, ''), "
            "COALESCE(p.unit, '份'), COALESCE(cl.replace_qty, 1), cl.settled_at FROM claims cl "
            "JOIN campaigns c ON c.id = cl.campaign_id LEFT JOIN products p ON p.id = cl.product_id "
            "WHERE cl.status = 'replaced' AND cl.replaced_at IS NULL "
            f"AND c.room_id IN ({', '.join('?' * len(room_ids))}) "
            "ORDER BY cl.id", tuple(room_ids))
        return [Replacement(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), int(r[7]),
                            _at(r[8])) for r in rows]

    # -- photos and the window ------------------------------------------------------------------

    def remember_photo(self, room_id: str, member_id: str, message_id: str, now: datetime) -> None:
        self.db.write("INSERT INTO member_photos (room_id, member_id, message_id, at) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (room_id, member_id) DO UPDATE SET message_id = excluded.message_id, "
                      "at = excluded.at",
                      (room_id, member_id, message_id, ts(now)))

    async def latest_photo(self, room_id: str, member_id: str) -> tuple[str, datetime] | None:
        row = await self.db.fetchone("SELECT message_id, at FROM member_photos WHERE room_id = ? AND member_id = ?",
                                     (room_id, member_id))
        return (str(row[0]), _at(row[1])) if row else None

    async def window_hours(self, room_id: str) -> int | None:
        row = await self.db.fetchone("SELECT hours FROM claim_windows WHERE room_id = ?", (room_id,))
        return int(row[0]) if row else None

    def set_window(self, room_id: str, hours: int, by: str, now: datetime) -> None:
        self.db.write("INSERT INTO claim_windows (room_id, hours, set_by, set_at) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (room_id) DO UPDATE SET hours = excluded.hours, set_by = excluded.set_by, "
                      "set_at = excluded.set_at", (room_id, hours, by, ts(now)))

    async def arrived_at(self, campaign_ids: Sequence[int]) -> dict[int, datetime]:
        """When the goods of these campaigns arrived (/到货), for those that did."""
        if not campaign_ids:
            return {}
        rows = await self.db.fetchall(
            f"SELECT id, arrived_at FROM campaigns WHERE id IN ({_marks(campaign_ids)}) AND arrived_at IS NOT NULL",
            tuple(campaign_ids))
        return {int(r[0]): _at(r[1]) for r in rows}
