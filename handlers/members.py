"""A member asks for her own orders: 我的订单 / 查单."""

from __future__ import annotations

import re

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.aftersales.refunds import NONE as NO_REFUNDS
from bot.domain.aftersales.refunds import of_member
from bot.domain.money.ledger import balance, paid_text
from bot.parsing.textnorm import nfkc

router = Router("members")

# Her campaigns still open or waiting for pickup are among the group's latest few;
# looking further back would make the answer cost grow with the group's history.
RECENT = 5
_ASK = re.compile(r"^\s*(?:我的订单|查单|查订单|我的单|订单查询)\s*[?？!！。.]*\s*$")


@router.matcher(priority=30, help="发「我的订单」或「查单」查看自己的订单")
async def my_orders(ctx: Context) -> bool:
    # A 接龙 copy is long; normalising it only to find it is not a query is waste.
    if len(ctx.text) > 20 or not _ASK.match(nfkc(ctx.text)):
        return False
    member = ctx.msg.sender
    # In a private chat she sees every group she orders in.
    rooms = [ctx.msg.room_id] if ctx.msg.room_id else await ctx.svc.rooms.rooms_of(member.id)
    found: list[dict[str, object]] = []
    total = 0
    for room_id in rooms:
        for campaign in await ctx.svc.campaigns.recent_in(room_id, RECENT):
            if campaign.fulfilled is False:
                continue
            products = await ctx.svc.campaigns.products(campaign.id)
            order = await ctx.svc.orders.member_order(campaign.id, member.id, member.name, products)
            waiting = ""
            if campaign.is_open and any(p.stock is not None for p in products):
                names = {p.id: p for p in products}
                waiting = "、".join(f"{names[pid].name}×{n}" for m, pid, n in await ctx.svc.orders.waitlist(campaign.id)
                                   if m == member.id and pid in names)
            refunds = NO_REFUNDS if campaign.is_open else of_member(
                await ctx.svc.aftersales.member_refunds(campaign.id, member.id),
                await ctx.svc.aftersales.member_refund_payments(campaign.id, member.id))
            if not order.items and not waiting and not refunds.owed_cents:
                continue
            state = await ctx.svc.fulfilment.get(campaign.id, member.id)
            owes = balance(order.amount_cents, campaign, state.paid_cents if state is not None else 0, refunds)
            collected = state is not None and state.collected_at is not None
            if campaign.is_open:
                status = "进行中"
            elif collected and (owes.net_cents == 0 or not ctx.private):
                # Finished. Collected but not settled stays in her private list: she still owes it (or is
                # owed). In the group it goes like a settled one: money is between her and the owner.
                continue
            elif collected:
                status = f"已取货，{paid_text(owes)}"
            else:
                code = state.pickup_code if state is not None and state.pickup_code else None
                pickup = f"待取货（取货码{code}）" if code else "待到货"
                # Whether she has paid is between her and the owner: said only in her private chat.
                status = f"{paid_text(owes)}，{pickup}" if ctx.private else pickup
            if waiting:
                status += f"，候补中：{waiting}"
            found.append({"title": campaign.title, "order": order, "state": status})
            total += order.amount_cents
    text = await ctx.svc.templates.arender(
        "my_orders", ctx.msg.room_id, name=member.name, orders=found, total_cents=total, private=ctx.private)
    if ctx.msg.room_id is None:
        ctx.reply(text.removeprefix(f"@{member.name} "))
    else:
        ctx.reply(text, mentions=(member.id,))
    return True
