"""Payments: /已付, /未付, and transfers seen in the group as hints for the owner.

A transfer or red packet is never marked paid by itself: the owner confirms.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.pickup import after_drop_target, buyers
from bot.models import MessageKind
from bot.parsing.quantity import amount_cents
from bot.parsing.textnorm import nfkc
from bot.render.templates import money, when

router = Router("payments", section="收款")

_AMOUNT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:元|块)?(?![\d.])")


@router.matcher(priority=20)
async def payment_hint(ctx: Context) -> bool:
    if ctx.msg.kind not in (MessageKind.TRANSFER, MessageKind.RED_PACKET):
        return False
    kind = "转账" if ctx.msg.kind is MessageKind.TRANSFER else "红包"
    await ctx.svc.fulfilment.add_hint(ctx.msg.room_id, ctx.msg.sender.id, kind, ctx.msg.text, ctx.msg.id, ctx.now)
    return True


@router.command("已付", "paid", admin_only=True, help="/已付 @某人 [金额]")
async def paid_command(ctx: Context, args: str) -> None:
    if not ctx.msg.mentions:
        ctx.reply("用法：/已付 @某人 [金额]（不写金额就是付清）")
        return
    campaign, why = await after_drop_target(ctx.svc, ctx.room_id)
    if campaign is None:
        ctx.reply(why)
        return
    # The amount is what is left once the @name is removed: a name may contain digits.
    text = nfkc(args)
    for member_id in ctx.msg.mentions:
        text = text.replace("@" + await ctx.svc.rooms.name_of(ctx.room_id, member_id), " ")
    m = _AMOUNT.search(text)
    amount = amount_cents(m.group(1)) if m else None
    if m is not None and amount is None:
        # A number she cannot mean (20 digits, three decimals) is never "paid in full".
        ctx.reply(f"金额看不懂：{m.group(1)[:20]}（最多100万元，最多两位小数）。用法：/已付 @某人 [金额]")
        return
    orders = {o.member_id: o for o in await buyers(ctx.svc, campaign)}
    lines = []
    for member_id in ctx.msg.mentions:
        name = await ctx.svc.rooms.name_of(ctx.room_id, member_id)
        order = orders.get(member_id)
        if order is None:
            lines.append(f"{name} 在「{campaign.title}」没有订单")
            continue
        paid = amount if amount is not None and len(ctx.msg.mentions) == 1 else order.amount_cents
        await ctx.svc.fulfilment.set_paid(campaign.id, member_id, paid, ctx.now)
        left = order.amount_cents - paid
        status = "已付清" if left <= 0 else f"还差{money(left)}"
        lines.append(f"✅ {name} 已付 {money(paid)}（应付 {money(order.amount_cents)}，{status}）")
    ctx.reply("\n".join(lines))


@router.command("未付", "unpaid", admin_only=True, help="/未付 谁还没付款")
async def unpaid_command(ctx: Context, args: str) -> None:
    campaign, why = await after_drop_target(ctx.svc, ctx.room_id)
    if campaign is None:
        ctx.reply(why)
        return
    states = await ctx.svc.fulfilment.of_campaign(campaign.id)
    owing = []
    for order in await buyers(ctx.svc, campaign):
        paid = states[order.member_id].paid_cents if order.member_id in states else 0
        if order.amount_cents - paid > 0:
            owing.append((order.name, order.amount_cents - paid))
    lines = [f"「{campaign.title}」都付清了 🎉"] if not owing else \
        [f"💰 「{campaign.title}」未付款（{len(owing)}人，共{money(sum(c for _, c in owing))}）："] + \
        [f"{name} {money(cents)}" for name, cents in owing]
    hints = await ctx.svc.fulfilment.hints(ctx.room_id, campaign.opened_at - timedelta(days=1))
    if hints:
        lines.append("待团长确认的转账/红包（确认后发 /已付 @某人）：")
        lines += [f"{await ctx.svc.rooms.name_of(ctx.room_id, m)} {kind} {when(at)}" for m, kind, at in hints]
    ctx.reply("\n".join(lines))
