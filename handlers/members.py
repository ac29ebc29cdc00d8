"""A member asks for her own orders: 我的订单 / 查单."""

from __future__ import annotations

import re

from bot.context import Context
from bot.router import Router
from bot.textnorm import nfkc

router = Router("members")

_ASK = re.compile(r"^\s*(?:我的订单|查单|查订单|我的单|订单查询)\s*[?？!！。.]*\s*$")


@router.matcher
async def my_orders(ctx: Context) -> bool:
    if not _ASK.match(nfkc(ctx.text)):
        return False
    member = ctx.msg.sender
    # In a private chat she sees every group she orders in.
    rooms = [ctx.msg.room_id] if ctx.msg.room_id else await ctx.svc.rooms.rooms_of(member.id)
    found = []
    for room_id in rooms:
        campaign = await ctx.svc.campaigns.open_in(room_id)
        if campaign is None:
            continue
        products = await ctx.svc.campaigns.products(campaign.id)
        order = await ctx.svc.orders.member_order(campaign.id, member.id, member.name, products)
        if order.items:
            found.append({"title": campaign.title, "order": order})
    text = ctx.svc.templates.render(
        "my_orders", ctx.msg.room_id, name=member.name, orders=found,
        total_cents=sum(f["order"].amount_cents for f in found),  # type: ignore[attr-defined]
    )
    if ctx.msg.room_id is None:
        ctx.reply(text.removeprefix(f"@{member.name} "))
    else:
        ctx.reply(text, mentions=(member.id,))
    return True
