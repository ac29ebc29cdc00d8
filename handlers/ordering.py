"""Members ordering: 接龙 copies, WeChat's native 群接龙, and plain messages."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from bot.app.context import Ack, Context
from bot.app.router import Chat, Router
from bot.domain.hype import after_order
from bot.domain.lifecycle import group_progress, list_text
from bot.domain.orderbook import Outcome, catalog_of
from bot.domain.pickup import items_text
from bot.models import MessageKind
from bot.parsing.jielong import JielongCopy, parse_copy
from bot.parsing.native_solitaire import looks_like_xml, parse_native
from bot.parsing.order_text import Action, Reason, parse_order_text
from bot.parsing.privacy import mask
from bot.parsing.textnorm import key_of, nfkc
from bot.render.templates import money
from storage.records import Campaign, Product

log = logging.getLogger("bot.handlers.ordering")
router = Router("ordering")


def _is_copy(copy: JielongCopy, campaign: Campaign) -> bool:
    if copy.tagged:
        return True
    title = key_of(campaign.title)
    return bool(title) and any(title in key_of(h) or (key_of(h) and key_of(h) in title)
                               for h in copy.header if key_of(h))


def _hint(reason: str, detail: str, products: list[Product], has: str, max_qty: int) -> str:
    """What she is told when her message went to the owner: the actual reason, and how to write it."""
    p = products[0] if products else None
    example = f"{p.name}2{p.unit or '份'}" if p else "草莓2盒"
    if reason == Reason.QUESTION:
        return f"这条带问句，没有记成订单，团长会回复你。确定要的话请直接发「{example}」"
    if reason == Reason.TOO_LARGE:
        return f"数量超过{max_qty}，没有记录，已转给团长确认"
    if reason == Reason.NO_PRODUCT:
        return f"没看懂这条订单：没写是哪个商品，已转给团长确认。请写「商品+数量」，例如：{example}"
    if reason == Reason.AMBIGUOUS:
        return f"「{detail}」对应好几个商品，没有记录。请写商品全名，例如：{example}"
    if reason == Reason.WHICH_PRODUCT:
        example = f"{p.name}改成2{p.unit or '份'}" if p else "草莓改成2盒"
        return f"你订了{has}，要改哪一个？请写「{example}」这样的"
    if reason == Reason.SAME_AS_ABOVE:
        return f"「同上」看不出指哪一条，没有记录。请写「商品+数量」，例如：{example}"
    if reason == Reason.PAST_OR_NOW:
        return f"分不清是说以前的订单还是这次要，没有记录，已转给团长确认。这次要的话请直接发「{example}」"
    return f"没看懂这条订单，已转给团长确认。请按「商品+数量」写，例如：{example}"


async def _acknowledge(ctx: Context, campaign: Campaign, out: Outcome, *, in_list: bool = False) -> None:
    """Queues each touched member's acknowledgement. `in_list`: the message is a 接龙 list (a copy or
    WeChat's native one) that shows her line as she wrote it; a line taken exactly needs no
    acknowledgement of its own (README, "A quiet group"). Anything else - a change she cannot
    see, a cancellation, a waitlist, a line for the owner - is acknowledged, and soon."""
    products = await ctx.svc.campaigns.products(campaign.id)
    if out.nothing_to_cancel:
        ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name, "你还没有这个订单，不用取消")
    # The sender first, then by id: never set order, so a replay prints the same every time.
    for member_id in sorted(out.touched | set(out.hints), key=lambda m: (m != ctx.msg.sender.id, m)):
        await _member_ack(ctx, campaign, out, products, member_id, in_list)
    await _acks_in_other_groups(ctx, out, products)
    for number, who, line, reason in out.checks:
        # The check list is the owner's: each new entry reaches her privately, with how to settle it.
        await ctx.tell_owner(ctx.room_id, f"📝 待确认 #{number}（{campaign.title}）{who}：{line}（{reason}）\n"
                                          f"记下：/确认 {number} 商品数量；不用管：/忽略 {number}")
    await _announce_group_reached(ctx, campaign)
    # Sold out / back in stock / 跟团播报, decided from the stored totals now that the order is applied.
    ctx.replies.extend(await after_order(ctx.svc, campaign, ctx.now))
    if out.fork:
        await _merged_list(ctx, campaign)


async def _member_ack(ctx: Context, campaign: Campaign, out: Outcome, products: list[Product], member_id: str,
                      in_list: bool) -> None:
    """One member's acknowledgement: her whole order as it now stands, with what else she must know."""
    name = ctx.msg.sender.name if member_id == ctx.msg.sender.id else \
        await ctx.svc.rooms.name_of(ctx.room_id, member_id)
    order = await ctx.svc.orders.member_order(campaign.id, member_id, name, products, with_label=False)
    notes = [*out.notes.get(member_id, []), *out.served.get(member_id, [])]
    items = items_text(order)
    if order.items:
        text = f"已记录：{items}，共{money(order.amount_cents)}"
    elif member_id in out.touched and not notes:
        text = "订单已取消"
    else:
        text = ""
    if member_id in out.hints:
        reason, detail = out.hints[member_id]
        hint = _hint(reason, detail, products, items, ctx.svc.settings.max_qty)
        text = hint if reason == Reason.WHICH_PRODUCT or not text else f"{text}；{hint}"
    exception = bool(notes) or member_id in out.hints
    if in_list and order.items and not exception and member_id in out.touched:
        ctx.ack(member_id, name, "")  # withdraws an earlier acknowledgement of hers still waiting
        return
    parts = [t for t in [text, *notes] if t]
    if parts:
        ctx.ack(member_id, name, "；".join(parts), urgent=exception)


async def _acks_in_other_groups(ctx: Context, out: Outcome, products: list[Product]) -> None:
    """Stock freed here went to members waiting in another group of the drop: each hears it there."""
    for campaign_id, served in sorted(out.served_in.items()):
        other = await ctx.svc.campaigns.get(campaign_id)
        if other is None:
            continue
        for member_id, notes in sorted(served.items()):
            name = await ctx.svc.rooms.name_of(other.room_id, member_id)
            order = await ctx.svc.orders.member_order(campaign_id, member_id, name, products, with_label=False)
            items = items_text(order)
            ctx.acks.append(Ack(other.room_id, member_id, name,
                                "；".join([f"已记录：{items}，共{money(order.amount_cents)}", *notes]), urgent=True))


async def _merged_list(ctx: Context, campaign: Campaign) -> None:
    """Someone copied an old version of the list: the latest one, merged, at most so often."""
    last = ctx.svc.merged_posted.get(campaign.id)
    if last is None or ctx.now - last >= ctx.svc.settings.merged_list_every:
        posted, when = ctx.svc.merged_posted, ctx.now
        ctx.after_commit.append(lambda: posted.__setitem__(campaign.id, when))
        lines = [mask(ln.raw) for ln in await ctx.svc.orders.live_lines(campaign.id, "copy")]
        ctx.reply("有人复制了旧版本的接龙，大家的订单都在。请从这份最新的接龙继续：\n\n"
                  + await list_text(ctx.svc, campaign, lines))


async def _announce_group_reached(ctx: Context, campaign: Campaign) -> None:
    # Counting buyers reads the campaign, but only until the threshold is reached once.
    if campaign.group_announced:
        return
    progress = await group_progress(ctx.svc, campaign)
    if progress is None or progress[0] < progress[1]:
        return
    await ctx.svc.campaigns.mark_group_announced(campaign.id)
    have, need, unit = progress
    # Posted in the group (an order sent privately reaches it too).
    ctx.post(await ctx.svc.render("group_reached", ctx.room_id, campaign=campaign, have=have, need=need,
                                      unit=unit))


async def _refuse_closed(ctx: Context, campaign: Campaign) -> None:
    ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name, f"「{campaign.title}」已截单，这条订单没有记录，如需加单请联系团长",
            urgent=True)


# Orders come last: an owner's drop, a payment and a member's question are tried first.
ORDERS = 60


@router.matcher(priority=ORDERS, chat=Chat.GROUP)
async def native_solitaire(ctx: Context) -> bool:
    if ctx.msg.kind is not MessageKind.SOLITAIRE:
        return False
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    native = parse_native(ctx.msg.text)
    if native is None:
        if looks_like_xml(ctx.msg.text):
            # Cut or broken XML: its lines would all land on the sender, and the next
            # intact list would add its own on top. It changes nothing; the next one counts.
            log.warning("native 群接龙 %s from %s: XML does not parse; ignored", ctx.msg.id, ctx.msg.sender.id)
            return True
        # The service gave only the visible list: read it as a copy from the sender.
        return await _apply_copy_text(ctx, ctx.msg.text)
    if campaign is None:
        latest = await ctx.svc.campaigns.latest_in(ctx.room_id)
        if latest is not None and native.copy.entries:
            await _refuse_closed(ctx, latest)
        return True
    products = await ctx.svc.campaigns.products(campaign.id)
    names = {a: await ctx.svc.rooms.name_of(ctx.room_id, a) for a in set(native.authors) if a}
    names[ctx.msg.sender.id] = ctx.msg.sender.name
    out = await ctx.svc.book.apply_native(campaign, catalog_of(products), native, ctx.msg.sender.id, names,
                                          ctx.msg.id, ctx.now)
    await _acknowledge(ctx, campaign, out, in_list=True)
    return True


async def _apply_copy_text(ctx: Context, text: str) -> bool:
    copy = parse_copy(text)
    if copy is None or not copy.entries:
        return False
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    if campaign is None:
        latest = await ctx.svc.campaigns.latest_in(ctx.room_id)
        if latest is None or not _is_copy(copy, latest):
            return False
        known = await ctx.svc.orders.copy_lines_by_keys(latest.id, [e.key for e in copy.entries])
        if len({ln.key for ln in known}) < len({e.key for e in copy.entries}):
            await _refuse_closed(ctx, latest)
        return True
    if not _is_copy(copy, campaign):
        known = await ctx.svc.orders.copy_lines_by_keys(campaign.id, [e.key for e in copy.entries[:50]])
        if not known:
            return False
    products = await ctx.svc.campaigns.products(campaign.id)
    out = await ctx.svc.book.apply_copy(campaign, catalog_of(products), copy, ctx.msg.sender.id,
                                        ctx.msg.sender.name, ctx.msg.id, ctx.now)
    await _acknowledge(ctx, campaign, out, in_list=True)
    return True


@router.matcher(priority=ORDERS, chat=Chat.GROUP, help="复制接龙，在最后加一行（如「3-502 张三 草莓2盒」）")
async def jielong_copy(ctx: Context) -> bool:
    if looks_like_xml(ctx.text):
        # XML typed as text is not a list anyone copied: its lines name others, and
        # reading it as a copy would hand them orders they never wrote.
        return False
    return await _apply_copy_text(ctx, ctx.text)


@router.matcher(priority=ORDERS, chat=Chat.GROUP,
                help="或直接发「草莓2盒」「A2 B1」「+1」；改数量发「草莓改成3盒」，不要了发「草莓不要了」或「取消」")
async def plain_order(ctx: Context) -> bool:
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    target = campaign or await ctx.svc.campaigns.latest_in(ctx.room_id)
    if target is None:
        return False
    products = await ctx.svc.campaigns.products(target.id)
    intent = parse_order_text(ctx.text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
    if intent.action is Action.NONE:
        return False
    if ctx.is_admin and intent.action in (Action.UNCLEAR, Action.ASK, Action.EDIT_UNNAMED):
        # The owner's and admins' own remarks ("这批个头大，一箱大概12个") are never
        # put to the owner for confirming.
        return False
    if campaign is None:
        if intent.action in (Action.SET, Action.ADD):
            await _refuse_closed(ctx, target)
        elif intent.action in (Action.CANCEL, Action.CANCEL_ALL):
            ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name, "已截单，改单或取消请联系团长", urgent=True)
        return True
    out = await ctx.svc.book.apply_intent(campaign, intent, ctx.msg.sender.id, ctx.msg.sender.name, ctx.text,
                                          ctx.msg.id, ctx.now)
    await _acknowledge(ctx, campaign, out)
    return True


# -- ordering in the private chat -----------------------------------------------------------------
# A member may send her order to the bot privately. With an open campaign in exactly one of her
# groups it is booked there, as if written in the group (everyone else's acknowledgements and the
# group's news as usual), and she is answered privately; with several she is asked which group,
# and her next message, a number, books it.

PENDING_FOR = timedelta(hours=1)


async def _open_groups(ctx: Context) -> list[tuple[str, Campaign]]:
    found = []
    for room_id in await ctx.svc.rooms.rooms_of(ctx.msg.sender.id):
        campaign = await ctx.svc.campaigns.open_in(room_id)
        if campaign is not None:
            found.append((room_id, campaign))
    return found


@router.matcher(priority=ORDERS, chat=Chat.PRIVATE,
                help="私聊我也能下单：直接发「草莓2盒」（在几个群都有团时，我会问你下在哪个群）")
async def private_order(ctx: Context) -> bool:
    member = ctx.msg.sender.id
    pending = await ctx.svc.owner_prefs.pending_order(member)
    if pending is not None and ctx.now - pending[2] <= PENDING_FOR:
        room = _chosen(ctx.text, pending[1])
        if room is not None:
            await ctx.svc.owner_prefs.set_pending_order(member, None, [], ctx.now)
            await _order_in(ctx, room, pending[0])
            return True
    groups = await _open_groups(ctx)
    readable = []
    for room_id, campaign in groups:
        products = await ctx.svc.campaigns.products(campaign.id)
        if parse_order_text(ctx.text, catalog_of(products), max_qty=ctx.svc.settings.max_qty).action \
                is not Action.NONE:
            readable.append((room_id, campaign))
    if not groups:
        return await _closed_privately(ctx)
    if not readable:
        return False  # not an order for any of her groups: chatter, a question
    parsed = parse_copy(ctx.text)
    if parsed is not None and parsed.entries:
        ctx.reply("接龙请发在群里（复制群里的接龙加上自己的一行）；私聊下单直接发「商品+数量」，如「草莓2盒」。")
        return True
    if len(groups) == 1:
        await _order_in(ctx, groups[0][0], ctx.text)
        return True
    rooms = [room_id for room_id, _ in groups]
    await ctx.svc.owner_prefs.set_pending_order(member, ctx.text, rooms, ctx.now)
    lines = [f"{i}. {await ctx.svc.rooms.topic(room_id) or room_id}「{campaign.title}」"
             for i, (room_id, campaign) in enumerate(groups, 1)]
    ctx.reply(f"你在{len(groups)}个群都有进行中的团，「{ctx.text.strip()[:30]}」下在哪个群？回复序号：\n"
              + "\n".join(lines))
    return True


_CHOICE = re.compile(r"^\s*第?\s*(\d{1,2})\s*(?:个|群|号)?\s*[。.!！]?\s*$")


async def _closed_privately(ctx: Context) -> bool:
    """No group of hers has a campaign open: an order for the one that closed is told so."""
    for room_id in await ctx.svc.rooms.rooms_of(ctx.msg.sender.id):
        latest = await ctx.svc.campaigns.latest_in(room_id)
        if latest is None:
            continue
        products = await ctx.svc.campaigns.products(latest.id)
        intent = parse_order_text(ctx.text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
        if intent.action in (Action.SET, Action.ADD):
            ctx.reply(f"「{latest.title}」已截单，这单没有记录，如需加单请联系团长。")
            return True
    return False


def _chosen(text: str, rooms: list[str]) -> str | None:
    """The group her answer picks: its number in the question ("1", "1群", "第1个")."""
    m = _CHOICE.match(nfkc(text))
    if m is None or not 1 <= int(m.group(1)) <= len(rooms):
        return None
    return rooms[int(m.group(1)) - 1]


async def _order_in(ctx: Context, room_id: str, text: str) -> None:
    """Books her private order in this group's open campaign; her acknowledgement comes privately."""
    campaign = await ctx.svc.campaigns.open_in(room_id)
    topic = await ctx.svc.rooms.topic(room_id) or room_id
    if campaign is None:
        ctx.reply(f"「{topic}」的团已经截单了，这单没有记录。")
        return
    ctx.group_id = room_id
    products = await ctx.svc.campaigns.products(campaign.id)
    intent = parse_order_text(text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
    if intent.action is Action.NONE:
        example = f"{products[0].name}2{products[0].unit or '份'}"
        ctx.reply(f"没看懂「{text.strip()[:30]}」是要订什么，请写「商品+数量」，如「{example}」。")
        return
    name = await ctx.svc.rooms.name_of(room_id, ctx.msg.sender.id)
    out = await ctx.svc.book.apply_intent(campaign, intent, ctx.msg.sender.id, name, text, ctx.msg.id, ctx.now)
    await _acknowledge(ctx, campaign, out)
    # Her own acknowledgement answers her here, at once; the others' stay gathered in their groups.
    mine = [a for a in ctx.acks if a.member_id == ctx.msg.sender.id and a.room_id == room_id]
    ctx.acks = [a for a in ctx.acks if a not in mine]
    said = "；".join(a.text for a in mine if a.text)
    ctx.reply(f"【{topic}「{campaign.title}」】{said or '已收到'}")
