"""Which campaigns her page offers: for pickup, the closed ones of her groups (a drop sold in several
of her groups also as one list); for the order board, the open ones."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.services import Services
from bot.web.reach import Reach
from storage.records import Campaign

# A group's campaigns that still matter are among its latest few (the cost of the menu must not
# grow with the group's history).
RECENT = 5


@dataclass(frozen=True)
class Target:
    label: str  # 周六水果团 · 锦绣2群
    path: str  # /pickup/c/12 or /pickup/d/7
    campaign: Campaign
    whole_drop: bool


async def campaigns_of(svc: Services, reach: Reach) -> list[Campaign]:
    """Her groups' latest campaigns, newest first."""
    found: dict[int, Campaign] = {}
    for room_id in reach.groups:
        for campaign in await svc.campaigns.recent_in(room_id, RECENT):
            found[campaign.id] = campaign
    return sorted(found.values(), key=lambda c: -c.id)


async def pickup_targets(svc: Services, reach: Reach) -> list[Target]:
    out: list[Target] = []
    several = len(reach.groups) > 1
    seen_drops: set[int] = set()
    campaigns = [c for c in await campaigns_of(svc, reach) if not c.is_open and c.counts]
    for campaign in campaigns:
        if campaign.drop_id is not None and campaign.drop_id not in seen_drops:
            parts = [c for c in campaigns if c.drop_id == campaign.drop_id]
            seen_drops.add(campaign.drop_id)
            if len(parts) > 1:
                out.append(Target(f"{campaign.title} · 全部{len(parts)}个群", f"/pickup/d/{campaign.drop_id}",
                                  campaign, True))
        group = f" · {reach.topics[campaign.room_id]}" if several else ""
        out.append(Target(f"{campaign.title}{group}", f"/pickup/c/{campaign.id}", campaign, False))
    return out


async def open_campaigns(svc: Services, reach: Reach) -> list[Campaign]:
    return [c for c in await campaigns_of(svc, reach) if c.is_open]
