"""The owner's check list: /待确认 lists it, /确认 N 草莓2盒 books what a line meant, /忽略 N drops it.

The list is the owner's: it is answered privately, wherever the command was typed.
Entries also leave it by themselves when the member's later message settles them.
"""

from __future__ import annotations

import re

from bot.app.context import Ack, Context
from bot.app.router import Router
from bot.app.scope import scope_in, staff_scopes
from bot.domain.aftersales.shortage import settling_by_hand
from bot.domain.changes import named_products
from bot.domain.conversation.questions import owner_settled
from bot.domain.orderbook import Outcome, catalog_of
from bot.domain.people import Ambiguous, Person, find_person, not_found, which_one
from bot.domain.pickup import buyers, items_text
from bot.domain.scope import parts_in_scope
from bot.parsing.catalog import ProductRef
from bot.parsing.order_text import Action, Intent, parse_order_text
from bot.parsing.textnorm import nfkc
from bot.render.templates import money
from storage.records import Campaign, Unreadable

router = Router("checks", section="核对和改订单")

_NUMBER = re.compile(r"^\s*#?(\d{1,9})\s*(.*)$", re.DOTALL)


async def _entry(ctx: Context, args: str, usage: str) -> tuple[Campaign, Unreadable, str] | None:
    """The open entry the command names, checked against who may settle it, and the rest of the args."""
    m = _NUMBER.match(args)
    if m is None:
        ctx.reply_private(usage)
        return None
    found = await ctx.svc.orders.check_entry(int(m.group(1)))
    campaign = await ctx.svc.campaigns.get(found[0]) if found is not None else None
    if found is None or campaign is None or not (await scope_in(ctx, campaign.room_id)).is_staff:
        ctx.reply_private(f"没有待确认 #{m.group(1)}。发 /待确认 查看清单。")
        return None
    _, entry, still_open = found
    if not still_open:
        ctx.reply_private(f"待确认 #{entry.id} 已经处理过了。")
        return None
    return campaign, entry, m.group(2).strip()


@router.command("待确认", "checklist", help="/待确认 需要团长确认的订单（私聊回复）")
async def list_command(ctx: Context, args: str) -> None:
    # In a group, that group; privately, every group she may act on, in each business she works for.
    rooms = ctx.scope.targets if ctx.msg.room_id else [g for s in await staff_scopes(ctx) for g in s.groups]
    lines: list[str] = []
    for room_id in rooms:
        campaign = await ctx.svc.campaigns.open_in(room_id) or await ctx.svc.campaigns.latest_in(room_id)
        if campaign is None:
            continue
        for u in await ctx.svc.orders.unreadable(campaign.id):
            lines.append(f"#{u.id}（{campaign.title}）{u.name}：{u.text[:60]}（{u.reason}）")
    if ctx.msg.room_id is not None and not ctx.scope.is_staff:
        ctx.reply("抱歉，/待确认 只有团长和管理员可以使用。", mention_sender=True)
        return
    if not lines:
        ctx.reply_private("没有需要确认的订单。")
        return
    ctx.reply_private("📝 待确认：\n" + "\n".join(lines) + "\n记下：/确认 N 商品数量；不用管：/忽略 N")


_FOR = re.compile(r"^(.*?)\s*给\s*([^给]+)$", re.DOTALL)


@router.command("确认", "confirm", help="/确认 N 草莓2盒 [给 张三] 按团长的理解记下待确认的第N条")
async def confirm_command(ctx: Context, args: str) -> None:
    found = await _entry(ctx, args, "用法：/确认 N 商品数量，例如 /确认 3 草莓2盒（N 见 /待确认）；"
                                    "记给别人：/确认 3 草莓2盒 给 张三")
    if found is None:
        return
    campaign, entry, order_text = found
    member, name = entry.member_id, entry.name
    named = _FOR.match(order_text) if not ctx.msg.mentions else None
    if ctx.msg.mentions:
        member = ctx.msg.mentions[0]
        name = await ctx.svc.rooms.name_of(campaign.room_id, member)
        if not await ctx.svc.rooms.is_member(campaign.room_id, member):
            ctx.reply_private(f"{name}不在「{campaign.title}」的群里，没有记录。")
            return
        order_text = re.sub(r"@\S+", " ", order_text).strip()
    elif named is not None:
        person = await find_person(ctx.svc, ctx.msg.sender.id, named.group(2), [campaign.room_id], [campaign])
        if not isinstance(person, Person):
            ctx.reply_private(await _not_one(ctx, named.group(2), person, f"/确认 {entry.id} {named.group(1)} 给 1"))
            return
        member, name, order_text = person.member_id, person.name, named.group(1).strip()
    else:
        name = await ctx.svc.rooms.name_of(campaign.room_id, member)
    products = await ctx.svc.campaigns.products(campaign.id)
    intent = parse_order_text(order_text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
    if intent.action not in (Action.SET, Action.ADD) or not intent.items:
        example = f"{products[0].name}2{products[0].unit or '份'}" if products else "草莓2盒"
        ctx.reply_private(f"没读出商品和数量：「{order_text}」。例如 /确认 {entry.id} {example}")
        return
    # The owner states what the member has of these products: set, never added on top.
    out = await ctx.svc.book.apply_intent(campaign, Intent(Action.SET, items=intent.items), member, name,
                                          order_text, ctx.msg.id, ctx.now, serve=campaign.is_open)
    ctx.svc.orders.settle(entry.id, f"团长确认：{order_text}", ctx.now)
    await owner_settled(ctx.svc, campaign.room_id, entry.id, "团长确认", ctx.now)
    order = await ctx.svc.orders.member_order(campaign.id, member, name, products, with_label=False)
    items = items_text(order)
    notes = out.notes.get(member, [])
    if notes:
        # Not booked as she meant it (sold out, 限购): she hears why, and so does the member.
        ctx.reply_private(f"⚠️ #{entry.id} 没有全部记上：{name} {'；'.join(notes)}。她现在的订单：{items or '没有'}")
    else:
        ctx.reply_private(f"已确认 #{entry.id}：{name} 现在是 {items or '无'}")
    await _tell_member(ctx, campaign, out, member, name, "团长已确认")


async def _not_one(ctx: Context, words: str, found: Ambiguous | None, example: str) -> str:
    if isinstance(found, Ambiguous):
        return await which_one(ctx.svc, ctx.msg.sender.id, found, example, ctx.now)
    return not_found(words)


async def _tell_member(ctx: Context, campaign: Campaign, out: Outcome, member: str, name: str, who: str) -> None:
    """The member hears once, in her group, what the owner booked for her (and why not all of it);
    anyone served from the waitlist by it hears that too."""
    products = await ctx.svc.campaigns.products(campaign.id)
    order = await ctx.svc.orders.member_order(campaign.id, member, name, products, with_label=False)
    items = items_text(order)
    notes = out.notes.get(member, [])
    now_has = f"已记录：{items}，共{money(order.amount_cents)}" if order.items else "你现在没有订单了"
    ctx.acks.append(Ack(campaign.room_id, member, name, "；".join([f"{who}，{now_has}", *notes]),
                        urgent=bool(notes)))
    for other, served in sorted(out.served.items()):
        if other != member:
            ctx.acks.append(Ack(campaign.room_id, other, await ctx.svc.rooms.name_of(campaign.room_id, other),
                                "；".join(served), urgent=True))
    for campaign_id, members in sorted(out.served_in.items()):
        part = await ctx.svc.campaigns.get(campaign_id)
        for other, served in sorted(members.items()):
            if part is not None:
                ctx.acks.append(Ack(part.room_id, other, await ctx.svc.rooms.name_of(part.room_id, other),
                                    "；".join(served), urgent=True))


_EDIT_USAGE = ("用法：/改单 张三 草莓3（把她的草莓改成3盒，可以写几样）；/删单 张三 草莓（删掉她的草莓）；"
               "/删单 张三（删掉她这个团的全部订单）。张三 也可以写门牌号、取货码或列表序号。")


async def _edit_target(ctx: Context, args: str, command: str) -> tuple[Campaign, Person, str] | None:
    """The campaign (her group's part of the drop), the member and the order words of /改单 and /删单;
    None after saying why. A drop is one business: she is looked for in every group of it the sender runs."""
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id) or await ctx.svc.campaigns.latest_in(ctx.room_id)
    if campaign is None:
        ctx.reply("本群还没有开过团。")
        return None
    if ctx.msg.mentions:
        member = ctx.msg.mentions[0]
        name = await ctx.svc.rooms.name_of(ctx.room_id, member)
        if not await ctx.svc.rooms.is_member(ctx.room_id, member):
            ctx.reply(f"{name}不在本群，不能给她改单。")
            return None
        return campaign, Person(member, name, ctx.room_id), re.sub(r"@\S+", " ", args).strip()
    who, _, rest = nfkc(args).strip().partition(" ")
    if not who:
        ctx.reply(_EDIT_USAGE)
        return None
    parts = await parts_in_scope(ctx.svc.campaigns, ctx.scope, campaign)
    ordered = {o.member_id: part for part in parts for o in await buyers(ctx.svc, part)}
    found = await find_person(ctx.svc, ctx.msg.sender.id, who, [p.room_id for p in parts], parts,
                              prefer=set(ordered))
    if not isinstance(found, Person):
        ctx.reply(await _not_one(ctx, who, found, f"/{command} 1 {rest}".rstrip()))
        return None
    # Her order is in the group she ordered in; without one, the group she was found in.
    part = ordered.get(found.member_id) or next((p for p in parts if p.room_id == found.room_id), campaign)
    return part, Person(found.member_id, found.name, part.room_id), rest.strip()


@router.command("改单", "edit", admin_only=True, whole_drop=True,
                help="/改单 张三 草莓3 直接改她的订单（她会在群里收到一次提示）")
async def edit_command(ctx: Context, args: str) -> None:
    target = await _edit_target(ctx, args, "改单")
    if target is None:
        return
    campaign, person, words = target
    products = await ctx.svc.campaigns.products(campaign.id)
    intent = parse_order_text(words, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
    if intent.action not in (Action.SET, Action.ADD) or not intent.items:
        ctx.reply(f"没读出商品和数量：「{words}」。{_EDIT_USAGE}")
        return
    await _book_for(ctx, campaign, person, Intent(Action.SET, items=intent.items), f"团长改单：{words}")


@router.command("删单", "remove", admin_only=True, whole_drop=True,
                help="/删单 张三 草莓 删掉她的某样商品（不写商品：删掉她全部订单）")
async def remove_command(ctx: Context, args: str) -> None:
    target = await _edit_target(ctx, args, "删单")
    if target is None:
        return
    campaign, person, words = target
    if not words:
        intent = Intent(Action.CANCEL_ALL)
    else:
        named = named_products(await ctx.svc.campaigns.products(campaign.id), words)
        if isinstance(named, str):
            ctx.reply(named)
            return
        intent = Intent(Action.CANCEL, products=tuple(ProductRef(p.id, p.name, p.code, p.unit) for p in named))
    await _book_for(ctx, campaign, person, intent, f"团长删单：{words or '全部'}")


async def _book_for(ctx: Context, campaign: Campaign, person: Person, intent: Intent, text: str) -> None:
    """Applies the owner's change to a member's order (after the close too, serving nobody from the
    waitlist then); she is told privately in one line, the member once in her group."""
    products = await ctx.svc.campaigns.products(campaign.id)
    before = items_text(await ctx.svc.orders.member_order(campaign.id, person.member_id, person.name, products))
    out = await ctx.svc.book.apply_intent(campaign, intent, person.member_id, person.name, text, ctx.msg.id,
                                          ctx.now, serve=campaign.is_open)
    order = await ctx.svc.orders.member_order(campaign.id, person.member_id, person.name, products)
    after = items_text(order)
    if after == before and not out.notes.get(person.member_id):
        ctx.reply(f"{person.name} 的订单没有变：{after or '没有订单'}。")
        return
    notes = "；".join(out.notes.get(person.member_id, []))
    mark = "⚠️" if notes else "✅"
    # Settling a 缺货 by hand (issue 22): she hears it once, with her refund, when the owner confirms.
    by_hand = await settling_by_hand(ctx.svc, campaign, ctx.msg.sender.id, ctx.now)
    later = "（缺货手动分配中：回复「确认」后和退款一起告诉她）" if by_hand else ""
    ctx.reply(f"{mark} 已改 {person.name} 的订单：{before or '无'} → {after or '无'}"
              f"{'，' + money(order.amount_cents) if order.items else ''}{'（' + notes + '）' if notes else ''}{later}")
    if not by_hand:
        await _tell_member(ctx, campaign, out, person.member_id, person.name, "团长帮你改了订单")


@router.command("忽略", "dismiss", help="/忽略 N 待确认的第N条不用管")
async def dismiss_command(ctx: Context, args: str) -> None:
    found = await _entry(ctx, args, "用法：/忽略 N（N 见 /待确认）")
    if found is None:
        return
    campaign, entry, _ = found
    ctx.svc.orders.settle(entry.id, "团长忽略", ctx.now)
    await owner_settled(ctx.svc, campaign.room_id, entry.id, "团长忽略", ctx.now)
    ctx.reply_private(f"已忽略 #{entry.id}：{entry.name}：{entry.text[:60]}")
