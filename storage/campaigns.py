"""Campaigns and their products."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.parsing.campaign_spec import CampaignSpec, ProductSpec
from bot.parsing.catalog import name_key
from storage.db import Database, Row
from storage.records import Campaign, Product


def ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def campaign_from_row(row: Row) -> Campaign:
    opened = _dt(row["opened_at"])
    assert opened is not None
    return Campaign(
        id=row["id"], room_id=row["room_id"], title=row["title"], status=row["status"],
        opened_at=opened, close_at=_dt(row["close_at"]), closed_at=_dt(row["closed_at"]),
        pickup=row["pickup"], min_buyers=row["min_buyers"], min_units=row["min_units"],
        created_by=row["created_by"], header=row["header"],
        group_announced=bool(row["group_announced"]),
        fulfilled=None if row["fulfilled"] is None else bool(row["fulfilled"]),
        commission_bp=row["commission_bp"], drop_id=row["drop_id"], arrived_at=_dt(row["arrived_at"]),
        description=row["description"] or "",
    )


def product_from_row(row: Row) -> Product:
    return Product(
        id=row["id"], campaign_id=row["campaign_id"], position=row["position"], code=row["code"],
        name=row["name"], price_cents=row["price_cents"], unit=row["unit"], stock=row["stock"],
        per_member_limit=row["per_member_limit"], sold=row["sold"], commission_bp=row["commission_bp"],
        withdrawn=bool(row["withdrawn"]),
    )


class CampaignRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # A campaign's products are fixed once it is opened; every order message
        # reads them. Their `sold` is as of the first read: stock decisions ask
        # OrderRepo.sold_of, never this list.
        self._products: dict[int, list[Product]] = {}
        # Every message asks for its group's open campaign; every change to a
        # campaign goes through this class, which drops these answers then.
        self._open: dict[str, Campaign | None] = {}
        self._open_room: dict[int, str] = {}  # campaign id → its room, for the cached ones
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._products.clear()
        self._drop_open()

    def _drop_open(self) -> None:
        self._open.clear()
        self._open_room.clear()

    async def create(self, room_id: str, spec: CampaignSpec, created_by: str, now: datetime,
                     header: str, drop_id: int | None = None) -> int:
        """`drop_id`: this is another group's part of that drop; it sells the drop's products."""
        self._drop_open()
        cid = await self.db.execute(
            "INSERT INTO campaigns (room_id, title, status, opened_at, close_at, pickup, min_buyers, "
            "min_units, created_by, header, commission_bp, drop_id, description) "
            "VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (room_id, spec.title, ts(now), ts(spec.close_at), spec.pickup, spec.min_buyers,
             spec.min_units, created_by, header, spec.commission_bp, drop_id, "\n".join(spec.notes) or None),
        )
        if drop_id is not None:
            return cid
        codes = [p.code for p in spec.products]
        # Letter codes only mean something when every product has a distinct one.
        use_codes = all(codes) and len(set(codes)) == len(codes)
        await self.db.executemany(
            "INSERT INTO products (campaign_id, position, code, name, price_cents, unit, stock, "
            "per_member_limit, commission_bp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(cid, i, p.code if use_codes else None, p.name, p.price_cents, p.unit, p.stock, p.limit,
              p.commission_bp) for i, p in enumerate(spec.products)],
        )
        return cid

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self.db.fetchone("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
        return campaign_from_row(row) if row else None

    async def open_in(self, room_id: str) -> Campaign | None:
        if room_id not in self._open:
            row = await self.db.fetchone(
                "SELECT * FROM campaigns WHERE room_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
                (room_id,),
            )
            campaign = campaign_from_row(row) if row else None
            self._open[room_id] = campaign
            if campaign is not None:
                self._open_room[campaign.id] = room_id
        return self._open[room_id]

    async def latest_in(self, room_id: str) -> Campaign | None:
        row = await self.db.fetchone(
            "SELECT * FROM campaigns WHERE room_id = ? ORDER BY id DESC LIMIT 1", (room_id,)
        )
        return campaign_from_row(row) if row else None

    async def previous_in(self, room_id: str, before_id: int) -> Campaign | None:
        """The group's campaign before this one ("跟上次一样")."""
        row = await self.db.fetchone(
            "SELECT * FROM campaigns WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT 1", (room_id, before_id)
        )
        return campaign_from_row(row) if row else None

    async def all(self, room_id: str | None = None) -> list[Campaign]:
        if room_id is None:
            rows = await self.db.fetchall("SELECT * FROM campaigns ORDER BY id")
        else:
            rows = await self.db.fetchall("SELECT * FROM campaigns WHERE room_id = ? ORDER BY id", (room_id,))
        return [campaign_from_row(r) for r in rows]

    async def due(self, now: datetime) -> list[Campaign]:
        """Open campaigns whose deadline has come. Times compare as instants, so
        the stored offsets must not be compared as text."""
        rows = await self.db.fetchall(
            "SELECT * FROM campaigns WHERE status = 'open' AND close_at IS NOT NULL ORDER BY close_at"
        )
        return [c for c in map(campaign_from_row, rows) if c.close_at is not None and c.close_at <= now]

    async def close(self, campaign_id: int, when: datetime) -> None:
        self._drop_open()
        await self.db.execute(
            "UPDATE campaigns SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
            (ts(when), campaign_id),
        )

    async def products(self, campaign_id: int) -> list[Product]:
        if campaign_id not in self._products:
            # A part of a drop sells its first part's products (one stock for every group).
            rows = await self.db.fetchall(
                "SELECT p.* FROM products p JOIN campaigns c ON p.campaign_id = COALESCE(c.drop_id, c.id) "
                "WHERE c.id = ? ORDER BY p.position", (campaign_id,)
            )
            products = [product_from_row(r) for r in rows]
            self._products[campaign_id] = await self._with_aliases(campaign_id, products)
        return list(self._products[campaign_id])

    async def _with_aliases(self, campaign_id: int, products: list[Product]) -> list[Product]:
        """The products with the owner's words for them in the campaign's group (/别名)."""
        rows = await self.db.fetchall(
            "SELECT a.alias, a.product_key FROM product_aliases a JOIN campaigns c ON a.room_id = c.room_id "
            "WHERE c.id = ? ORDER BY a.alias", (campaign_id,))
        if not rows:
            return products
        words: dict[str, list[str]] = {}
        for r in rows:
            words.setdefault(r["product_key"], []).append(r["alias"])
        return [replace(p, aliases=tuple(words.get(name_key(p.name), ()))) for p in products]

    async def aliases(self, room_id: str) -> list[tuple[str, str]]:
        """The group's aliases: (the word as the owner wrote it, the product's name key)."""
        rows = await self.db.fetchall(
            "SELECT shown, product_key FROM product_aliases WHERE room_id = ? ORDER BY alias", (room_id,))
        return [(r["shown"], r["product_key"]) for r in rows]

    async def set_alias(self, room_id: str, word: str, product_name: str, by: str, when: datetime) -> None:
        self._product_changed()
        await self.db.execute(
            "INSERT INTO product_aliases (room_id, alias, shown, product_key, set_by, set_at) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (room_id, alias) DO UPDATE SET shown = excluded.shown, product_key = excluded.product_key, "
            "set_by = excluded.set_by, set_at = excluded.set_at",
            (room_id, name_key(word), word, name_key(product_name), by, ts(when)))

    async def remove_alias(self, room_id: str, word: str) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM product_aliases WHERE room_id = ? AND alias = ?",
                                     (room_id, name_key(word)))
        if row is None:
            return False
        self._product_changed()
        await self.db.execute("DELETE FROM product_aliases WHERE room_id = ? AND alias = ?", (room_id, name_key(word)))
        return True

    async def make_drop(self, campaign_id: int) -> None:
        """Marks the campaign as the first part of a drop sold in several groups."""
        self._drop_open()
        await self.db.execute("UPDATE campaigns SET drop_id = id WHERE id = ?", (campaign_id,))

    async def parts(self, campaign: Campaign) -> list[Campaign]:
        """Every group's part of the campaign's drop, first part first; just the campaign for one group."""
        if campaign.drop_id is None:
            return [campaign]
        rows = await self.db.fetchall("SELECT * FROM campaigns WHERE drop_id = ? ORDER BY id", (campaign.drop_id,))
        return [campaign_from_row(r) for r in rows]

    async def mark_group_announced(self, campaign_id: int) -> None:
        self._drop_open()
        await self.db.execute("UPDATE campaigns SET group_announced = 1 WHERE id = ?", (campaign_id,))

    async def set_fulfilled(self, campaign_id: int, fulfilled: bool) -> None:
        self._drop_open()
        await self.db.execute("UPDATE campaigns SET fulfilled = ? WHERE id = ?", (int(fulfilled), campaign_id))

    async def set_arrived(self, campaign_id: int, when: datetime, pickup: str | None) -> None:
        self._drop_open()
        await self.db.execute(
            "UPDATE campaigns SET arrived_at = ?, pickup = COALESCE(?, pickup) WHERE id = ?",
            (ts(when), pickup, campaign_id),
        )

    async def since(self, room_id: str | None, start: datetime) -> list[Campaign]:
        """Campaigns opened since `start`, in one group or all."""
        rows = await self.db.fetchall(
            "SELECT * FROM campaigns WHERE (? IS NULL OR room_id = ?) ORDER BY id", (room_id, room_id))
        return [c for c in map(campaign_from_row, rows) if c.opened_at >= start]

    async def recent_in(self, room_id: str, limit: int) -> list[Campaign]:
        rows = await self.db.fetchall(
            "SELECT * FROM campaigns WHERE room_id = ? ORDER BY id DESC LIMIT ?", (room_id, limit))
        return [campaign_from_row(r) for r in reversed(rows)]

    # -- changing a running drop (bot/domain/changes.py) ------------------------------

    async def set_close_at(self, campaign_id: int, when: datetime | None) -> None:
        self._drop_open()
        await self.db.execute("UPDATE campaigns SET close_at = ? WHERE id = ?", (ts(when), campaign_id))

    async def reopen(self, campaign_id: int, close_at: datetime | None) -> None:
        """Open again after a close: 成团 is decided again at the next close."""
        self._drop_open()
        await self.db.execute(
            "UPDATE campaigns SET status = 'open', closed_at = NULL, fulfilled = NULL, close_at = ? WHERE id = ?",
            (ts(close_at), campaign_id))

    def _product_changed(self) -> None:
        # Every part of a drop reads the same product rows: every cached list may hold it.
        self._products.clear()

    async def set_stock(self, product_id: int, stock: int | None) -> None:
        """A new 限量 (None: no limit); `sold` is counted again from the live orders of every group."""
        self._product_changed()
        await self.db.execute(
            "UPDATE products SET stock = ?, sold = (SELECT COALESCE(SUM(i.qty), 0) FROM items i "
            "JOIN lines l ON l.id = i.line_id WHERE i.product_id = products.id AND l.live = 1) WHERE id = ?",
            (stock, product_id))

    async def set_price(self, product_id: int, cents: int) -> None:
        self._product_changed()
        await self.db.execute("UPDATE products SET price_cents = ? WHERE id = ?", (cents, product_id))

    async def withdraw(self, product_id: int) -> None:
        self._product_changed()
        await self.db.execute("UPDATE products SET withdrawn = 1 WHERE id = ?", (product_id,))

    async def add_product(self, campaign: Campaign, spec: ProductSpec) -> int:
        """A product added to a running drop, after the others (it belongs to the drop's first part)."""
        self._product_changed()
        head = campaign.drop_id if campaign.drop_id is not None else campaign.id
        return await self.db.execute(
            "INSERT INTO products (campaign_id, position, code, name, price_cents, unit, stock, per_member_limit, "
            "commission_bp) SELECT ?, COALESCE(MAX(position), -1) + 1, ?, ?, ?, ?, ?, ?, ? FROM products "
            "WHERE campaign_id = ?",
            (head, spec.code, spec.name, spec.price_cents, spec.unit, spec.stock, spec.limit, spec.commission_bp,
             head))
