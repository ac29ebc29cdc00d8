"""What live hype remembers: sold-out announcements per product and the 跟团播报 state per campaign."""

from __future__ import annotations

from storage.db import Database


class HypeRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Read on every order in a campaign with 限量 or 播报; changed only here.
        self._sold_out: dict[int, bool] = {}
        self._broadcast: dict[int, tuple[int, int, str] | None] = {}
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._sold_out.clear()
        self._broadcast.clear()

    async def sold_out_told(self, product_ids: list[int]) -> dict[int, bool]:
        """Whether the group was last told each product sold out."""
        missing = [p for p in product_ids if p not in self._sold_out]
        if missing:
            marks = ",".join("?" * len(missing))
            rows = await self.db.fetchall(
                f"SELECT product_id, sold_out FROM stock_news WHERE product_id IN ({marks})", missing)
            found = {int(r[0]): bool(r[1]) for r in rows}
            for p in missing:
                self._sold_out[p] = found.get(p, False)
        return {p: self._sold_out[p] for p in product_ids}

    def set_sold_out_told(self, product_id: int, sold_out: bool) -> None:
        self.db.write("INSERT INTO stock_news (product_id, sold_out) VALUES (?, ?) "
                      "ON CONFLICT (product_id) DO UPDATE SET sold_out = excluded.sold_out",
                      (product_id, int(sold_out)))
        self._sold_out[product_id] = sold_out

    async def set_broadcast(self, campaign_id: int, every: int) -> None:
        self.db.write("INSERT OR REPLACE INTO broadcasts (campaign_id, every) VALUES (?, ?)", (campaign_id, every))
        self._broadcast[campaign_id] = (every, 0, "")

    async def broadcast(self, campaign_id: int) -> tuple[int, int, str] | None:
        """(every N buyers, buyers at the last 播报, its figures), or None when off."""
        if campaign_id not in self._broadcast:
            row = await self.db.fetchone(
                "SELECT every, last_buyers, last_figures FROM broadcasts WHERE campaign_id = ?", (campaign_id,))
            self._broadcast[campaign_id] = (int(row[0]), int(row[1]), str(row[2])) if row else None
        return self._broadcast[campaign_id]

    def broadcast_sent(self, campaign_id: int, every: int, buyers: int, figures: str) -> None:
        self.db.write("UPDATE broadcasts SET last_buyers = ?, last_figures = ? WHERE campaign_id = ?",
                      (buyers, figures, campaign_id))
        self._broadcast[campaign_id] = (every, buyers, figures)
