"""What the repositories return: plain frozen dataclasses, no database rows."""

from __future__ import annotations

from collections.abc import Sequence, Set
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
    withdrawn: bool = False  # /下架: it sells nothing more; an order naming it is told so
    aliases: tuple[str, ...] = ()  # the owner's words for it in this group (/别名 油 = 压榨花生油)

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
    arrived_at: datetime | None = None  # /到货

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


class CopyKeys(NamedTuple):
    """A campaign's 接龙 copy lines by key (oldest first), with the keys held by exactly one line
    (`single`) and those whose one line is live (`live_single`). Read-only for callers."""

    by_key: dict[str, list[Line]]
    single: Set[str]
    live_single: Set[str]


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


class PricedItem(OrderItem):
    """An item (or a product's total) part of which keeps an earlier price (/改价 without 全部):
    still the pair (product, qty), with its amount worked out by priced_item."""

    _amount: int

    def __new__(cls, product: Product, qty: int, amount_cents: int) -> PricedItem:
        item = super().__new__(cls, product, qty)
        item._amount = amount_cents
        return item

    @property
    def amount_cents(self) -> int:
        return self._amount


@dataclass(frozen=True, slots=True)
class KeptPrice:
    """Units of a product a member held when its price changed: they keep `price_cents`."""

    product_id: int
    qty: int
    price_cents: int


def priced_item(product: Product, qty: int, kept: Sequence[KeptPrice] = ()) -> OrderItem:
    """Her `qty` of a product at its price: the units she held at each earlier price keep it (the
    earliest change first), the rest are at today's. The one place an item's amount is worked out."""
    tiers = [k for k in kept if k.product_id == product.id]
    if not tiers:
        return OrderItem(product, qty)
    left, amount = qty, 0
    for tier in tiers:
        n = min(left, tier.qty)
        amount, left = amount + n * tier.price_cents, left - n
    return PricedItem(product, qty, amount + left * (product.price_cents or 0))


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
class OpenQuestion:
    """A question put to a member in her group, not settled yet (bot/domain/asking.py)."""

    id: int
    campaign_id: int
    room_id: str
    member_id: str  # who is asked
    name: str
    text: str  # what was written: her message, or the 接龙 line
    leftover: str  # the words not understood
    asked: str  # the question as the group saw it
    choices: str  # JSON, read by bot/domain/asking.py
    reason: str  # for the owner's check list
    from_member: str | None  # who passed the order on, when it is not hers
    line_id: int | None
    message_id: str
    created_at: datetime
    due_at: datetime
    check_id: int | None  # on the owner's check list since it expired


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
class Payment:
    """One /已付 in a member's ledger; `undone_at` when it was taken back (/已付 … 撤销)."""

    id: int
    campaign_id: int
    member_id: str
    cents: int
    recorded_by: str
    recorded_at: datetime
    undone_at: datetime | None = None


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
    # Units that keep an earlier price (/改价 without 全部), by (campaign id, member id), oldest first.
    kept: dict[tuple[int, str], tuple[KeptPrice, ...]] = field(default_factory=dict)
    # 缺货, 售后 and the refund ledger (storage/aftersales/), for the same campaigns.
    refunds: tuple[Refund, ...] = ()
    refund_payments: tuple[RefundPayment, ...] = ()
    claims: tuple[Claim, ...] = ()
    names: dict[tuple[int, str], str] = field(default_factory=dict)  # (campaign, member) of a refund → her name
    # 补发 promised in an earlier campaign of these groups, for their next pickup.
    replacements: tuple[Replacement, ...] = ()


# --- 缺货, 售后 and the refund ledger (storage/aftersales/) -------------------------------------


@dataclass(frozen=True, slots=True)
class Refund:
    """A refund owed to a member, with its reason: 'shortage' (缺货; a restock is a negative one),
    'claim' (售后) or 'withdrawn' (a product taken off). `in_book`: her order in the book was cut
    by it (its worth is already less); otherwise a credit against goods she received."""

    id: int
    campaign_id: int
    member_id: str
    product_id: int | None
    reason: str
    qty: int
    cents: int
    in_book: bool
    source_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RefundPayment:
    """Money the owner handed back to a member (/退款); `undone_at` when taken back."""

    id: int
    campaign_id: int
    member_id: str
    cents: int
    recorded_at: datetime
    undone_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """售后: a member's report of a problem with what she received, and how it was settled."""

    id: int
    campaign_id: int
    room_id: str  # where she wrote ('' for her private chat): where she hears the outcome
    member_id: str
    name: str
    product_id: int | None
    qty: int | None
    kind: str
    text: str
    photo: str | None
    message_id: str
    created_at: datetime
    status: str  # open, refunded, replaced, refused
    refund_cents: int | None = None
    replace_qty: int | None = None
    note: str | None = None
    settled_at: datetime | None = None
    replaced_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    """A 补发 the owner promised (/售后 N 补发): handed over at her next pickup in that group."""

    claim_id: int
    campaign_id: int  # the campaign the claim was about
    room_id: str
    member_id: str
    name: str
    product: str
    unit: str
    qty: int
    settled_at: datetime


@dataclass(frozen=True, slots=True)
class ShortageChange:
    """One member's change in a 缺货 or 补货: her quantity when it was planned, and the change."""

    campaign_id: int  # her group's part
    member_id: str
    position: int
    before: int
    delta: int


@dataclass(frozen=True, slots=True)
class Shortage:
    id: int
    campaign_id: int  # the business: a one-group campaign, or a drop's first part
    product_id: int
    kind: str  # short, restock
    rule: str
    units: int  # arrived (short) or came later (restock)
    held: int  # ordered when planned
    status: str  # planned, applied, dropped
    planned_by: str
    planned_at: datetime
