"""售后 claims as operations: which delivery a report is about, opening it, and settling it.

A claim is accepted while her goods are within the group's window (48 hours by default) after her
pickup (when she collected, else when the goods arrived). Settling never refunds more than the
line's worth at the price she paid, less what claims on it already refunded (`refund_room`).
Runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.orderbook import catalog_of
from bot.domain.services import Services
from bot.parsing.aftersale import Problem, ProblemReport, ReportedLine, read_problem
from bot.render.templates import money, when
from storage.records import Campaign, Claim, MemberOrder, Product, Refund

DEFAULT_WINDOW_HOURS = 48
# A photo sent this close before (or after) her words is the claim's photo.
PHOTO_NEAR = timedelta(minutes=10)
# The latest campaigns of a group that a claim may be about (a claim is about goods just received).
RECENT = 5


@dataclass(frozen=True)
class Delivery:
    """Goods she received in one group's part of a campaign, and since when."""

    part: Campaign
    products: list[Product]
    order: MemberOrder
    since: datetime
    window: timedelta

    def open_at(self, now: datetime) -> bool:
        return now <= self.since + self.window


async def window(svc: Services, room_id: str) -> timedelta:
    return timedelta(hours=await svc.aftersales.window_hours(room_id) or DEFAULT_WINDOW_HOURS)


async def deliveries(svc: Services, member_id: str, name: str, rooms: list[str]) -> list[Delivery]:
    """Her received goods in these groups' latest campaigns, latest first."""
    found: list[Delivery] = []
    for room_id in rooms:
        recent = [c for c in await svc.campaigns.recent_in(room_id, RECENT) if not c.is_open and c.counts]
        arrived = await svc.aftersales.arrived_at([c.id for c in recent])
        for part in recent:
            if part.id not in arrived:
                continue
            products = await svc.campaigns.products(part.id)
            order = await svc.orders.member_order(part.id, member_id, name, products)
            if not order.items:
                continue
            state = await svc.fulfilment.get(part.id, member_id)
            since = state.collected_at if state is not None and state.collected_at else arrived[part.id]
            found.append(Delivery(part, products, order, since, await window(svc, room_id)))
    found.sort(key=lambda d: d.since, reverse=True)
    return found


def pick(found: list[Delivery], text: str) -> tuple[Delivery, ProblemReport] | None:
    """The delivery a report is about: the latest whose products it names and she received, else the
    latest it reads as a report for."""
    first: tuple[Delivery, ProblemReport] | None = None
    for d in found:
        report = read_problem(text, catalog_of(d.products))
        if report is None:
            continue
        held = {p.id for p, _ in d.order.items}
        if any(line.product is not None and line.product.id in held for line in report.lines):
            return d, report
        if first is None:
            first = d, report
    return first


@dataclass(frozen=True)
class Opened:
    claims: tuple[Claim, ...]  # new ones
    added_to: tuple[Claim, ...]  # her open claims the words were added to


def _line_product(line: ReportedLine, d: Delivery) -> int | None:
    if line.product is not None:
        return line.product.id
    held = [p.id for p, _ in d.order.items]
    return held[0] if len(held) == 1 else None  # 漏发 with one product: that one


async def open_claims(svc: Services, d: Delivery, report: ProblemReport, room_id: str, member_id: str, name: str,
                      text: str, message_id: str, now: datetime) -> Opened:
    photo_key = room_id
    photo = await svc.aftersales.latest_photo(photo_key, member_id)
    photo_ref = f"{photo[0]}@{photo[1].isoformat()}" if photo and now - photo[1] <= PHOTO_NEAR else None
    existing = {c.product_id: c for c in await svc.aftersales.open_claims_of(member_id, d.part.id)}
    new: list[Claim] = []
    added: list[Claim] = []
    for line in report.lines:
        product_id = _line_product(line, d)
        if product_id in existing:
            svc.aftersales.add_words(existing[product_id].id, text)
            added.append(existing[product_id])
            continue
        cid = await svc.aftersales.add_claim(d.part.id, room_id, member_id, name, product_id, line.qty,
                                             report.problem.value, text, photo_ref, message_id, now)
        claim = await svc.aftersales.claim(cid)
        assert claim is not None
        new.append(claim)
        existing[product_id] = claim
    return Opened(tuple(new), tuple(added))


def product_of(d_products: list[Product], product_id: int | None) -> Product | None:
    return next((p for p in d_products if p.id == product_id), None)


def claim_what(claim: Claim, product: Product | None) -> str:
    """"草莓2盒坏了": what the claim says, in a few words."""
    problem = Problem(claim.kind).word if claim.kind in {p.value for p in Problem} else ""
    qty = f"{claim.qty}{(product.unit if product else None) or '份'}" if claim.qty else ""
    return f"{product.name if product else ''}{qty}{problem}" or claim.text[:20]


def photo_text(photo: str | None) -> str:
    if not photo:
        return "没有图片"
    message_id, _, at = photo.partition("@")
    stamp = when(datetime.fromisoformat(at)) if at else ""
    return f"📷 有图：{stamp} 发的图片（消息 {message_id}）"


def owner_text(claim: Claim, part: Campaign, product: Product | None, order: MemberOrder) -> str:
    held = next((q for p, q in order.items if product is not None and p.id == product.id), None)
    unit = (product.unit if product else None) or "份"
    got = f"（她收到{held}{unit}，{money(product.price_cents)}/{unit}）" if product is not None and held else \
        "（没说是哪个商品：" + "、".join(f"{p.name}×{q}" for p, q in order.items) + "）" if product is None else \
        "（她这单没有这个商品）"
    n = claim.id
    return (f"🧾 售后 #{n}（{part.title}）\n{claim.name}：{claim_what(claim, product)}{got}\n"
            f"原话：「{claim.text}」\n{photo_text(claim.photo)}\n"
            f"处理：/售后 {n} 退 {claim.qty or 1}（按单价退）｜/售后 {n} 退 ¥15｜/售后 {n} 补发｜/售后 {n} 拒绝 理由")


async def handed_over(svc: Services, claim: Claim, room_id: str) -> bool:
    """Whether a 补发 was handed over: she collected at a later pickup of the group after it was promised."""
    if claim.replaced_at is not None:
        return True
    for later in await svc.campaigns.recent_in(room_id, RECENT):
        if later.id > claim.campaign_id:
            state = await svc.fulfilment.get(later.id, claim.member_id)
            if state is not None and state.collected_at is not None and claim.settled_at is not None \
                    and state.collected_at > claim.settled_at:
                return True
    return False


def refund_room(delivered: int, worth_cents: int, earlier: list[Refund]) -> tuple[int, int]:
    """(units, cents) still refundable on one line: what she received, worth what she pays for it,
    less the claims already refunded on it. Never below zero."""
    units = delivered - sum(r.qty for r in earlier)
    cents = worth_cents - sum(r.cents for r in earlier)
    return max(units, 0), max(cents, 0)


@dataclass(frozen=True)
class LineRoom:
    """What a claim may still refund: on its line, or on her whole order when it names no product."""

    held: int  # units she received
    units_left: int
    cents_left: int
    next_units: tuple[int, ...] = ()  # what each further unit refunds, at the price she pays for it

    def units_cents(self, n: int) -> int:
        return sum(self.next_units[:n])


async def line_room(svc: Services, claim: Claim, product: Product | None) -> LineRoom:
    part = await svc.campaigns.get(claim.campaign_id)
    assert part is not None
    products = await svc.campaigns.products(part.id)
    order = await svc.orders.member_order(part.id, claim.member_id, claim.name, products)
    earlier = [r for r in await svc.aftersales.member_refunds(part.id, claim.member_id)
               if r.reason == "claim" and (product is None or r.product_id == product.id)]
    if product is None:
        return LineRoom(0, 0, max(order.amount_cents - sum(r.cents for r in earlier), 0))
    held = next((q for p, q in order.items if p.id == product.id), 0)
    worth = await svc.orders.worth(part.id, claim.member_id, product, held)
    units, cents = refund_room(held, worth, earlier)
    steps = []  # the units not refunded yet, from the top of what she holds
    for k in range(units):
        q = units - k
        steps.append(await svc.orders.worth(part.id, claim.member_id, product, q)
                     - await svc.orders.worth(part.id, claim.member_id, product, q - 1))
    return LineRoom(held, units, cents, tuple(steps))
