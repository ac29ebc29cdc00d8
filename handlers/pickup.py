"""Arrival and pickup: /到货, /核销, /已取, /未取, /提醒取货.

The pickup notice mentions every buyer exactly once, in batches small enough
for WeChat, each with her items and a short pickup code.
"""

from __future__ import annotations

from enum import Enum

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.people import Ambiguous, Person, find_person, not_found, remember_list, which_one
from bot.domain.pickup import (
    FIRST_CODE,
    after_drop_parts,
    after_drop_target,
    batches,
    buyers,
    codes_in_use,
    collect,
    group_labels,
    items_text,
    pickup_cards,
    reminder_posts,
    still_to_take,
    uncollected,
)
from bot.domain.reports import pickup_point
from bot.domain.scope import parts_in_scope
from bot.models import Outgoing
from bot.parsing.plan_spec import split_when
from bot.parsing.textnorm import nfkc
from bot.parsing.timeparse import ImpossibleTime, past_reason, resolve_day_words
from bot.render.templates import when
from storage.outbox import notified
from storage.records import Campaign

router = Router("pickup", section="到货与取货")


async def after_drop_campaign(ctx: Context) -> Campaign | None:
    campaign, why = await after_drop_target(ctx.svc, ctx.room_id)
    if campaign is None:
        ctx.reply(why)
    return campaign

@router.command("到货", "arrived", admin_only=True, whole_drop=True,
                help="/到货 [自提点] [时间] 发到货通知，每位买家一个取货码")
async def arrived_command(ctx: Context, args: str) -> None:
    campaign = await after_drop_campaign(ctx)
    if campaign is None:
        return
    # "/到货 东门 明天 9:00" names a date; the notice is reread later.
    given = resolve_day_words(args.strip(), ctx.now)
    # A drop sold in several groups arrives in all of them at once (each at its own pickup point),
    # or in those of its groups she runs.
    parts = [campaign]
    if campaign.drop_id is not None:
        parts = [p for p in await parts_in_scope(ctx.svc.campaigns, ctx.scope, campaign) if p.status == "closed"]
    used = await codes_in_use(ctx.svc, campaign)  # one set for the whole drop: a code names one buyer
    results = [(part, await _arrive(ctx, part, given, used)) for part in parts]
    told = [part for part, result in results if result is _Arrival.TOLD]
    if not told and any(result is _Arrival.TOLD_BEFORE for _, result in results):
        # A notice still queued (WeChat's pace) or given up on has not reached its buyers: she should know.
        waiting = 0
        for part in parts:
            states = (await ctx.svc.fulfilment.of_campaign(part.id)).values()
            waiting += sum(1 for f in states if f.pickup_code and not f.notified and f.collected_at is None)
        unsent = (f"其中{waiting}人的通知还没送到（还在排队发，或之前提示过发送失败；失败的话发 /提醒取货 补发）。"
                  if waiting else "")
        ctx.reply(f"「{campaign.title}」的到货通知已经发过了，这次没有再发。{unsent}提醒还没取货的人：/提醒取货；"
                  "换了自提点或时间：/到货 自提点 时间（只通知还没取货的人）。")
    elif not told:
        ctx.reply(f"「{campaign.title}」没有订单。")
    elif len(parts) > 1:
        topics = [await ctx.svc.rooms.topic(p.room_id) or p.room_id for p in told]
        ctx.reply_private(f"✅ 已在{len(told)}个群发到货通知：{'、'.join(topics)}")


class _Arrival(Enum):
    TOLD = "told"
    TOLD_BEFORE = "told before"  # every buyer has her notice and code, and the place is the same
    NO_ORDERS = "no orders"


async def _arrive(ctx: Context, campaign: Campaign, given: str, used: set[str]) -> _Arrival:
    """Marks one group's part arrived and posts its pickup notice there, to whoever has not had it.

    A second /到货 (typed twice, or from her private chat after the group's) would @ every buyer again;
    it only tells buyers who have no code yet, or, when it names a new place or time, everyone who has
    not collected."""
    svc = ctx.svc
    moved = bool(given) and given != (campaign.pickup or "")
    place = given or campaign.pickup or ""
    await svc.campaigns.set_arrived(campaign.id, ctx.now, given or None)
    orders = await buyers(svc, campaign)
    if not orders:
        return _Arrival.NO_ORDERS
    existing = await svc.fulfilment.of_campaign(campaign.id)
    if moved:
        orders = [o for o in orders if o.member_id not in existing or existing[o.member_id].collected_at is None]
    else:
        orders = [o for o in orders if o.member_id not in existing or not existing[o.member_id].pickup_code]
    if not orders:
        return _Arrival.TOLD_BEFORE
    next_code = FIRST_CODE
    entries: list[dict[str, str]] = []
    codes: list[tuple[str, str]] = []
    for order in orders:
        code = existing[order.member_id].pickup_code if order.member_id in existing else None
        if not code:
            while str(next_code) in used:
                next_code += 1
            code = str(next_code)
            used.add(code)
        await svc.fulfilment.assign_code(campaign.id, order.member_id, code, ctx.now)
        codes.append((order.member_id, code))
    cards = await pickup_cards(svc, campaign, [member for member, _ in codes])
    for order, (member, code) in zip(orders, codes, strict=True):
        entries.append({"name": order.name, "goods": items_text(order), "code": code, "card": cards.get(member, "")})
    parts = batches(entries, [o.member_id for o in orders])
    # A notice after the first one names what changed, so nobody takes it for the same notice again.
    told_before = any(f.pickup_code for f in existing.values())
    changed = _what_changed(campaign.pickup or "", place) if moved and told_before else ""
    for part, (chunk, mentions) in enumerate(parts, 1):
        text = await svc.render("pickup_notice", campaign.room_id, campaign=campaign, place=place, entries=chunk,
                                part=part, parts=len(parts), changed=changed, was=campaign.pickup or "")
        # Her notified_at is set when this part is delivered, not now.
        ctx.send(Outgoing(text=text, room_id=campaign.room_id, mentions=mentions), notified(campaign.id, mentions))
    return _Arrival.TOLD


def _what_changed(was: str, now: str) -> str:
    """`自提地点有变` / `自提时间有变` / both, between the pickup line before and the one given now."""
    if not was:
        return "自提地点定了"
    place_was, place_now = pickup_point(was), pickup_point(now)
    rest_was, rest_now = was.removeprefix(place_was).strip(), now.removeprefix(place_now).strip()
    if place_was != place_now and rest_was != rest_now and rest_now:
        return "自提地点和时间有变"
    return "自提地点有变" if place_was != place_now else "自提时间有变"


async def _collect_named(ctx: Context, args: str, usage: str) -> None:
    """/核销 101 102 115, /已取 张三, /已取 @李四: every code or person named is ticked off, each
    with its own line; a code or name that fits nobody (or several) says so and ticks off nothing."""
    if not args.strip() and not ctx.msg.mentions:
        ctx.reply(usage)
        return
    campaign = await after_drop_campaign(ctx)
    if campaign is None:
        return
    parts = await after_drop_parts(ctx.svc, campaign, ctx.scope)
    people = [Person(m, await ctx.svc.rooms.name_of(ctx.room_id, m), ctx.room_id) for m in ctx.msg.mentions]
    words = nfkc(args)
    for p in people:
        words = words.replace("@" + p.name, " ")
    words = words.strip()
    lines: list[str] = []
    rooms = [p.room_id for p in parts]
    buyers_of = {o.member_id for part in parts for o in await buyers(ctx.svc, part)}
    # Several codes or names at once; a name with a space in it ("Amy Wang") is tried whole first.
    tokens = words.split()
    if len(tokens) > 1 and not all(t.isdigit() for t in tokens):
        whole = await find_person(ctx.svc, ctx.msg.sender.id, words, rooms, parts, prefer=buyers_of)
        tokens = [words] if isinstance(whole, Person) else tokens
    for token in tokens:
        found = await find_person(ctx.svc, ctx.msg.sender.id, token, rooms, parts, prefer=buyers_of)
        if isinstance(found, Person):
            people.append(found)
        elif isinstance(found, Ambiguous):
            lines.append(await which_one(ctx.svc, ctx.msg.sender.id, found, "/已取 1", ctx.now))
        elif token.isdigit():
            lines.append(f"「{campaign.title}」没有取货码 {token}。")
        else:
            lines.append(not_found(token))
    by_room = {p.room_id: p for p in parts}
    done: set[str] = set()
    for person in people:
        if person.member_id in done:
            continue
        done.add(person.member_id)
        lines.append(await collect(ctx.svc, by_room.get(person.room_id, campaign), person.member_id, person.name,
                                   ctx.msg.sender.id, ctx.now))
    ctx.reply("\n".join(lines))


@router.command("核销", "collect", admin_only=True, whole_drop=True,
                help="/核销 101 102 按取货码核销（可以一次写几个）")
async def collect_code_command(ctx: Context, args: str) -> None:
    await _collect_named(ctx, args, "用法：/核销 取货码（取货码见到货通知，可以一次写几个：/核销 101 102）")


@router.command("已取", "picked", admin_only=True, whole_drop=True, help="/已取 张三 按名字、门牌号或序号核销")
async def collected_command(ctx: Context, args: str) -> None:
    await _collect_named(ctx, args, "用法：/已取 张三（群昵称、门牌号 3-502、取货码或 /未取 的序号；群里也可以@她）")


@router.command("未取", "uncollected", admin_only=True, whole_drop=True, help="/未取 谁还没取货（带序号和取货码）")
async def uncollected_command(ctx: Context, args: str) -> None:
    campaign = await after_drop_campaign(ctx)
    if campaign is None:
        return
    parts = await after_drop_parts(ctx.svc, campaign, ctx.scope)
    labels = await group_labels(ctx.svc, parts)
    missing = [(part, order, code) for part in parts for order, code in await uncollected(ctx.svc, part)]
    if not missing:
        ctx.reply(f"「{campaign.title}」都取完了 🎉")
        return
    await remember_list(ctx.svc, ctx.msg.sender.id, [(p.room_id, o.member_id) for p, o, _ in missing], ctx.now)
    taken = await ctx.svc.fulfilment.taken(tuple(p.id for p in parts))
    lines = [f"「{campaign.title}」还没取货（{len(missing)}人）："]
    for i, (part, order, code) in enumerate(missing, 1):
        if labels[part.id] and (i == 1 or missing[i - 2][0] is not part):
            lines.append(f"【{labels[part.id]}】")
        what = still_to_take(order, taken.get((part.id, order.member_id), {}))
        lines.append(f"{i}. {order.name} 取货码{code}：{what}")
    lines.append("核销：/核销 取货码，或 /已取 序号")
    ctx.reply("\n".join(lines))


@router.command("提醒取货", "remind", admin_only=True, whole_drop=True,
                help="/提醒取货 [今天 18:00] 提醒还没取货的人（不写时间就是现在）")
async def remind_command(ctx: Context, args: str) -> None:
    campaign = await after_drop_campaign(ctx)
    if campaign is None:
        return
    parts = await after_drop_parts(ctx.svc, campaign, ctx.scope)
    if args.strip():
        try:
            split = split_when(args, ctx.now)
        except ImpossibleTime as exc:
            ctx.reply(f"没有安排：{exc}。")
            return
        if split is not None and split[0] <= ctx.now:
            ctx.reply(f"没有安排：{past_reason(split[0], args)}。")
            return
        if split is None:
            ctx.reply("用法：/提醒取货（现在提醒）或 /提醒取货 今天 18:00（定时提醒）")
            return
        ids = [await ctx.svc.schedules.add(part.room_id, "pickup_reminder", split[0], {"campaign_id": part.id},
                                           ctx.msg.sender.id, ctx.now) for part in parts]
        ctx.deadlines_changed = True
        where = f"（{len(parts)}个群）" if len(parts) > 1 else ""
        ctx.reply(f"📅 已安排 #{'、#'.join(map(str, ids))}：{when(split[0])} 提醒还没取货的人{where}。")
        return
    posts = [post for part in parts for post in await reminder_posts(ctx.svc, part)]
    if not posts:
        ctx.reply(f"「{campaign.title}」都取完了 🎉")
        return
    ctx.replies.extend(posts)
    if len(parts) > 1:
        # Her one line for every group reminded (the router's confirmation names one group only).
        people = sum(len(p.mentions) for p in posts)
        groups = "、".join([await ctx.svc.rooms.topic(p.room_id) or p.room_id for p in parts])
        ctx.reply(f"✅ 已提醒{people}人取货：{groups}")


