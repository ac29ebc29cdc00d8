"""/统计's figures: how each group did over a window of days, and all of them together.

Pure functions of the campaigns and their orders (load_stats reads them); the
handler only says the result. A drop sold in several groups is one campaign of
each group it was sold in, and one campaign — not one per group — over all groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.services import Services
from storage.records import Campaign, MemberOrder


@dataclass(frozen=True)
class Figures:
    campaigns: int = 0
    buyers: int = 0  # distinct members of the group (over groups: the groups' buyers added up)
    orders: int = 0  # (member, campaign) pairs
    amount_cents: int = 0
    repeat: int = 0  # buyers who had bought in an earlier campaign of the same group


@dataclass(frozen=True)
class GroupStats:
    """One group's campaigns in the window with their orders, and who bought there before it."""

    campaigns: tuple[Campaign, ...]
    orders: Mapping[int, Sequence[MemberOrder]]  # campaign id -> live orders
    buyers_before: frozenset[str]


def group_figures(group: GroupStats) -> Figures:
    """A campaign that did not 成团 counts as a campaign, but its orders were never sold."""
    members: set[str] = set()
    repeaters: set[str] = set()
    seen = set(group.buyers_before)
    orders = amount = 0
    for campaign in sorted(group.campaigns, key=lambda c: c.id):
        if campaign.fulfilled is False:
            continue
        sold = group.orders.get(campaign.id, ())
        current = {o.member_id for o in sold}
        orders += len(sold)
        amount += sum(o.amount_cents for o in sold)
        repeaters |= current & seen
        seen |= current
        members |= current
    return Figures(len(group.campaigns), len(members), orders, amount, len(repeaters))


def overall_figures(groups: Mapping[str, GroupStats]) -> Figures:
    each = [group_figures(g) for g in groups.values()]
    drops = {c.drop_id if c.drop_id is not None else c.id for g in groups.values() for c in g.campaigns}
    return Figures(len(drops), sum(f.buyers for f in each), sum(f.orders for f in each),
                   sum(f.amount_cents for f in each), sum(f.repeat for f in each))


async def load_stats(svc: Services, start: datetime, rooms: Sequence[str]) -> dict[str, GroupStats]:
    """Each of `rooms` (the groups in her scope, bot/domain/scope.py) with a campaign opened since `start`."""
    by_room: dict[str, list[Campaign]] = {}
    for room_id in rooms:
        for campaign in await svc.campaigns.since(room_id, start):
            by_room.setdefault(campaign.room_id, []).append(campaign)
    out = {}
    for room_id, window in by_room.items():
        orders = {c.id: await svc.orders.orders(c.id, await svc.campaigns.products(c.id))
                  for c in window if c.fulfilled is not False}
        before = await svc.history.buyers_before(room_id, min(c.id for c in window))
        out[room_id] = GroupStats(tuple(window), orders, frozenset(before))
    return out
