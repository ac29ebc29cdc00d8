"""The owner's check list: /待确认 lists it, /确认 N 草莓2盒 books what a line meant, /忽略 N drops it.

The list is the owner's: it is answered privately, wherever the command was typed.
Entries also leave it by themselves when the member's later message settles them.
"""

from __future__ import annotations

import re

from bot.app.context import Ack, Context
from bot.app.router import Router
from bot.domain.asking import owner_settled
from bot.domain.orderbook import catalog_of
from bot.domain.pickup import items_text
from bot.parsing.order_text import Action, Intent, parse_order_text
from bot.render.templates import money
from storage.records import Campaign, Unreadable

router = Router("checks")

_NUMBER = re.compile(r"^\s*#?(\d{1,9})\s*(.*)$", re.DOTALL)


async def _entry(ctx: Context, args: str, usage: str) -> tuple[Campaign, Unreadable, str] | None:
    """The open entry the command names, checked against who may settle it, and the rest of the args."""
    m = _NUMBER.match(args)
    if m is None:
        ctx.reply_private(usage)
        return None
    found = await ctx.svc.orders.check_entry(int(m.group(1)))
    campaign = await ctx.svc.campaigns.get(found[0]) if found is not None else None
    if found is None or campaign is None or not await ctx.svc.rooms.is_admin(campaign.room_id, ctx.msg.sender.id):
        ctx.reply_private(f"没有待确认 #{m.group(1)}。发 /待确认 查看清单。")
        return None
    _, entry, still_open = found
    if not still_open:
        ctx.reply_private(f"待确认 #{entry.id} 已经处理过了。")
        return None
    return campaign, entry, m.group(2).strip()


@router.command("待确认", "checklist", help="/待确认 需要团长确认的订单（私聊回复）")
async def list_command(ctx: Context, args: str) -> None:
    rooms = [ctx.msg.room_id] if ctx.msg.room_id else await ctx.svc.rooms.rooms_of(ctx.msg.sender.id)
    lines: list[str] = []
    for room_id in rooms:
        if not await ctx.svc.rooms.is_admin(room_id, ctx.msg.sender.id):
            continue
        campaign = await ctx.svc.campaigns.open_in(room_id) or await ctx.svc.campaigns.latest_in(room_id)
        if campaign is None:
            continue
        for u in await ctx.svc.orders.unreadable(campaign.id):
            lines.append(f"#{u.id}（{campaign.title}）{u.name}：{u.text[:60]}（{u.reason}）")
    if ctx.msg.room_id is not None and not ctx.is_admin:
        ctx.reply("抱歉，/待确认 只有团长和管理员可以使用。", mention_sender=True)
        return
    if not lines:
        ctx.reply_private("没有需要确认的订单。")
        return
    ctx.reply_private("📝 待确认：\n" + "\n".join(lines) + "\n记下：/确认 N 商品数量；不用管：/忽略 N")


@router.command("确认", "confirm", help="/确认 N 草莓2盒 按团长的理解记下待确认的第N条")
async def confirm_command(ctx: Context, args: str) -> None:
    found = await _entry(ctx, args, "用法：/确认 N 商品数量，例如 /确认 3 草莓2盒（N 见 /待确认）")
    if found is None:
        return
    campaign, entry, order_text = found
    products = await ctx.svc.campaigns.products(campaign.id)
    intent = parse_order_text(order_text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
    if intent.action not in (Action.SET, Action.ADD) or not intent.items:
        example = f"{products[0].name}2{products[0].unit or '份'}" if products else "草莓2盒"
        ctx.reply_private(f"没读出商品和数量：「{order_text}」。例如 /确认 {entry.id} {example}")
        return
    # The owner states what the member has of these products: set, never added on top.
    intent = Intent(Action.SET, items=intent.items)
    member = ctx.msg.mentions[0] if ctx.msg.mentions else entry.member_id
    name = await ctx.svc.rooms.name_of(campaign.room_id, member)
    await ctx.svc.book.apply_intent(campaign, intent, member, name, order_text, ctx.msg.id, ctx.now)
    ctx.svc.orders.settle(entry.id, f"团长确认：{order_text}", ctx.now)
    await owner_settled(ctx.svc, campaign.room_id, entry.id, "团长确认", ctx.now)
    order = await ctx.svc.orders.member_order(campaign.id, member, name, products, with_label=False)
    items = items_text(order)
    ctx.reply_private(f"已确认 #{entry.id}：{name} 现在是 {items or '无'}")
    if order.items:
        ctx.acks.append(Ack(campaign.room_id, member, name,
                            f"团长已确认，已记录：{items}，共{money(order.amount_cents)}"))


@router.command("忽略", "dismiss", help="/忽略 N 待确认的第N条不用管")
async def dismiss_command(ctx: Context, args: str) -> None:
    found = await _entry(ctx, args, "用法：/忽略 N（N 见 /待确认）")
    if found is None:
        return
    campaign, entry, _ = found
    ctx.svc.orders.settle(entry.id, "团长忽略", ctx.now)
    await owner_settled(ctx.svc, campaign.room_id, entry.id, "团长忽略", ctx.now)
    ctx.reply_private(f"已忽略 #{entry.id}：{entry.name}：{entry.text[:60]}")
