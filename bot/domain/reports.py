"""After the drop: the owner's reports, computed from the order book.

- the supplier list (以销定采): what to buy, per product, and the commission on it;
- the packing list: each order by pickup point, then building and room, then member;
- the member list: what each member owes, paid and collected, and her pickup code.

Everything is read in one pass over the live order book (storage/book.py, a
handful of queries whatever the campaign's size); the reports are pure
functions of that model (storage/records.py), returned as frozen dataclasses
that the CSV, JSON and XLSX writers only lay out. Commission is computed here
only: /汇总 (bot/domain/lifecycle.py) calls `campaign_commission`. Money stays in integer cents throughout.
Members' labels are kept whole, phone numbers and addresses included: these
reports are for the owner, who needs them to deliver.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.domain.aftersales import refunds as refund_ledger
from bot.domain.money.ledger import Balance, balance
from bot.parsing.privacy import without_phones
from storage.book import BookRepo
from storage.db import Database
from storage.records import (
    Book,
    Campaign,
    Claim,
    Fulfilment,
    KeptPrice,
    OrderItem,
    Product,
    ProductTotal,
    Refund,
    Replacement,
    priced_item,
)

DEFAULT_POINT = "自提"


class UnknownCampaign(LookupError):
    def __init__(self, campaign_id: int) -> None:
        super().__init__(f"no campaign with id {campaign_id}")
        self.campaign_id = campaign_id


# --- pure helpers -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class House:
    """Where an order goes, as the member wrote it: "3-502" → building 3, room 502."""

    building: int
    room: int | None
    unit: int | None = None

    @property
    def sort_key(self) -> tuple[int, int, int]:
        # A building without a room first, then by unit and room.
        return self.building, self.unit or 0, -1 if self.room is None else self.room


_HOUSE = re.compile(
    r"(?<!\d)(?P<b1>\d{1,4})\s*(?:栋|幢|号楼|楼|座)\s*(?:(?P<u1>\d{1,2})\s*单元\s*)?(?:(?P<r1>\d{1,5})(?!\d))?"
    r"|(?<!\d)(?P<b2>\d{1,4})\s*[-_/—~]\s*(?:(?P<u2>\d{1,2})\s*[-_/—~]\s*)?(?P<r2>\d{1,5})(?!\d)"
)


def parse_house(label: str) -> House | None:
    """Building and room from a 接龙 label: "3-502 张三", "5栋1203 王五", "5栋1单元1203", "12-3-502"."""
    # A mobile number written with separators (138-0013-8000) would otherwise read as building 138.
    text = without_phones(unicodedata.normalize("NFKC", label))
    m = _HOUSE.search(text)
    if m is None:
        return None
    building = m.group("b1") or m.group("b2")
    unit = m.group("u1") or m.group("u2")
    room = m.group("r1") or m.group("r2")
    return House(int(building), int(room) if room else None, int(unit) if unit else None)


_WORD_SPLIT = re.compile(r"[\s,，、;；]+")


def pickup_point(pickup: str | None) -> str:
    """The pickup text's first word ("东门快递柜 11-22 09:00-12:00" → 东门快递柜), or 自提."""
    for word in _WORD_SPLIT.split(pickup or ""):
        if word:
            return word
    return DEFAULT_POINT


def commission_cents(amount_cents: int, bp: int | None) -> int:
    """amount × bp / 10000, rounded half up to the cent (integers only: no float drift)."""
    if not bp or amount_cents <= 0:
        return 0
    return (amount_cents * bp + 5_000) // 10_000


def rate_bp(product: Product, campaign: Campaign) -> int | None:
    """The commission rate on a product: its own, else its campaign's."""
    return product.commission_bp if product.commission_bp is not None else campaign.commission_bp


def campaign_commission(campaign: Campaign, totals: Iterable[ProductTotal]) -> int:
    """团长佣金 on a campaign's orders: each product's rate, rounded per product as the supplier
    list rounds it (so /汇总 and the export agree to the cent); nothing when it did not 成团."""
    if not campaign.counts:
        return 0
    return sum(commission_cents(t.amount_cents, rate_bp(t.product, campaign)) for t in totals)


# --- what the reports are made of ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Order:
    """One member's live order in one campaign (quantities summed per product)."""

    campaign: Campaign
    member_id: str
    name: str
    label: str
    items: tuple[OrderItem, ...]
    first_line: int

    @property
    def amount_cents(self) -> int:
        return sum(i.amount_cents for i in self.items)

    @property
    def pieces(self) -> int:
        return sum(i.qty for i in self.items)


@dataclass(frozen=True, slots=True)
class SupplierRow:
    campaign: Campaign
    product: Product
    ordered_qty: int  # live quantity ordered
    qty: int  # to buy: the ordered quantity, or 0 when the campaign did not 成团
    amount_cents: int
    commission_bp: int | None
    commission_cents: int
    buyers: int
    # Waitlisted beyond the stock (限量): demand the owner may buy more for.
    waiting: int = 0
    # 缺货: ordered but not arrived (the book was cut by it; `ordered_qty` counts it, `qty` does not).
    short: int = 0


@dataclass(frozen=True, slots=True)
class SupplierList:
    rows: tuple[SupplierRow, ...]
    qty: int
    amount_cents: int
    commission_cents: int


@dataclass(frozen=True, slots=True)
class PackingRow:
    point: str
    house: House | None
    order: Order
    pickup_code: str | None
    collected_at: datetime | None
    handed: str = ""  # 补发 promised in an earlier campaign, to hand over with this order


@dataclass(frozen=True, slots=True)
class PackingList:
    rows: tuple[PackingRow, ...]
    orders: int
    pieces: int  # only orders that are to be packed (their campaign counts)


@dataclass(frozen=True, slots=True)
class MemberRow:
    campaign: Campaign
    member_id: str
    name: str
    label: str
    items: tuple[OrderItem, ...]
    pieces: int
    amount_cents: int  # what her live order is worth
    owed_cents: int  # what she has to pay: nothing when the campaign did not 成团
    paid_cents: int
    pickup_code: str | None
    collected_at: datetime | None
    commission_cents: int
    # The refund ledger: owed to her (缺货, 售后, 下架) and handed back.
    refunds: refund_ledger.Refunds = refund_ledger.NONE

    @property
    def balance_cents(self) -> int:
        """Still to collect from her (待收); negative: to give back (a refund, 多付). The one computation:
        ledger.balance."""
        return Balance(self.owed_cents, self.paid_cents, self.refunds.paid_back_cents).net_cents


@dataclass(frozen=True, slots=True)
class MemberList:
    rows: tuple[MemberRow, ...]
    pieces: int
    amount_cents: int
    owed_cents: int
    paid_cents: int
    balance_cents: int
    commission_cents: int
    collected: int
    refund_cents: int = 0  # every refund owed
    refunded_cents: int = 0  # handed back


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """A partner's (合伙人) share of one campaign: her rate on her group's sales."""

    campaign: Campaign
    member_id: str
    name: str
    commission_bp: int
    sales_cents: int  # her group's live orders; nothing when the campaign did not 成团
    commission_cents: int


@dataclass(frozen=True, slots=True)
class AfterSalesRow:
    """One line of the 售后 sheet: a refund (缺货, 下架: per member and product) or a claim."""

    campaign: Campaign
    member_id: str
    name: str
    product: Product | None
    reason: str  # 缺货, 售后, 下架
    detail: str  # what happened: 少2盒, 她的原话
    refund_cents: int
    status: str


@dataclass(frozen=True, slots=True)
class Reports:
    """Everything one export shows, read in one pass."""

    campaigns: tuple[Campaign, ...]
    orders: tuple[Order, ...]  # in the order book's order: campaign, then first order
    supplier: SupplierList
    packing: PackingList
    members: MemberList
    partners: tuple[PartnerRow, ...] = ()
    groups: dict[str, str] = field(default_factory=dict)  # a drop's rooms → group name
    # False: made for an admin or partner (bot/domain/scope.py), who never sees the owner's commission.
    for_owner: bool = True
    aftersales: tuple[AfterSalesRow, ...] = ()  # the 售后 sheet: every refund and claim

    def seen_by(self, member_id: str) -> Reports:
        """What an admin or partner may see of these reports: no commission, only her own share."""
        return replace(self, partners=tuple(r for r in self.partners if r.member_id == member_id), for_owner=False)

    def group_of(self, campaign: Campaign) -> str:
        """The group name of a part of a drop sold in several groups; '' for a one-group campaign."""
        return self.groups.get(campaign.room_id, campaign.room_id) if campaign.drop_id is not None else ""


# --- the book as the reports read it -----------------------------------------


@dataclass(frozen=True, slots=True)
class _Book:
    campaigns: tuple[Campaign, ...]
    products: tuple[Product, ...]
    orders: tuple[Order, ...]
    fulfilment: dict[tuple[int, str], tuple[str, Fulfilment]]  # → (member name, fulfilment)
    waiting: dict[int, int]  # product id → quantity waitlisted
    groups: dict[str, str]
    partners: dict[str, tuple[tuple[str, str, int], ...]]
    kept: dict[tuple[int, str], tuple[KeptPrice, ...]]
    refunds: dict[tuple[int, str], refund_ledger.Refunds] = field(default_factory=dict)
    refund_rows: tuple[Refund, ...] = ()
    claims: tuple[Claim, ...] = ()
    names: dict[tuple[int, str], str] = field(default_factory=dict)
    replacements: tuple[Replacement, ...] = ()

    def short_of(self, product_id: int) -> int:
        return sum(r.qty for r in self.refund_rows if r.product_id == product_id and r.reason == "shortage")


def _book(book: Book) -> _Book:
    by_campaign = {c.id: c for c in book.campaigns}
    by_product = {p.id: p for p in book.products}
    orders = []
    for o in book.orders:
        kept = book.kept.get((o.campaign_id, o.member_id), ())
        items = sorted((priced_item(by_product[i.product_id], i.qty, kept) for i in o.items),
                       key=lambda item: item.product.position)
        orders.append(Order(by_campaign[o.campaign_id], o.member_id, o.name, o.label, tuple(items), o.first_line))
    fulfilment = {(f.campaign_id, f.member_id): (name, f) for f, name in book.fulfilment}
    return _Book(book.campaigns, book.products, tuple(orders), fulfilment, dict(book.waiting), book.groups,
                 book.partners, book.kept, refund_ledger.by_member(book.refunds, book.refund_payments), book.refunds,
                 book.claims, book.names, book.replacements)


async def _load(db: Database, campaign_id: int | None) -> _Book:
    book = await BookRepo(db).read(campaign_id)
    if campaign_id is not None and not book.campaigns:
        raise UnknownCampaign(campaign_id)
    return _book(book)


# --- the reports ------------------------------------------------------------------


def _supplier(book: _Book) -> SupplierList:
    ordered: dict[int, int] = {}
    buyers: dict[int, int] = {}
    worth: dict[int, int] = {}  # what the members pay for it: units that kept an earlier price at theirs
    for order in book.orders:
        for item in order.items:
            ordered[item.product.id] = ordered.get(item.product.id, 0) + item.qty
            buyers[item.product.id] = buyers.get(item.product.id, 0) + 1
            worth[item.product.id] = worth.get(item.product.id, 0) + item.amount_cents
    by_campaign = {c.id: c for c in book.campaigns}
    rows = []
    for p in book.products:
        campaign = by_campaign[p.campaign_id]
        qty = ordered.get(p.id, 0) if campaign.counts else 0
        amount = worth.get(p.id, 0) if campaign.counts else 0
        rate = rate_bp(p, campaign)
        short = book.short_of(p.id)
        rows.append(SupplierRow(campaign, p, ordered.get(p.id, 0) + short, qty, amount, rate,
                                commission_cents(amount, rate), buyers.get(p.id, 0), book.waiting.get(p.id, 0), short))
    return SupplierList(tuple(rows), sum(r.qty for r in rows), sum(r.amount_cents for r in rows),
                        sum(r.commission_cents for r in rows))


def _fulfilment(book: _Book, order: Order) -> Fulfilment:
    found = book.fulfilment.get((order.campaign.id, order.member_id))
    return found[1] if found else Fulfilment(order.campaign.id, order.member_id, None, False, None, 0)


def _packing_key(row: PackingRow) -> tuple[object, ...]:
    # Orders with no building in their label go last in their pickup point, where
    # someone reads them by name; within a room, by name, then the same member's campaigns together.
    house = (0, *row.house.sort_key) if row.house else (1, 0, 0, 0)
    return row.point, *house, row.order.name, row.order.member_id, row.order.campaign.id


def _packing(book: _Book) -> PackingList:
    rows = []
    points: dict[int, str] = {}  # per campaign: its pickup line is read once, not once per order
    for c in book.campaigns:
        points[c.id] = pickup_point(c.pickup)
        if c.drop_id is not None:
            # A drop's packing list goes out per group, then per pickup point.
            points[c.id] = f"{book.groups.get(c.room_id, c.room_id)} · {points[c.id]}"
    handed = _handed(book)
    for order in book.orders:
        f = _fulfilment(book, order)
        rows.append(PackingRow(points[order.campaign.id], parse_house(order.label), order, f.pickup_code,
                               f.collected_at, handed.pop((order.campaign.id, order.member_id), "")))
    by_campaign = {c.id: c for c in book.campaigns}
    for (cid, member), what in handed.items():  # a 补发 for someone who did not order this time
        name = next(r.name for r in book.replacements if r.member_id == member)
        order = Order(by_campaign[cid], member, name, name, (), 0)
        rows.append(PackingRow(points[cid], None, order, None, None, what))
    rows.sort(key=_packing_key)
    return PackingList(tuple(rows), len(rows), sum(r.order.pieces for r in rows if r.order.campaign.counts))


def _handed(book: _Book) -> dict[tuple[int, str], str]:
    """补发 owed from an earlier campaign of the group, on the packing list of the first later campaign
    in the book: (campaign, member) → "补发：草莓×1（售后#3）"."""
    out: dict[tuple[int, str], list[str]] = {}
    for r in book.replacements:
        later = [c for c in book.campaigns if c.room_id == r.room_id and c.id > r.campaign_id and c.counts]
        f = book.fulfilment.get((later[0].id, r.member_id)) if later else None
        if later and not (f is not None and f[1].collected_at is not None and f[1].collected_at > r.settled_at):
            what = f"补发：{r.product}×{r.qty}{r.unit}（售后#{r.claim_id}）"
            out.setdefault((later[0].id, r.member_id), []).append(what)
    return {key: "；".join(v) for key, v in out.items()}


def _commission_shares(orders: Sequence[Order]) -> dict[tuple[int, str], int]:
    """Each member's part of each product's commission, in cents.

    Rounding every member's part on its own would make the members' total drift a
    few cents from the supplier list's; instead each product's rounded commission is
    shared out: every member gets her exact part rounded down, and the cents left go
    to the largest remainders (the earlier order first among equals).
    """
    parts: dict[int, list[tuple[int, tuple[int, str]]]] = {}
    for order in orders:
        if not order.campaign.counts:
            continue
        for item in order.items:
            rate = rate_bp(item.product, order.campaign)
            if rate:
                parts.setdefault(item.product.id, []).append(
                    (item.amount_cents * rate, (order.campaign.id, order.member_id)))
    out: dict[tuple[int, str], int] = {}
    for product_parts in parts.values():
        total = (sum(exact for exact, _ in product_parts) + 5_000) // 10_000
        cents = [exact // 10_000 for exact, _ in product_parts]
        by_remainder = sorted(range(len(product_parts)), key=lambda k: -(product_parts[k][0] % 10_000))
        for k in by_remainder[: total - sum(cents)]:
            cents[k] += 1
        for (_, key), c in zip(product_parts, cents, strict=True):
            out[key] = out.get(key, 0) + c
    return out


def _member_row(order: Order, f: Fulfilment, commission: int, refunds: refund_ledger.Refunds) -> MemberRow:
    owes = balance(order.amount_cents, order.campaign, f.paid_cents, refunds)
    return MemberRow(order.campaign, order.member_id, order.name, order.label, order.items, order.pieces,
                     order.amount_cents, owes.owed_cents, owes.paid_cents, f.pickup_code, f.collected_at, commission,
                     refunds)


def _members(book: _Book) -> MemberList:
    shares = _commission_shares(book.orders)
    rows = [_member_row(order, _fulfilment(book, order), shares.get((order.campaign.id, order.member_id), 0),
                        book.refunds.get((order.campaign.id, order.member_id), refund_ledger.NONE))
            for order in book.orders]
    # Someone who paid, or collected, and then cancelled everything still has to be settled with.
    have = {(o.campaign.id, o.member_id) for o in book.orders}
    by_campaign = {c.id: c for c in book.campaigns}
    for (cid, member), (name, f) in sorted(book.fulfilment.items()):
        if (cid, member) not in have and (f.paid_cents or f.collected_at):
            refunds = book.refunds.get((cid, member), refund_ledger.NONE)
            owes = balance(0, by_campaign[cid], f.paid_cents, refunds)
            rows.append(MemberRow(by_campaign[cid], member, name, name, (), 0, 0, owes.owed_cents, owes.paid_cents,
                                  f.pickup_code, f.collected_at, 0, refunds))
            have.add((cid, member))
    # So has one whom 缺货 cut to nothing, or who was handed back a refund: the ledger names her.
    for (cid, member), refunds in sorted(book.refunds.items()):
        if (cid, member) not in have and cid in by_campaign:
            name = book.names.get((cid, member), member)
            owes = balance(0, by_campaign[cid], 0, refunds)
            rows.append(MemberRow(by_campaign[cid], member, name, name, (), 0, 0, owes.owed_cents, owes.paid_cents,
                                  None, None, 0, refunds))
    rows.sort(key=lambda r: r.campaign.id)  # stable: each campaign keeps its order book's order
    return _member_list(rows)


_PROBLEM_WORDS = {"damaged": "坏了", "missing": "少了", "wrong": "发错"}


def _aftersales(book: _Book, members: MemberList) -> tuple[AfterSalesRow, ...]:
    """The 售后 sheet: each member's 缺货 and 下架 refunds (net per product) and every claim, each with
    the state of its refund as her account stands (bot/domain/aftersales/refunds.py)."""
    by_campaign = {c.id: c for c in book.campaigns}
    by_product = {p.id: p for p in book.products}
    accounts = {(r.campaign.id, r.member_id): r for r in members.rows}
    cut: dict[tuple[int, str, int | None, str], list[int]] = {}
    for r in book.refund_rows:
        if r.reason != "claim":
            cut.setdefault((r.campaign_id, r.member_id, r.product_id, r.reason), [0, 0])
            cut[(r.campaign_id, r.member_id, r.product_id, r.reason)][0] += r.qty
            cut[(r.campaign_id, r.member_id, r.product_id, r.reason)][1] += r.cents
    rows: list[tuple[tuple[int, str], AfterSalesRow]] = []
    for (cid, member, pid, reason), (qty, cents) in cut.items():
        if not cents and not qty:
            continue  # a restock gave it all back
        product = by_product.get(pid) if pid is not None else None
        account = accounts.get((cid, member))
        name = account.name if account else book.names.get((cid, member), member)
        unit = (product.unit if product else None) or "份"
        why = refund_ledger.REASON_WORDS[reason]
        rows.append(((cid, member), AfterSalesRow(by_campaign[cid], member, name, product, why, f"少{qty}{unit}",
                                                  cents, "")))
    for claim in book.claims:
        if claim.campaign_id not in by_campaign:
            continue
        product = by_product.get(claim.product_id) if claim.product_id is not None else None
        unit = (product.unit if product else None) or "份"
        said = f"{claim.qty}{unit}" if claim.qty else ""
        detail = f"{said}{_PROBLEM_WORDS.get(claim.kind, '')}「{claim.text}」"
        status = {"open": "待处理", "refused": f"已拒绝：{claim.note or ''}"}.get(claim.status, "")
        if claim.status == "replaced":
            status = f"补发{claim.replace_qty or ''}{unit}" + ("（已补）" if claim.replaced_at else "（下次取货给她）")
        cents = claim.refund_cents or 0 if claim.status == "refunded" else 0
        rows.append(((claim.campaign_id, claim.member_id),
                     AfterSalesRow(by_campaign[claim.campaign_id], claim.member_id, claim.name, product, "售后", detail,
                                   cents, status)))
    # The state of each refund, member by member, in the order they were owed.
    out: list[AfterSalesRow] = []
    for key in dict.fromkeys(k for k, _ in rows):
        mine = [row for k, row in rows if k == key]
        account = accounts.get(key)
        states = refund_ledger.statuses([r.refund_cents if not r.status else 0 for r in mine],
                                 account.owed_cents if account else 0, account.paid_cents if account else 0,
                                 account.refunds.paid_back_cents if account else 0)
        out += [row if row.status else replace(row, status=state) for row, state in zip(mine, states, strict=True)]
    return tuple(out)


def _member_list(rows: Sequence[MemberRow]) -> MemberList:
    return MemberList(
        rows=tuple(rows), pieces=sum(r.pieces for r in rows), amount_cents=sum(r.amount_cents for r in rows),
        owed_cents=sum(r.owed_cents for r in rows), paid_cents=sum(r.paid_cents for r in rows),
        balance_cents=sum(r.balance_cents for r in rows), commission_cents=sum(r.commission_cents for r in rows),
        collected=sum(1 for r in rows if r.collected_at is not None),
        refund_cents=sum(r.refunds.owed_cents for r in rows),
        refunded_cents=sum(r.refunds.paid_back_cents for r in rows),
    )


def _partners(book: _Book) -> tuple[PartnerRow, ...]:
    sales: dict[int, int] = {}
    for order in book.orders:
        if order.campaign.counts:
            sales[order.campaign.id] = sales.get(order.campaign.id, 0) + order.amount_cents
    return tuple(PartnerRow(c, member, name, bp, sales.get(c.id, 0), commission_cents(sales.get(c.id, 0), bp))
                 for c in book.campaigns for member, name, bp in book.partners.get(c.room_id, ()))


async def supplier_list(db: Database, campaign_id: int | None = None) -> SupplierList:
    return _supplier(await _load(db, campaign_id))


async def packing_list(db: Database, campaign_id: int | None = None) -> PackingList:
    return _packing(await _load(db, campaign_id))


async def member_list(db: Database, campaign_id: int | None = None) -> MemberList:
    return _members(await _load(db, campaign_id))


async def load_reports(db: Database, campaign_id: int | None = None) -> Reports:
    """All three reports and the order rows from one reading; UnknownCampaign for an id that is not there."""
    book = await _load(db, campaign_id)
    members = _members(book)
    return Reports(book.campaigns, book.orders, _supplier(book), _packing(book), members, _partners(book),
                   book.groups, aftersales=_aftersales(book, members))


def items_text(items: Iterable[OrderItem]) -> str:
    """"草莓×2盒，砂糖橘×1箱": what a person packs or reads out."""
    return "，".join(f"{i.product.name}×{i.qty}{i.product.unit or ''}" for i in items)
