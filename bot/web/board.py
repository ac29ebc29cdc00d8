"""The order board (the live 汇总 of her open campaigns), who still owes, and the week's charts.

Money as the chat's scope rule has it (bot/domain/scope.py): amounts and payments for the owner,
her admins and partners; the owner's commission for the owner alone; a partner's share for her
alone. Only ever on these pages, never in a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.money.ledger import balance_text, debts
from bot.domain.reports import campaign_commission, commission_cents
from bot.domain.scope import parts_in_scope
from bot.domain.services import Services
from bot.render.templates import money
from bot.web.charts import Columns, HBars, columns, hbars
from bot.web.reach import Reach
from storage.records import Campaign, ProductTotal


@dataclass(frozen=True)
class ProductLine:
    name: str
    unit: str
    ordered: int
    left: int | None  # stock left over the whole drop; None: no 限量
    waiting: int  # waitlisted in the groups she sees
    amount_cents: int


@dataclass(frozen=True)
class CampaignBoard:
    campaign: Campaign
    groups: tuple[str, ...]  # the groups shown (a drop: those she runs)
    buyers: int
    lines: tuple[ProductLine, ...]
    total_cents: int
    close_at: datetime | None
    commission_cents: int | None  # the owner's commission on these groups' orders: hers alone to see
    share: tuple[int, int] | None  # a partner's (rate in basis points, her share in cents): hers alone


@dataclass(frozen=True)
class Owing:
    campaign: Campaign
    rows: tuple[tuple[str, str], ...]  # (name, "还差¥30" / "多付¥5（要退给她）"), in /未付's words
    due_cents: int  # still to collect from them all


async def campaign_board(svc: Services, reach: Reach, campaign: Campaign) -> CampaignBoard:
    """An open campaign's live totals over the parts of its drop she may act on."""
    scope = reach.scope(campaign.room_id)
    parts = await parts_in_scope(svc.campaigns, scope, campaign) if scope is not None else []
    products = await svc.campaigns.products(campaign.id)
    qty = {p.id: 0 for p in products}
    waiting = {p.id: 0 for p in products}
    buyers: set[tuple[int, str]] = set()
    sales: dict[str, int] = {}
    for part in parts:
        for order in await svc.orders.orders(part.id, products):
            buyers.add((part.id, order.member_id))
            sales[part.room_id] = sales.get(part.room_id, 0) + order.amount_cents
            for product, n in order.items:
                qty[product.id] = qty.get(product.id, 0) + n
        for _, product_id, n in await svc.orders.waitlist(part.id):
            waiting[product_id] = waiting.get(product_id, 0) + n
    lines = []
    for p in products:
        left = None if p.stock is None else max(p.stock - await svc.orders.sold_of(p.id), 0)
        amount = qty[p.id] * (p.price_cents or 0)
        lines.append(ProductLine(p.name, p.unit or "", qty[p.id], left, waiting[p.id], amount))
    totals = [ProductTotal(p, qty[p.id]) for p in products]
    commission = campaign_commission(campaign, totals) if scope is not None and scope.sees_owner_figures else None
    rate = next((bp for room in sales if (bp := reach.share(room)) is not None), None)
    share = None
    if rate is not None and campaign.counts:
        mine = sum(cents for room, cents in sales.items() if reach.share(room) is not None)
        share = (rate, commission_cents(mine, rate))
    return CampaignBoard(campaign, tuple(reach.topics.get(p.room_id, p.room_id) for p in parts), len(buyers),
                         tuple(lines), sum(line.amount_cents for line in lines), campaign.close_at, commission, share)


async def owing(svc: Services, reach: Reach, campaigns: list[Campaign]) -> list[Owing]:
    """Who still owes (or paid too much), per closed campaign of hers: the ledger's one computation
    (bot/domain/money/ledger.py), as /未付 says it."""
    out = []
    for campaign in campaigns:
        if campaign.is_open or not campaign.counts or not reach.may_act(campaign.room_id):
            continue
        found = [d for d in await debts(svc, campaign) if d.balance.net_cents]
        if found:
            out.append(Owing(campaign, tuple((d.name, balance_text(d.balance)) for d in found),
                             sum(d.balance.due_cents for d in found)))
    return out


@dataclass(frozen=True)
class Charts:
    days: int
    over_time: Columns
    per_product: HBars
    per_group: HBars
    repeat: Columns


async def charts(svc: Services, reach: Reach, now: datetime, days: int = 7) -> Charts:
    """The week in pictures: orders per hour, per product, per group, and new against returning buyers."""
    start = now - timedelta(days=days)
    campaigns = [c for c in await svc.campaigns.since(None, start) if reach.may_act(c.room_id)]
    # Orders over time: when each buyer's order began, per hour of the last `days` days.
    hours = days * 24
    first_hour = now.astimezone(now.tzinfo).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    per_hour = [0] * hours
    for _, _, at in await svc.history.first_orders(tuple(c.id for c in campaigns)):
        slot = int((at - first_hour).total_seconds() // 3600)
        if 0 <= slot < hours:
            per_hour[slot] += 1
    slots = []
    for i, n in enumerate(per_hour):
        at = first_hour + timedelta(hours=i)
        slots.append((f"{at.month}/{at.day}" if at.hour == 0 else "", (float(n),)))
    over_time = columns(f"近{days}天每小时新订单", slots)
    # Per product and per group.
    product_qty: dict[str, tuple[int, int, str]] = {}
    group_figures: dict[str, tuple[int, int]] = {}
    for c in campaigns:
        if not c.counts:
            continue
        products = await svc.campaigns.products(c.id)
        totals, buyers = await svc.orders.totals(c.id, products)
        for t in totals:
            n, cents, unit = product_qty.get(t.product.name, (0, 0, t.product.unit or ""))
            product_qty[t.product.name] = (n + t.qty, cents + t.amount_cents, unit)
        people, cents = group_figures.get(c.room_id, (0, 0))
        group_figures[c.room_id] = (people + buyers, cents + sum(t.amount_cents for t in totals))
    per_product = hbars("各商品销量", [
        (name, n, f"{n}{unit} · {money(cents)}")
        for name, (n, cents, unit) in product_qty.items() if n])
    per_group = hbars("各群下单人数", [
        (reach.topics.get(room, room), people, f"{people}人 · {money(cents)}")
        for room, (people, cents) in group_figures.items()])
    # Returning buyers: bought in an earlier campaign of the same group.
    repeat_slots = []
    for c in sorted(campaigns, key=lambda c: c.id)[-10:]:
        if not c.counts:
            continue
        before = await svc.history.buyers_before(c.room_id, c.id)
        members = {o.member_id for o in await svc.orders.orders(c.id, await svc.campaigns.products(c.id))}
        back = len(members & before)
        repeat_slots.append((c.title[:4], (float(len(members) - back), float(back))))
    repeat = columns("新老顾客（每个团）", repeat_slots, legend=("新顾客", "回头客"))
    return Charts(days, over_time, per_product, per_group, repeat)
