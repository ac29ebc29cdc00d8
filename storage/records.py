"""What the repositories return: plain frozen dataclasses, no database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Product:
    id: int
    campaign_id: int
    position: int
    code: str | None
    name: str
    price_cents: int | None
    unit: str | None
    stock: int | None
    per_member_limit: int | None
    sold: int
    commission_bp: int | None = None

    @property
    def left(self) -> int | None:
        return None if self.stock is None else max(self.stock - self.sold, 0)


@dataclass(frozen=True)
class Campaign:
    id: int
    room_id: str
    title: str
    status: str
    opened_at: datetime
    close_at: datetime | None
    closed_at: datetime | None
    pickup: str | None
    min_buyers: int | None
    min_units: int | None
    created_by: str
    header: str
    live_lines: int
    group_announced: bool = False
    fulfilled: bool | None = None  # None: no threshold or not decided; False: 未成团
    commission_bp: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Line:
    id: int
    campaign_id: int
    member_id: str
    source: str
    key: str
    label: str
    raw: str
    live: bool
    readable: bool


@dataclass(frozen=True)
class ItemRow:
    product_id: int
    qty: int


@dataclass(frozen=True)
class MemberOrder:
    """A member's live order in one campaign: quantities summed per product."""

    member_id: str
    name: str
    label: str
    items: tuple[tuple[Product, int], ...]

    @property
    def amount_cents(self) -> int:
        return sum((p.price_cents or 0) * q for p, q in self.items)


@dataclass(frozen=True)
class ProductTotal:
    product: Product
    qty: int

    @property
    def amount_cents(self) -> int:
        return (self.product.price_cents or 0) * self.qty


@dataclass(frozen=True)
class WaitlistTotal:
    product: Product
    qty: int
    people: int


@dataclass(frozen=True)
class Unreadable:
    member_id: str
    name: str
    text: str
    reason: str
    id: int = 0  # its number on the owner's check list (/确认 N, /忽略 N)


@dataclass(frozen=True)
class Schedule:
    id: int
    room_id: str
    kind: str
    run_at: datetime
    payload: dict[str, object]
    plan_id: int | None
    status: str
    note: str
    created_by: str


@dataclass(frozen=True)
class Fulfilment:
    campaign_id: int
    member_id: str
    pickup_code: str | None
    notified: bool
    collected_at: datetime | None
    paid_cents: int
