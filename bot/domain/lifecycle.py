"""The campaign lifecycle: open, announce, the 接龙 list, 成团 progress, totals and close.

Called by the handlers (/开团, /截单, /汇总, #接龙 drops), by scheduled jobs and by
the pipeline when a deadline passes; everything runs inside the caller's
transaction and returns what to post after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.conversation.questions import at_close as questions_at_close
from bot.domain.conversation.questions import waiting as questions_waiting
from bot.domain.partners import group_summary, own_shares_text, partner_shares, shares_text
from bot.domain.pickup import MENTIONS_PER_MESSAGE
from bot.domain.qa import save_spec_pairs
from bot.domain.reports import campaign_commission
from bot.domain.scope import Scope, parts_in_scope
from bot.domain.services import Services
from bot.models import Outgoing
from bot.parsing.campaign_spec import CampaignSpec, product_problems, refusal
from bot.parsing.privacy import mask
from bot.parsing.timeparse import parse_when, past_reason, resolve_day_words
from bot.render.templates import money
from storage.records import Campaign, PricedItem, Product, ProductTotal, WaitlistTotal


def example_order(products: list[Product]) -> str:
    p = next((p for p in products if not p.withdrawn), products[0])
    return f"{p.name}1{p.unit or '份'}"


def prices_text(products: list[Product]) -> str:
    """"草莓 ¥30/盒，砂糖橘 ¥25/箱": what is on sale (a withdrawn product is not)."""
    return "，".join(f"{p.name} {money(p.price_cents)}{'/' + p.unit if p.unit else ''}" for p in products
                    if not p.withdrawn)


async def list_text(svc: Services, campaign: Campaign, lines: list[str] | None = None) -> str:
    products = await svc.campaigns.products(campaign.id)
    return await svc.render("jielong_list", campaign.room_id, campaign=campaign, prices=prices_text(products),
                                example=example_order(products), lines=lines or [])


async def summary_text(svc: Services, campaign: Campaign, template: str = "summary") -> str:
    """The owner's totals; for a drop sold in several groups, the whole drop's, then each group's."""
    if campaign.drop_id is not None:
        text = await _drop_summary(svc, campaign, template)
    else:
        products = await svc.campaigns.products(campaign.id)
        totals, buyers = await svc.orders.totals(campaign.id, products)
        unreadable = [replace(u, text=mask(u.text)) for u in await svc.orders.unreadable(campaign.id)]
        text = await svc.render(template, campaign.room_id, campaign=campaign, totals=totals, buyers=buyers,
                                    total_cents=sum(t.amount_cents for t in totals), unreadable=unreadable,
                                    commission_cents=campaign_commission(campaign, totals),
                                    waitlist=await waitlist_totals(svc, campaign, products),
                                    asking=await questions_waiting(svc, campaign))
    shares = await partner_shares(svc, campaign)
    return f"{text.rstrip()}\n{shares_text(shares)}" if shares else text


async def summary_for(svc: Services, campaign: Campaign, scope: Scope) -> str:
    """The totals as she may see them (bot/domain/scope.py): the owner's, whole; anyone else's, of the
    groups she runs only, without the owner's commission or another partner's share."""
    if scope.sees_owner_figures:
        return await summary_text(svc, campaign)
    parts = await parts_in_scope(svc.campaigns, scope, campaign)
    if len(parts) == 1:
        return await group_summary(svc, parts[0], scope)
    text = await _drop_summary(svc, campaign, "summary", parts, owner=False)
    topics = "、".join([f"「{await svc.rooms.topic(p.room_id) or p.room_id}」" for p in parts])
    return f"{text.rstrip()}\n（只含{topics}）" + await own_shares_text(svc, campaign, scope)


async def _drop_summary(svc: Services, campaign: Campaign, template: str, parts: list[Campaign] | None = None,
                        *, owner: bool = True) -> str:
    """The drop's totals, then each group's: every part, or `parts` (without the commission unless `owner`)."""
    products = await svc.campaigns.products(campaign.id)
    parts = parts or await svc.campaigns.parts(campaign)
    by_part = [(part, *await svc.orders.totals(part.id, products)) for part in parts]
    totals = [_summed(p, [t for _, part_totals, _ in by_part for t in part_totals if t.product.id == p.id])
              for p in products]
    buyers = await svc.orders.drop_buyers([p.id for p in parts])
    unreadable = [replace(u, text=mask(u.text)) for part in parts for u in await svc.orders.unreadable(part.id)]
    asking = [q for part in parts for q in await questions_waiting(svc, part)]
    head = await svc.render(template, campaign.room_id, campaign=campaign, totals=totals, buyers=buyers,
                                asking=asking, total_cents=sum(t.amount_cents for t in totals), unreadable=unreadable,
                                commission_cents=campaign_commission(campaign, totals) if owner else 0,
                                waitlist=await waitlist_totals(svc, campaign, products, parts))
    lines = [head, "", f"分群（{len(parts)}个群）："]
    for part, part_totals, part_buyers in by_part:
        topic = await svc.rooms.topic(part.room_id) or part.room_id
        items = "，".join(f"{t.product.name}×{t.qty}" for t in part_totals if t.qty) or "还没有订单"
        amount = sum(t.amount_cents for t in part_totals)
        lines.append(f"· {topic}：{part_buyers}人，{items}，{money(amount)}")
    return "\n".join(lines)


def _summed(product: Product, totals: list[ProductTotal]) -> ProductTotal:
    """A product's total over a drop's groups: their quantities and their amounts (units that kept an
    earlier price counted at it)."""
    qty, amount = sum(t.qty for t in totals), sum(t.amount_cents for t in totals)
    plain = ProductTotal(product, qty)
    return plain if plain.amount_cents == amount else PricedItem(product, qty, amount)


async def drop_totals(svc: Services, campaign: Campaign) -> tuple[list[ProductTotal], int]:
    """Per-product totals and buyers of the campaign's whole drop (every group's part);
    a member in two groups is one buyer."""
    products = await svc.campaigns.products(campaign.id)
    if campaign.drop_id is None:
        return await svc.orders.totals(campaign.id, products)
    qty = {p.id: 0 for p in products}
    parts = await svc.campaigns.parts(campaign)
    for part in parts:
        totals, _ = await svc.orders.totals(part.id, products)
        for t in totals:
            qty[t.product.id] += t.qty
    return [ProductTotal(p, qty[p.id]) for p in products], await svc.orders.drop_buyers([p.id for p in parts])


async def waitlist_totals(svc: Services, campaign: Campaign, products: list[Product],
                         parts: list[Campaign] | None = None) -> list[WaitlistTotal]:
    """Per product with a waitlist: how much is waited for, by how many, in order.
    `parts`: every group's part of a drop, counted together."""
    by_id = {p.id: p for p in products}
    qty: dict[int, int] = {}
    people: dict[int, set[str]] = {}
    for part in parts or [campaign]:
        for member, product_id, n in await svc.orders.waitlist(part.id):
            qty[product_id] = qty.get(product_id, 0) + n
            people.setdefault(product_id, set()).add(member)
    known = sorted((pid for pid in qty if pid in by_id), key=lambda pid: by_id[pid].position)
    return [WaitlistTotal(by_id[pid], qty[pid], len(people[pid])) for pid in known]


async def group_progress(svc: Services, campaign: Campaign) -> tuple[int, int, str] | None:
    """(have, need, unit) for a campaign with a 成团 threshold (counted over the whole drop)."""
    if campaign.min_buyers is None and campaign.min_units is None:
        return None
    totals, buyers = await drop_totals(svc, campaign)
    if campaign.min_buyers is not None:
        return buyers, campaign.min_buyers, "人"
    assert campaign.min_units is not None
    return sum(t.qty for t in totals), campaign.min_units, "份"


async def group_reached_posts(svc: Services, campaign: Campaign) -> list[Outgoing]:
    """成团, once, in every group of the drop at the same moment: the count is the drop's, so a group
    where nobody happens to post next must not hear it minutes after the others."""
    # Counting buyers reads the campaign, but only until the threshold is reached once.
    if campaign.group_announced:
        return []
    progress = await group_progress(svc, campaign)
    if progress is None or progress[0] < progress[1]:
        return []
    have, need, unit = progress
    posts = []
    for part in await svc.campaigns.parts(campaign):
        if part.group_announced or not part.is_open:
            continue
        await svc.campaigns.mark_group_announced(part.id)
        posts.append(Outgoing(text=await svc.render("group_reached", part.room_id, campaign=part, have=have,
                                                    need=need, unit=unit), room_id=part.room_id))
    return posts


async def close_notice(svc: Services, campaign: Campaign) -> str:
    """What the group hears at the close: closed, what was ordered per product, pickup. No money."""
    products = await svc.campaigns.products(campaign.id)
    totals, buyers = await svc.orders.totals(campaign.id, products)
    return await svc.render("closed", campaign.room_id, campaign=campaign, totals=totals, buyers=buyers)


async def close_campaign(svc: Services, campaign: Campaign, at: datetime,
                         closed_by: Scope | None = None) -> list[Outgoing]:
    """Closes inside the caller's transaction; returns the notices to post after commit.

    Each group gets the close notice; the totals with money, commission and the
    lines to check go privately to the group's owner, and the admin or partner who
    closed it gets them as her scope shows them (her groups, no commission).
    A drop sold in several groups closes in all of them at once, with one set of totals."""
    parts = [campaign] if campaign.drop_id is None else \
        [p for p in await svc.campaigns.parts(campaign) if p.is_open]
    if closed_by is None and campaign.drop_id is not None:
        # A deadline closes the groups it is the deadline of: a group with its own 截单 line waits for it.
        parts = [p for p in parts if p.close_at is not None and p.close_at <= at]
    if not parts:
        return []  # another group's deadline already closed these groups
    progress = await group_progress(svc, campaign)
    posts: list[Outgoing] = []
    for part in parts:
        # Questions nobody answered go on the owner's check list before her totals list it.
        await questions_at_close(svc, part, at)
        await svc.campaigns.close(part.id, at)
        if progress is not None:
            # Below the threshold the orders are not fulfilled: nobody owes, nothing is packed.
            await svc.campaigns.set_fulfilled(part.id, progress[0] >= progress[1])
        closed = await svc.campaigns.get(part.id)
        assert closed is not None
        posts.append(Outgoing(text=await close_notice(svc, closed), room_id=part.room_id))
        if progress is None or progress[0] >= progress[1]:
            posts.extend(await _waited_in_vain(svc, closed, at))
        if progress is not None and progress[0] < progress[1]:
            have, need, unit = progress
            posts.append(Outgoing(text=await svc.render("group_failed", part.room_id, campaign=closed,
                                                            have=have, need=need, unit=unit),
                                  room_id=part.room_id))
    closed = await svc.campaigns.get(campaign.id)
    assert closed is not None
    owner = await svc.rooms.owner(campaign.room_id)
    if owner is not None:
        posts.append(Outgoing(text=await summary_text(svc, closed), to=owner))
    if closed_by is not None and closed_by.member_id != owner:
        posts.append(Outgoing(text=await summary_for(svc, closed, closed_by), to=closed_by.member_id))
    return posts


async def _waited_in_vain(svc: Services, part: Campaign, at: datetime) -> list[Outgoing]:
    """Whoever still waits at the close got nothing of what she waited for: told in one gathered
    message in her group (@-mentioned, twenty to a message), not left to wonder; once (a drop reopened
    and closed again does not tell her twice)."""
    products = {p.id: p for p in await svc.campaigns.products(part.id)}
    waiting: dict[str, list[str]] = {}
    for member_id, product_id, qty in await svc.orders.waiting_untold(part.id, at):
        if product_id in products:
            waiting.setdefault(member_id, []).append(f"{products[product_id].name}×{qty}")
    if not waiting:
        return []
    names = {m: await svc.rooms.name_of(part.room_id, m) for m in waiting}
    posts = []
    for i in range(0, len(waiting), MENTIONS_PER_MESSAGE):
        chunk = list(waiting)[i:i + MENTIONS_PER_MESSAGE]
        lines = [f"@{names[m]} 候补的{'、'.join(waiting[m])}" for m in chunk]
        head = f"😔 「{part.title}」已截单，这些候补没有轮到，这次没买到，抱歉：\n"
        posts.append(Outgoing(text=head + "\n".join(lines), room_id=part.room_id, mentions=tuple(chunk)))
    return posts


def spec_problems(spec: CampaignSpec) -> str:
    """What the owner is told privately about her /开团 (never in the group): the lines that are not
    products, and the lines about her own costs or margin, which were kept out of the group."""
    parts = []
    if spec.problems:
        parts.append("⚠️ 这些行没看懂，没有算进商品：\n" + "\n".join(f"· {p}" for p in spec.problems))
    if spec.private_notes:
        parts.append("🔒 这些行像是你的成本或利润，只给你看，没有发到群里，也没有算成商品（是商品的话请换个写法）：\n"
                     + "\n".join(f"· {n}" for n in spec.private_notes))
    return "\n".join(parts)


async def open_campaign(svc: Services, room_id: str, spec: CampaignSpec, created_by: str, now: datetime,
                        header: str = "", reminder_before: timedelta | None = None,
                        drop_id: int | None = None) -> tuple[Campaign | None, str]:
    """Opens inside the caller's transaction; returns the campaign, or why not.

    With a deadline far enough away, the "last 30 minutes" reminder is scheduled too.
    `drop_id`: the campaign is this drop's part in another group (see open_drop)."""
    if not spec.title:
        return None, "请在 /开团 后写上团名，下一行起每行一个商品，例如：\n/开团 周六水果团\n草莓 30元/盒"
    if not spec.products:
        problems = f"\n看不懂的行：\n{spec_problems(spec)}" if spec.problems else ""
        return None, "没有读到商品。每行一个商品：名称 价格/单位，例如「草莓 30元/盒」。" + problems
    current = await svc.campaigns.open_in(room_id)
    if current is not None:
        return None, f"「{current.title}」还在进行中，先发 /截单 再开新团。"
    if spec.close_problem is not None:
        return None, f"没有开团：{spec.close_problem}。请改好后重发。"
    if unsellable := product_problems(spec):
        return None, refusal("没有开团", unsellable, "请改好后重发。")
    if spec.close_at is not None and spec.close_at <= now:
        return None, f"没有开团：截单时间 {past_reason(spec.close_at)}。"
    cid = await svc.campaigns.create(room_id, spec, created_by, now, header, drop_id=drop_id)
    campaign = await svc.campaigns.get(cid)
    assert campaign is not None
    # `问 … 答 …` lines join the group's 质量问答 (they outlive the campaign); `播报 每N单` is this campaign's.
    await save_spec_pairs(svc, room_id, spec.qa, created_by, now)
    if spec.broadcast_every or spec.broadcast_at:
        await svc.hype.set_broadcast(cid, spec.broadcast_every or 0)
    for written in spec.broadcast_at:
        at = parse_when(written, now)
        if at is not None and at > now and (campaign.close_at is None or at < campaign.close_at):
            await svc.schedules.add(room_id, "broadcast", at, {"campaign_id": cid}, created_by, now)
    before = reminder_before or svc.settings.reminder_before
    if campaign.close_at is not None and campaign.close_at - before > now:
        await svc.schedules.add(room_id, "reminder", campaign.close_at - before, {"campaign_id": cid},
                                created_by, now)
    return campaign, ""


async def open_drop(svc: Services, room_ids: list[str], spec: CampaignSpec, created_by: str, now: datetime,
                    header: str = "", reminder_before: timedelta | None = None,
                    pickups: dict[str, str] | None = None,
                    closes: dict[str, datetime] | None = None) -> tuple[list[Campaign], str]:
    """Opens one drop in several groups at once: a part per group, all selling the first
    part's products (one stock, 限购 per member across the groups). All or none: a group
    with a campaign still open refuses the whole drop, before anything is written.
    `pickups`, `closes`: a group's own 自提 line and deadline, instead of the drop's."""
    def spec_for(room_id: str) -> CampaignSpec:
        own = (pickups or {}).get(room_id)
        out = spec if own is None else replace(spec, pickup=resolve_day_words(own, now) or None)
        close_at = (closes or {}).get(room_id)
        return out if close_at is None else replace(out, close_at=close_at)

    if len(room_ids) == 1:
        campaign, why = await open_campaign(svc, room_ids[0], spec_for(room_ids[0]), created_by, now, header,
                                            reminder_before)
        return ([campaign] if campaign else []), why
    for room_id in room_ids:
        current = await svc.campaigns.open_in(room_id)
        if current is not None:
            topic = await svc.rooms.topic(room_id) or room_id
            return [], f"「{topic}」的「{current.title}」还在进行中，先在那个群 /截单 再开新团（没有开团）。"
    first, why = await open_campaign(svc, room_ids[0], spec_for(room_ids[0]), created_by, now, header,
                                     reminder_before)
    if first is None:
        return [], why
    await svc.campaigns.make_drop(first.id)
    parts = [replace(first, drop_id=first.id)]
    for room_id in room_ids[1:]:
        part, why = await open_campaign(svc, room_id, spec_for(room_id), created_by, now, header, reminder_before,
                                        drop_id=first.id)
        assert part is not None, why  # the same spec opened in the first group, and no group has one open
        parts.append(part)
    return parts, ""


async def announcement(svc: Services, campaign: Campaign) -> list[Outgoing]:
    """The drop announcement and the 接龙 list, as two posts: members copy the second one whole.
    Only what members need: what the owner must fix is told to her alone (spec_problems)."""
    products = await svc.campaigns.products(campaign.id)
    text = await svc.render("announce", campaign.room_id, campaign=campaign, products=products,
                                example=example_order(products))
    return [Outgoing(text=text, room_id=campaign.room_id),
            Outgoing(text=await list_text(svc, campaign), room_id=campaign.room_id)]


# -- the owner's check list as she hears of it ----------------------------------------------------------
# One private message for everything one message sent there, however many lines that is: a 1,300-line
# copy was 1,300 private messages, an hour of the account's sending and WeChat's limits for the rest.

MAX_CHECKS_SHOWN = 20  # entries written out; the rest are counted, and /待确认 lists them all

# (number on the list, who, the line as written, why it needs her)
Check = tuple[int, str, str, str]


def checks_text(title: str, checks: Sequence[Check]) -> str:
    """What the owner is told of the entries one message added to her check list."""
    if len(checks) == 1:
        number, who, line, reason = checks[0]
        return (f"📝 待确认 #{number}（{title}）{who}：{line}（{reason}）\n"
                f"记下：/确认 {number} 商品数量；不用管：/忽略 {number}")
    lines = [f"#{number} {who}：{line[:60]}（{reason}）" for number, who, line, reason in checks[:MAX_CHECKS_SHOWN]]
    more = [f"……还有{len(checks) - MAX_CHECKS_SHOWN}条，发 /待确认 查看全部"] if len(checks) > MAX_CHECKS_SHOWN else []
    return "\n".join([f"📝 待确认 {len(checks)}条（{title}）：", *lines, *more,
                      "记下：/确认 N 商品数量；不用管：/忽略 N"])
