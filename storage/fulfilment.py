"""Pickup codes, collection (whole, or part of an order: 部分取货) and payments per member and
campaign; pickup cards; payment hints.

Payments are a ledger (`payments`): each /已付 adds a row, 撤销 marks the last one standing
undone. `fulfilment.paid_cents` is the sum of the rows that stand, kept in step here in the
same transaction, so whoever reads a member's fulfilment reads what she has paid.
"""

from __future__ import annotations

from datetime import datetime

from storage.campaigns import ts
from storage.db import Database, Row
from storage.records import Fulfilment, Payment


def fulfilment_from_row(row: Row) -> Fulfilment:
    return Fulfilment(
        campaign_id=row["campaign_id"], member_id=row["member_id"], pickup_code=row["pickup_code"],
        notified=row["notified_at"] is not None,
        collected_at=datetime.fromisoformat(row["collected_at"]) if row["collected_at"] else None,
        paid_cents=row["paid_cents"],
    )


class FulfilmentRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _ensure(self, campaign_id: int, member_id: str) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO fulfilment (campaign_id, member_id) VALUES (?, ?)", (campaign_id, member_id))

    async def get(self, campaign_id: int, member_id: str) -> Fulfilment | None:
        row = await self.db.fetchone(
            "SELECT * FROM fulfilment WHERE campaign_id = ? AND member_id = ?", (campaign_id, member_id))
        return fulfilment_from_row(row) if row else None

    async def of_campaign(self, campaign_id: int) -> dict[str, Fulfilment]:
        rows = await self.db.fetchall("SELECT * FROM fulfilment WHERE campaign_id = ?", (campaign_id,))
        return {str(r["member_id"]): fulfilment_from_row(r) for r in rows}

    async def by_code(self, campaign_id: int, code: str) -> Fulfilment | None:
        row = await self.db.fetchone(
            "SELECT * FROM fulfilment WHERE campaign_id = ? AND pickup_code = ?", (campaign_id, code))
        return fulfilment_from_row(row) if row else None

    async def assign_code(self, campaign_id: int, member_id: str, code: str, now: datetime) -> None:
        """Her pickup code; `notified_at` is set when the notice part naming her is delivered
        (storage/outbox.py), not here."""
        await self._ensure(campaign_id, member_id)
        await self.db.execute(
            "UPDATE fulfilment SET pickup_code = COALESCE(pickup_code, ?) WHERE campaign_id = ? AND member_id = ?",
            (code, campaign_id, member_id),
        )

    async def collect(self, campaign_id: int, member_id: str, by: str, now: datetime) -> None:
        await self._ensure(campaign_id, member_id)
        await self.db.execute(
            "UPDATE fulfilment SET collected_at = ?, collected_by = ? WHERE campaign_id = ? AND member_id = ?",
            (ts(now), by, campaign_id, member_id),
        )

    async def taken(self, campaign_ids: tuple[int, ...]) -> dict[tuple[int, str], dict[int, int]]:
        """{(campaign id, member id): {product id: quantity taken}} for partial pickups in these campaigns."""
        if not campaign_ids:
            return {}
        marks = ", ".join("?" * len(campaign_ids))
        rows = await self.db.fetchall(
            f"SELECT campaign_id, member_id, product_id, qty FROM collected_items WHERE campaign_id IN ({marks})",
            campaign_ids)
        out: dict[tuple[int, str], dict[int, int]] = {}
        for r in rows:
            out.setdefault((int(r["campaign_id"]), str(r["member_id"])), {})[int(r["product_id"])] = int(r["qty"])
        return out

    async def taken_by(self, campaign_id: int, member_id: str) -> dict[int, int]:
        return (await self.taken((campaign_id,))).get((campaign_id, member_id), {})

    async def pickup_of(self, campaign_id: int, member_id: str) -> tuple[Fulfilment | None, dict[int, int]]:
        """Her fulfilment and what a partial pickup handed her, in one trip (every tap asks both)."""
        rows, taken = await self.db.fetch_each([
            ("SELECT * FROM fulfilment WHERE campaign_id = ? AND member_id = ?", (campaign_id, member_id)),
            ("SELECT product_id, qty FROM collected_items WHERE campaign_id = ? AND member_id = ?",
             (campaign_id, member_id)),
        ])
        return (fulfilment_from_row(rows[0]) if rows else None), {int(r[0]): int(r[1]) for r in taken}

    def set_taken(self, campaign_id: int, member_id: str, taken: dict[int, int]) -> None:
        """Her partial pickup is now `taken` (product id -> quantity; empty: nothing taken)."""
        self.db.write("DELETE FROM collected_items WHERE campaign_id = ? AND member_id = ?", (campaign_id, member_id))
        for product_id, qty in sorted(taken.items()):
            if qty > 0:
                self.db.write("INSERT INTO collected_items (campaign_id, member_id, product_id, qty) "
                              "VALUES (?, ?, ?, ?)", (campaign_id, member_id, product_id, qty))

    def uncollect(self, campaign_id: int, member_id: str) -> None:
        """Undoes her pickup, whole or partial."""
        self.set_taken(campaign_id, member_id, {})
        self.db.write("UPDATE fulfilment SET collected_at = NULL, collected_by = NULL "
                      "WHERE campaign_id = ? AND member_id = ?", (campaign_id, member_id))

    async def cards(self, campaign_id: int) -> dict[str, str]:
        """Member id -> her pickup card's address token, for the buyers who have one."""
        rows = await self.db.fetchall(
            "SELECT member_id, card FROM fulfilment WHERE campaign_id = ? AND card IS NOT NULL", (campaign_id,))
        return {str(r["member_id"]): str(r["card"]) for r in rows}

    def set_card(self, campaign_id: int, member_id: str, card: str) -> None:
        """Her card's address, once (a second notice keeps the card she has)."""
        self.db.write("UPDATE fulfilment SET card = COALESCE(card, ?) WHERE campaign_id = ? AND member_id = ?",
                      (card, campaign_id, member_id))

    async def by_card(self, card: str) -> tuple[int, str] | None:
        """(campaign id, member id) of a pickup card."""
        row = await self.db.fetchone("SELECT campaign_id, member_id FROM fulfilment WHERE card = ?", (card,))
        return (int(row["campaign_id"]), str(row["member_id"])) if row else None

    async def add_payment(self, campaign_id: int, member_id: str, cents: int, by: str, now: datetime) -> None:
        """Adds a payment of `cents` (> 0) to her ledger, recorded by `by` at `now`."""
        if cents <= 0:
            raise ValueError(f"a payment is a positive amount, not {cents}")
        await self._ensure(campaign_id, member_id)
        self.db.write(
            "INSERT INTO payments (campaign_id, member_id, cents, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)",
            (campaign_id, member_id, cents, by, ts(now)))
        self.db.write(
            "UPDATE fulfilment SET paid_cents = paid_cents + ?, paid_at = ? WHERE campaign_id = ? AND member_id = ?",
            (cents, ts(now), campaign_id, member_id))

    async def payments(self, campaign_id: int, member_id: str) -> list[Payment]:
        """Her ledger in one campaign, oldest first, taken-back payments included."""
        rows = await self.db.fetchall(
            "SELECT * FROM payments WHERE campaign_id = ? AND member_id = ? ORDER BY id", (campaign_id, member_id))
        return [Payment(int(r["id"]), int(r["campaign_id"]), str(r["member_id"]), int(r["cents"]),
                        str(r["recorded_by"]), datetime.fromisoformat(r["recorded_at"]),
                        datetime.fromisoformat(r["undone_at"]) if r["undone_at"] else None) for r in rows]

    async def undo_last_payment(self, campaign_id: int, member_id: str, by: str, now: datetime) -> Payment | None:
        """Takes back her last payment that stands; None when there is none."""
        standing = [p for p in await self.payments(campaign_id, member_id) if p.undone_at is None]
        if not standing:
            return None
        last = standing[-1]
        self.db.write("UPDATE payments SET undone_by = ?, undone_at = ? WHERE id = ?", (by, ts(now), last.id))
        self.db.write(
            "UPDATE fulfilment SET paid_cents = paid_cents - ? WHERE campaign_id = ? AND member_id = ?",
            (last.cents, campaign_id, member_id))
        return last

    async def add_hint(self, room_id: str | None, member_id: str, kind: str, text: str, message_id: str,
                       now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO payment_hints (room_id, member_id, kind, text, message_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (room_id, member_id, kind, text[:200], message_id, ts(now)),
        )

    async def hints(self, room_id: str, since: datetime) -> list[tuple[str, str, datetime]]:
        rows = await self.db.fetchall(
            "SELECT member_id, kind, created_at FROM payment_hints WHERE room_id = ? ORDER BY id", (room_id,))
        out = [(str(r["member_id"]), str(r["kind"]), datetime.fromisoformat(r["created_at"])) for r in rows]
        return [h for h in out if h[2] >= since]
