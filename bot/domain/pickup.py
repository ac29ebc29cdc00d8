"""After the drop: who bought what, pickup codes, collecting (whole or in part) and undoing it,
who has not collected, reminders.

The chat commands (/核销, /已取, /提醒取货) and the pickup-day web page call these same
operations, inside the caller's transaction: one rule, one place.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from bot.domain.scope import Scope, parts_in_scope
from bot.domain.services import Services
from bot.models import Outgoing
from bot.render.templates import when
from storage.records import Campaign, MemberOrder, OrderItem

MENTIONS_PER_MESSAGE = 20
FIRST_CODE = 101


async def after_drop_target(svc: Services, room_id: str) -> tuple[Campaign | None, str]:
    """The campaign the after-the-drop commands act on (the group's latest closed one), or why there is none."""
    campaign = await svc.campaigns.latest_in(room_id)
    if campaign is None:
        return None, "本群还没有开过团。"
    if campaign.is_open:
        return None, f"「{campaign.title}」还没截单，请先 /截单。"
    if campaign.fulfilled is False:
        return None, f"「{campaign.title}」未成团，订单不发货。"
    return campaign, ""


async def after_drop_parts(svc: Services, campaign: Campaign, scope: Scope) -> list[Campaign]:
    """What the after-the-drop commands cover: a drop is one business, so every closed group of it she
    runs (bot/domain/scope.py), not only the group picked; a one-group campaign is itself."""
    if campaign.drop_id is None:
        return [campaign]
    parts = [p for p in await parts_in_scope(svc.campaigns, scope, campaign) if not p.is_open and p.counts]
    return parts or [campaign]


async def codes_in_use(svc: Services, campaign: Campaign) -> set[str]:
    """Pickup codes already given in the campaign's drop, every group of it: a code names one buyer of
    the whole drop, so /核销 101 can never tick off another group's member."""
    used: set[str] = set()
    for part in await svc.campaigns.parts(campaign):
        used |= {f.pickup_code for f in (await svc.fulfilment.of_campaign(part.id)).values() if f.pickup_code}
    return used


async def group_labels(svc: Services, parts: list[Campaign]) -> dict[int, str]:
    """Each part's group name, for lists that cover a drop ('' for a single group: nothing to label)."""
    if len(parts) < 2:
        return {p.id: "" for p in parts}
    return {p.id: await svc.rooms.topic(p.room_id) or p.room_id for p in parts}


async def buyers(svc: Services, campaign: Campaign) -> list[MemberOrder]:
    return await svc.orders.orders(campaign.id, await svc.campaigns.products(campaign.id))


def items_text(order: MemberOrder) -> str:
    return "、".join(f"{p.name}×{q}" for p, q in order.items)


def batches(entries: list[dict[str, str]], ids: list[str]) -> list[tuple[list[dict[str, str]], tuple[str, ...]]]:
    return [(entries[i:i + MENTIONS_PER_MESSAGE], tuple(ids[i:i + MENTIONS_PER_MESSAGE]))
            for i in range(0, len(entries), MENTIONS_PER_MESSAGE)]


async def uncollected(svc: Services, campaign: Campaign) -> list[tuple[MemberOrder, str]]:
    states = await svc.fulfilment.of_campaign(campaign.id)
    out = []
    for order in await buyers(svc, campaign):
        state = states.get(order.member_id)
        if state is None or state.collected_at is None:
            out.append((order, state.pickup_code if state and state.pickup_code else "-"))
    return out


async def reminder_posts(svc: Services, campaign: Campaign) -> list[Outgoing]:
    missing = await uncollected(svc, campaign)
    entries = [{"name": o.name, "code": code} for o, code in missing]
    parts = batches(entries, [o.member_id for o, _ in missing])
    return [Outgoing(text=await svc.render("pickup_reminder", campaign.room_id, campaign=campaign,
                                               place=campaign.pickup or "", entries=chunk, part=part,
                                               parts=len(parts)),
                     room_id=campaign.room_id, mentions=mentions)
            for part, (chunk, mentions) in enumerate(parts, 1)]


async def pickup_reminder_job(svc: Services, campaign_id: int, now: datetime) -> list[Outgoing]:
    campaign = await svc.campaigns.get(campaign_id)
    if campaign is None or campaign.fulfilled is False:
        return []
    return await reminder_posts(svc, campaign)


async def remind_uncollected(svc: Services, campaign: Campaign) -> tuple[list[Outgoing], str]:
    """/提醒取货 now: the group's gathered reminder posts, or (none and) the line saying all collected."""
    posts = await reminder_posts(svc, campaign)
    return posts, "" if posts else f"「{campaign.title}」都取完了 🎉"


def left_items(order: MemberOrder, taken: Mapping[int, int]) -> tuple[OrderItem, ...]:
    """What she has still to take, after a partial pickup of `taken` (product id -> quantity)."""
    return tuple(OrderItem(p, q - min(q, taken.get(p.id, 0))) for p, q in order.items if q > taken.get(p.id, 0))


def _items(items: tuple[OrderItem, ...] | list[OrderItem]) -> str:
    return "、".join(f"{p.name}×{q}" for p, q in items)


def still_to_take(order: MemberOrder, taken: Mapping[int, int]) -> str:
    """What /未取 says she has to take: her order, or after a partial pickup, what is left."""
    return f"还差{_items(left_items(order, taken))}" if taken else items_text(order)


async def collect(svc: Services, campaign: Campaign, member_id: str, name: str, by: str, now: datetime,
                  take: Mapping[int, int] | None = None) -> str:
    """Hands over her order (/核销, /已取, a tick on the page), inside the caller's transaction; says what
    was done in one line. `take`: only these quantities (product id -> quantity) this time (部分取货);
    once everything ordered is taken, her order is collected."""
    state, got = await svc.fulfilment.pickup_of(campaign.id, member_id)
    if state is not None and state.collected_at is not None:
        return f"{name} 已经取过了（{when(state.collected_at)}）"
    order = await svc.orders.member_order(campaign.id, member_id, name, await svc.campaigns.products(campaign.id))
    if not order.items:
        return f"{name} 在「{campaign.title}」没有订单"
    taken = dict(got)
    left = left_items(order, taken)
    if take is not None:
        now_taken = [OrderItem(p, min(q, take.get(p.id, 0))) for p, q in left if take.get(p.id, 0) > 0]
        if not now_taken:
            return f"{name} 没有选要取的商品（还差：{_items(left)}）"
        for p, q in now_taken:
            taken[p.id] = taken.get(p.id, 0) + q
        still = left_items(order, taken)
        if still:
            svc.fulfilment.set_taken(campaign.id, member_id, taken)
            return f"✅ 已核销 {name} 一部分：{_items(now_taken)}；还差：{_items(still)}"
        left = tuple(now_taken)
    svc.fulfilment.set_taken(campaign.id, member_id, {})
    await svc.fulfilment.collect(campaign.id, member_id, by, now)
    return f"✅ 已核销 {name}：{_items(left)}"


async def uncollect(svc: Services, campaign: Campaign, member_id: str, name: str) -> str:
    """Undoes her pickup, whole or partial (a tick by mistake), inside the caller's transaction."""
    state, taken = await svc.fulfilment.pickup_of(campaign.id, member_id)
    if (state is None or state.collected_at is None) and not taken:
        return f"{name} 还没有取货，不用撤销"
    svc.fulfilment.uncollect(campaign.id, member_id)
    return f"↩️ 已撤销 {name} 的取货，她还没取"


async def pickup_cards(svc: Services, campaign: Campaign, member_ids: list[str]) -> dict[str, str]:
    """Each buyer's pickup card address (a page with her code's QR: the owner scans it to tick her off),
    when the group's owner turned cards on (/后台 二维码 开) and the web page is served; else none.
    Inside the caller's transaction; a buyer keeps the card she was given."""
    base = svc.settings.web_url
    if base is None or not member_ids or not await svc.web.qr_cards(campaign.room_id):
        return {}
    cards = await svc.fulfilment.cards(campaign.id)
    for member_id in member_ids:
        if member_id not in cards:
            cards[member_id] = secrets.token_urlsafe(9)
            svc.fulfilment.set_card(campaign.id, member_id, cards[member_id])
    return {m: f"{base}/card/{cards[m]}" for m in member_ids}
