"""合伙人: a helper who runs one of the owner's groups for a share of that group's sales.

A partner is an admin of her group; her commission is her rate on that group's
live orders (nothing when the campaign did not 成团). The owner sees every
partner's share in /汇总; a partner (or any admin who runs only some groups of
a drop) sees only her group's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.domain.conversation.questions import waiting as questions_waiting
from bot.domain.reports import commission_cents
from bot.domain.scope import Scope
from bot.domain.services import Services
from bot.parsing.privacy import mask
from bot.render.templates import money
from storage.records import Campaign, WaitlistTotal


@dataclass(frozen=True)
class PartnerShare:
    member_id: str
    name: str
    room_id: str
    group: str
    commission_bp: int
    sales_cents: int
    commission_cents: int


def rate_text(bp: int) -> str:
    return f"{bp / 100:g}%"


async def partner_shares(svc: Services, campaign: Campaign) -> list[PartnerShare]:
    """Every partner's share of the campaign (each group's part of a drop)."""
    products = await svc.campaigns.products(campaign.id)
    out: list[PartnerShare] = []
    for part in await svc.campaigns.parts(campaign):
        partners = await svc.rooms.partners(part.room_id)
        if not partners:
            continue
        totals, _ = await svc.orders.totals(part.id, products)
        sales = sum(t.amount_cents for t in totals) if part.fulfilled is not False else 0
        group = await svc.rooms.topic(part.room_id) or part.room_id
        for member_id, bp in partners:
            name = await svc.rooms.name_of(part.room_id, member_id)
            out.append(PartnerShare(member_id, name, part.room_id, group, bp, sales, commission_cents(sales, bp)))
    return out


def shares_text(shares: list[PartnerShare]) -> str:
    lines = [f"合伙人分润（共{money(sum(s.commission_cents for s in shares))}）："]
    lines += [f"· {s.name}（{s.group}，{rate_text(s.commission_bp)}）：销售额{money(s.sales_cents)}，"
              f"分润{money(s.commission_cents)}" for s in shares]
    return "\n".join(lines)


async def _waitlist(svc: Services, part: Campaign) -> list[WaitlistTotal]:
    """What this group waits for, per product (bot/domain/lifecycle.py's waitlist_totals, one group)."""
    products = {p.id: p for p in await svc.campaigns.products(part.id)}
    qty: dict[int, int] = {}
    people: dict[int, set[str]] = {}
    for member, product_id, n in await svc.orders.waitlist(part.id):
        qty[product_id] = qty.get(product_id, 0) + n
        people.setdefault(product_id, set()).add(member)
    known = sorted((pid for pid in qty if pid in products), key=lambda pid: products[pid].position)
    return [WaitlistTotal(products[pid], qty[pid], len(people[pid])) for pid in known]


async def group_summary(svc: Services, part: Campaign, scope: Scope) -> str:
    """/汇总 for someone who is not the owner, of one group: its figures, her own share, nothing of other
    groups and not the owner's commission."""
    products = await svc.campaigns.products(part.id)
    totals, buyers = await svc.orders.totals(part.id, products)
    unreadable = [replace(u, text=mask(u.text)) for u in await svc.orders.unreadable(part.id)]
    text = await svc.render("summary", part.room_id, campaign=part, totals=totals, buyers=buyers,
                                total_cents=sum(t.amount_cents for t in totals), unreadable=unreadable,
                                commission_cents=0, waitlist=await _waitlist(svc, part),
                                asking=await questions_waiting(svc, part))
    group = await svc.rooms.topic(part.room_id) or part.room_id
    return f"{text.rstrip()}\n（只含「{group}」）" + await own_shares_text(svc, part, scope)


async def own_shares_text(svc: Services, campaign: Campaign, scope: Scope) -> str:
    """Her own share of each group of the campaign she runs as a partner ("" when none): never another's."""
    mine = [s for s in await partner_shares(svc, campaign)
            if s.member_id == scope.member_id and scope.covers(s.room_id)]
    return "".join(f"\n你的分润（{rate_text(s.commission_bp)}{'，' + s.group if len(mine) > 1 else ''}）："
                   f"{money(s.commission_cents)}" for s in mine)
