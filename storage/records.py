"""What the repositories return: plain frozen dataclasses, no database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


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
    group_announced: bool = False
    fulfilled: bool | None = None  # None: no threshold or not decided; False: 未成团
    commission_bp: int | None = None
    # The first part of a drop sold in several groups (it holds the products); None: one group.
    drop_id: int | None = None
    # Her notes for members (备注, 温馨提示, 付款方式, 产地 …), as she wrote them; "" when none.
    description: str = ""

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def counts(self) -> bool:
        """Its orders are to be bought, packed and paid: everything but a campaign that did not 成团."""
        return self.fulfilled is not False


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


@dataclass(frozen=True, slots=True)
class ItemRow:
    product_id: int
    qty: int


class OrderItem(NamedTuple):
    """A product with a quantity: an item of a member's order, or a product's total in a campaign.
    Still a pair, so `for product, qty in order.items` (as owners' templates write it) reads it."""

    product: Product
    qty: int

    @property
    def amount_cents(self) -> int:
        return (self.product.price_cents or 0) * self.qty


ProductTotal = OrderItem  # a product's total over a campaign: the same pair, named for where it is used


@dataclass(frozen=True)
class MemberOrder:
    """A member's live order in one campaign: quantities summed per product."""

    member_id: str
    name: str
    label: str
    items: tuple[OrderItem, ...]

    @property
    def amount_cents(self) -> int:
        return sum(item.amount_cents for item in self.items)


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


@dataclass(frozen=True, slots=True)
class Fulfilment:
    campaign_id: int
    member_id: str
    pickup_code: str | None
    notified: bool
    collected_at: datetime | None
    paid_cents: int


@dataclass(frozen=True, slots=True)
class BookOrder:
    """One member's live order in one campaign as the whole-book reading returns it."""

    campaign_id: int
    member_id: str
    name: str  # her name in the group, else her member id
    label: str  # her latest 接龙 label, else her name
    items: tuple[ItemRow, ...]  # quantities summed per product, above zero
    first_line: int  # her first live line: the order book's order


@dataclass(frozen=True)
class Book:
    """The live order book of one campaign (or all), read whole for the reports."""

    campaigns: tuple[Campaign, ...]
    products: tuple[Product, ...]  # by campaign, then position
    orders: tuple[BookOrder, ...]  # by campaign, then first line
    fulfilment: tuple[tuple[Fulfilment, str], ...]  # with the member's name
    waiting: tuple[tuple[int, int], ...] = ()  # (product id, quantity waitlisted beyond the stock)
    # For drops sold in several groups: each part's group name, and the groups' partners
    # (room → (member id, name, rate in basis points)).
    groups: dict[str, str] = field(default_factory=dict)
    partners: dict[str, tuple[tuple[str, str, int], ...]] = field(default_factory=dict)
