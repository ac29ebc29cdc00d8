"""A member asks for her own orders: 我的订单 / 查单."""

from __future__ import annotations

import re

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.aftersales.refunds import NONE, Refunds, net, of_member, to_pay
from bot.parsing.textnorm import nfkc
from bot.render.templates import money

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
            refunds = NONE if campaign.is_open else of_member(
                await ctx.svc.aftersales.member_refunds(campaign.id, member.id),
                await ctx.svc.aftersales.member_refund_payments(campaign.id, member.id))
            if not order.items and not waiting and not refunds.owed_cents:
                continue
            state = await ctx.svc.fulfilment.get(campaign.id, member.id)
            if campaign.is_open:
                status = "进行中"
            elif state is not None and state.collected_at is not None:
                continue  # finished: collected
            else:
                paid_cents = state.paid_cents if state is not None else 0
                # The workbook's 团员对账 arithmetic (bot/domain/aftersales/refunds.py), for her alone.
                left = net(to_pay(order.amount_cents, campaign.counts, refunds), paid_cents, refunds)
                paid = _paid_text(left, paid_cents, refunds)
                if refunds.owed_cents:
                    paid = f"退款{money(refunds.owed_cents)}，{paid}"
                code = state.pickup_code if state is not None and state.pickup_code else None
                pickup = f"待取货（取货码{code}）" if code else "待到货"
                # Whether she has paid is between her and the owner: said only in her private chat.
                status = f"{paid}，{pickup}" if ctx.private else pickup
            if waiting:
                status += f"，候补中：{waiting}"
            found.append({"title": campaign.title, "order": order, "state": status})
            total += order.amount_cents
    text = ctx.svc.templates.render(
        "my_orders", ctx.msg.room_id, name=member.name, orders=found, total_cents=total)
    if ctx.msg.room_id is None:
        ctx.reply(text.removeprefix(f"@{member.name} "))
    else:
        ctx.reply(text, mentions=(member.id,))
    return True


def _paid_text(left: int, paid_cents: int, refunds: Refunds) -> str:
    """Her account in her words: still to pay, settled, or what the owner gives back."""
    if left > 0:
        if paid_cents:
            return f"还差{money(left)}"
        return f"未付（应付{money(left)}）" if refunds.credit_cents else "未付"
    if left < 0:
        return f"团长要退你{money(-left)}"
    if refunds.paid_back_cents:
        return "已退清"
    return "已付" if paid_cents else "不用付"
