"""售后: a member's report of a problem opens a claim for the owner; /售后 lists and settles them.

"草莓有两盒烂了" (in the group or privately, with or without a photo) is a claim, not an order: she
is told it went to the 团长, the owner gets it privately with its number. `/售后 3 退 2` refunds
two units at the price paid, `/售后 3 退 ¥15` an amount, `/售后 3 补发` notes a replacement for her
next pickup, `/售后 3 拒绝 理由` refuses; she hears the outcome once, where she wrote.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.app.context import Context
from bot.app.router import Router
from bot.app.scope import staff_scopes
from bot.domain.aftersales.claims import (
    DEFAULT_WINDOW_HOURS,
    PHOTO_NEAR,
    claim_what,
    deliveries,
    handed_over,
    line_room,
    open_claims,
    owner_text,
    pick,
    product_of,
)
from bot.domain.changes import named_products
from bot.models import MessageKind, Outgoing
from bot.parsing.aftersale import mentions_problem
from bot.parsing.textnorm import nfkc
from bot.render.templates import money, when
from storage.records import Campaign, Claim, Product

router = Router("claims", section="缺货与售后")

# Before 我的订单 (30), questions (50) and orders (60): "草莓有两盒烂了" reads like an order.
CLAIMS = 25


@router.matcher(priority=CLAIMS - 1)
async def photo(ctx: Context) -> bool:
    """A member's photo: remembered for a claim she makes next, or added to the one she just made."""
    if ctx.msg.kind is not MessageKind.IMAGE or ctx.is_admin:
        return False
    room_key = ctx.msg.room_id or ""
    member = ctx.msg.sender
    ctx.svc.aftersales.remember_photo(room_key, member.id, ctx.msg.id, ctx.now)
    latest = await ctx.svc.aftersales.latest_claim(member.id, room_key)
    just_made = latest is not None and ctx.now - latest.created_at <= PHOTO_NEAR
    if latest is not None and just_made and latest.status == "open" and not latest.photo:
        ref = f"{ctx.msg.id}@{ctx.now.isoformat()}"
        ctx.svc.aftersales.set_photo(latest.id, ref)
        part = await ctx.svc.campaigns.get(latest.campaign_id)
        if part is not None:
            await ctx.tell_owner(part.room_id,
                                 f"📷 售后 #{latest.id} {latest.name} 补了图片：{when(ctx.now)}（消息 {ctx.msg.id}）")
    return True


@router.matcher(priority=CLAIMS)
async def problem_report(ctx: Context) -> bool:
    if ctx.msg.kind is not MessageKind.TEXT or ctx.is_admin or not mentions_problem(ctx.text):
        return False
    member = ctx.msg.sender
    rooms = [ctx.msg.room_id] if ctx.msg.room_id else await ctx.svc.rooms.rooms_of(member.id)
    # The owner and the group's admins report nothing to themselves.
    rooms = [r for r in rooms if not await ctx.svc.rooms.is_admin(r, member.id)]
    found = await deliveries(ctx.svc, member.id, member.name, rooms)
    within = pick([d for d in found if d.open_at(ctx.now)], ctx.text)
    if within is None:
        late = pick(found, ctx.text)
        if late is None:
            return False
        hours = int(late[0].window.total_seconds() // 3600)
        _tell_member(ctx, f"「{late[0].part.title}」取货已超过{hours}小时的售后时限，没有登记；有问题请直接私聊团长。")
        return True
    delivery, report = within
    opened = await open_claims(ctx.svc, delivery, report, ctx.msg.room_id or "", member.id, member.name, ctx.text,
                               ctx.msg.id, ctx.now)
    numbers = "、".join(f"#{c.id}" for c in (*opened.claims, *opened.added_to))
    _tell_member(ctx, f"收到，已转给团长处理（售后 {numbers}），处理好会告诉你。")
    for claim in opened.claims:
        product = product_of(delivery.products, claim.product_id)
        await ctx.tell_owner(delivery.part.room_id, owner_text(claim, delivery.part, product, delivery.order))
    for claim in opened.added_to:
        await ctx.tell_owner(delivery.part.room_id, f"🧾 售后 #{claim.id} {claim.name} 补充：「{ctx.text[:200]}」")
    return True


def _tell_member(ctx: Context, text: str) -> None:
    if ctx.msg.room_id is None:
        ctx.reply(text)
    else:
        ctx.reply(text, mention_sender=True)


def _told(claim: Claim, text: str) -> Outgoing:
    """The outcome, to her where she wrote: @-mentioned in that group, or in her private chat."""
    if claim.room_id:
        return Outgoing(text=f"@{claim.name} {text}", room_id=claim.room_id, mentions=(claim.member_id,))
    return Outgoing(text=text, to=claim.member_id)


# -- the owner's side -------------------------------------------------------------------------------

_CLAIM = re.compile(r"^\s*#?(\d{1,9})\s*(.*)$", re.DOTALL)
_WINDOW = re.compile(r"^\s*时限\s*(\d{1,4})?\s*(小时|天|h)?\s*$")
_MONEY = re.compile(r"^[¥￥]\s*(\d+(?:\.\d{1,2})?)\s*(?:元|块)?$|^(\d+(?:\.\d{1,2})?)\s*(?:元|块)$")
_UNITS = re.compile(r"^(.*?)\s*(\d{1,4})\s*\S{0,2}$")


async def _admin_rooms(ctx: Context) -> list[str]:
    """The groups she may settle claims of (bot/domain/scope.py): this one, or privately all of hers."""
    if ctx.msg.room_id:
        return list(ctx.scope.targets) if ctx.scope.is_staff else []
    return [g for s in await staff_scopes(ctx) for g in s.groups]


@router.command("售后", "claims", help="/售后 待处理的售后；/售后 N 退 2 | 退 ¥15 | 补发 | 拒绝 理由；/售后 时限 48")
async def claims_command(ctx: Context, args: str) -> None:
    rooms = await _admin_rooms(ctx)
    if not rooms:
        ctx.reply("抱歉，/售后 只有团长和管理员可以使用。", mention_sender=ctx.msg.room_id is not None)
        return
    text = nfkc(args).strip()
    window = _WINDOW.match(text)
    if window is not None:
        await _set_window(ctx, rooms, window)
        return
    if not text:
        ctx.reply_private(await _listing(ctx, rooms))
        return
    m = _CLAIM.match(text)
    claim = await ctx.svc.aftersales.claim(int(m.group(1))) if m else None
    part = await ctx.svc.campaigns.get(claim.campaign_id) if claim is not None else None
    if m is None or claim is None or part is None or part.room_id not in rooms:
        ctx.reply_private(f"没有这条售后。发 /售后 查看待处理的。{_USAGE}")
        return
    if m.group(2).strip() in ("已补发", "已补", "补好了") and claim.status == "replaced":
        ctx.svc.aftersales.mark_replaced(claim.id, ctx.now)
        ctx.reply_private(f"✅ 售后 #{claim.id} {claim.name}：补发已交给她。")
        return
    if claim.status != "open":
        ctx.reply_private(f"售后 #{claim.id} 已经处理过了（{_outcome(claim)}）。")
        return
    await _settle(ctx, claim, part, m.group(2).strip())


_USAGE = "用法：/售后 N 退 2（按单价退2份）、/售后 N 退 ¥15、/售后 N 补发、/售后 N 拒绝 理由"


async def _set_window(ctx: Context, rooms: list[str], m: re.Match[str]) -> None:
    if m.group(1) is None:
        now_hours = [await ctx.svc.aftersales.window_hours(r) or DEFAULT_WINDOW_HOURS for r in rooms]
        ctx.reply_private(f"售后时限：取货后{now_hours[0]}小时。改：/售后 时限 72（小时）或 /售后 时限 3天")
        return
    hours = int(m.group(1)) * (24 if m.group(2) == "天" else 1)
    if not 0 < hours <= 24 * 60:
        ctx.reply_private("售后时限要在1小时到60天之间。")
        return
    for room_id in rooms:
        ctx.svc.aftersales.set_window(room_id, hours, ctx.msg.sender.id, ctx.now)
    where = "本群" if ctx.msg.room_id else f"你的{len(rooms)}个群"
    ctx.reply_private(f"✅ {where}的售后时限：取货后{hours}小时内可以报。")


def _outcome(claim: Claim) -> str:
    if claim.status == "refunded":
        return f"退{money(claim.refund_cents)}"
    if claim.status == "replaced":
        return f"补发{claim.replace_qty or ''}" + ("，已补" if claim.replaced_at else "，待补")
    if claim.status == "refused":
        return f"拒绝：{claim.note or ''}"
    return "待处理"


async def _listing(ctx: Context, rooms: list[str]) -> str:
    claims = await ctx.svc.aftersales.claims_in_rooms(rooms)
    open_ = [c for c in claims if c.status == "open"]
    waiting = []  # 补发 promised and not handed over yet
    for c in claims:
        if c.status == "replaced":
            part = await ctx.svc.campaigns.get(c.campaign_id)
            if part is not None and not await handed_over(ctx.svc, c, part.room_id):
                waiting.append(c)
    if not open_ and not waiting:
        return "没有待处理的售后。"
    lines = []
    if open_:
        lines.append(f"🧾 待处理的售后（{len(open_)}条）：")
        for c in open_:
            product = await _product(ctx, c)
            pic = " 📷" if c.photo else ""
            lines.append(f"#{c.id} {c.name}：{claim_what(c, product)}（{when(c.created_at)}）「{c.text[:40]}」{pic}")
        lines.append(_USAGE)
    if waiting:
        lines.append("待补发（下次取货时给她）：")
        for c in waiting:
            product = await _product(ctx, c)
            unit = (product.unit if product else None) or "份"
            lines.append(f"#{c.id} {c.name}：{product.name if product else ''}{c.replace_qty or ''}{unit}")
    return "\n".join(lines)


async def _product(ctx: Context, claim: Claim) -> Product | None:
    return product_of(await ctx.svc.campaigns.products(claim.campaign_id), claim.product_id)


def _amount(words: str) -> int | None:
    m = _MONEY.match(words.strip())
    if m is None:
        return None
    try:
        return int(Decimal(m.group(1) or m.group(2)) * 100)
    except InvalidOperation:
        return None


async def _settle(ctx: Context, claim: Claim, part: Campaign, rest: str) -> None:
    product = await _product(ctx, claim)
    what = claim_what(claim, product)
    by, now = ctx.msg.sender.id, ctx.now
    if rest.startswith("拒绝") or rest.startswith("驳回") or rest.startswith("不退"):
        reason = rest[2:].strip(" ：:，,")
        if not reason:
            ctx.reply_private(f"请写上理由，她会看到：/售后 {claim.id} 拒绝 理由")
            return
        ctx.svc.aftersales.settle(claim.id, "refused", by, now, note=reason[:200])
        ctx.send(_told(claim, f"你的售后 #{claim.id}（{what}）团长的答复：{reason[:200]}"))
        ctx.reply_private(f"✅ 售后 #{claim.id} {claim.name}：已拒绝，已告诉她理由。")
        return
    if rest.startswith("补发"):
        words = rest[2:].strip()
        qty = int(words) if words.isdigit() else claim.qty or 1
        if product is None or not 0 < qty <= 99:
            ctx.reply_private(f"补发要知道是哪个商品、几份：这条没说商品，请拒绝后让她重报，或用退款。{_USAGE}")
            return
        unit = product.unit or "份"
        ctx.svc.aftersales.settle(claim.id, "replaced", by, now, replace_qty=qty)
        ctx.send(_told(claim, f"你的售后 #{claim.id}（{what}）：团长会在下次取货时补给你{product.name}{qty}{unit}。"))
        ctx.reply_private(f"✅ 售后 #{claim.id} {claim.name}：下次取货补发{product.name}{qty}{unit}（记在分拣单上）。")
        return
    if not rest.startswith("退"):
        ctx.reply_private(_USAGE)
        return
    words = rest.lstrip("退款").strip()
    cents = _amount(words)
    units = 0
    if cents is None:
        m = _UNITS.match(words)
        if m is None:
            ctx.reply_private(_USAGE)
            return
        if m.group(1).strip():
            named = await _named(ctx, part, m.group(1))
            if named is None:
                ctx.reply_private(f"「{m.group(1).strip()}」对不上她这单的商品。{_USAGE}")
                return
            product = named
        if product is None:
            ctx.reply_private(f"这条没说是哪个商品：写 /售后 {claim.id} 退 商品 数量，或 /售后 {claim.id} 退 ¥金额。")
            return
        units = int(m.group(2))
    room = await line_room(ctx.svc, claim, product)
    unit = (product.unit if product else None) or "份"
    if units and units > room.units_left:
        ctx.reply_private(f"没有退：{claim.name}的{product.name if product else ''}收到{room.held}{unit}，"
                          f"最多还能退{room.units_left}{unit}（{money(room.cents_left)}）。")
        return
    if units:
        cents = room.units_cents(units)  # at the price she pays for those units
    if cents is None or cents <= 0:
        ctx.reply_private("退款要大于0。")
        return
    cents_left = room.cents_left
    if cents > cents_left:
        line = "行" if product else "单"
        ctx.reply_private(f"没有退：{money(cents)}超过她这{line}付的钱，最多还能退{money(cents_left)}。")
        return
    ctx.svc.aftersales.add_refund(part.id, claim.member_id, product.id if product else None, "claim", units, cents,
                                  in_book=False, source_id=claim.id, by=by, now=now)
    ctx.svc.aftersales.settle(claim.id, "refunded", by, now, refund_cents=cents)
    said = f"{product.name if product else ''}{units}{unit} " if units else ""
    ctx.send(_told(claim, f"你的售后 #{claim.id}（{what}）：团长同意退{said}{money(cents)}"
                          "（已付款的团长退给你，没付的少付）。"))
    ctx.reply_private(f"✅ 售后 #{claim.id} {claim.name}：退{said}{money(cents)}，已告诉她。"
                      f"退了钱发 /退款 {claim.name}")


async def _named(ctx: Context, part: Campaign, words: str) -> Product | None:
    named = named_products(await ctx.svc.campaigns.products(part.id), words)
    return named[0] if isinstance(named, list) and len(named) == 1 else None
