"""After the drop: who bought what, pickup codes, who has not collected, reminders."""

from __future__ import annotations

from datetime import datetime

from bot.domain.scope import Scope, parts_in_scope
from bot.domain.services import Services
from bot.models import Outgoing
from storage.records import Campaign, MemberOrder

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
