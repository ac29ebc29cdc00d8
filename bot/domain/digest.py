"""The owner's daily digest, sent privately at the time she set with /日报: per group, the campaigns
that were running today with their buyers and amount, the lines waiting for her, and who still owes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.domain.money.ledger import debts
from bot.domain.services import Services
from bot.render.templates import money
from storage.records import Campaign

# Campaigns that matter today are among a group's latest few; older ones are settled.
RECENT = 5


def next_at(hhmm: str, now: datetime) -> datetime:
    """The next `hhmm` after `now`, in now's time zone."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    at = datetime.combine(now.date(), time(hour, minute), tzinfo=now.tzinfo)
    return at if at > now else at + timedelta(days=1)


def _active_today(campaign: Campaign, day_start: datetime) -> bool:
    return campaign.is_open or (campaign.closed_at is not None and campaign.closed_at >= day_start)


async def _owing(svc: Services, campaign: Campaign) -> tuple[int, int]:
    owing = [d.balance.due_cents for d in await debts(svc, campaign) if d.balance.due_cents]
    return len(owing), sum(owing)


async def group_digest(svc: Services, room_id: str, topic: str, now: datetime) -> list[str]:
    day_start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    lines = [f"【{topic}】"]
    for campaign in await svc.campaigns.recent_in(room_id, RECENT):
        products = await svc.campaigns.products(campaign.id)
        if _active_today(campaign, day_start):
            totals, count = await svc.orders.totals(campaign.id, products)
            state = "进行中" if campaign.is_open else "今天截单"
            lines.append(f"「{campaign.title}」{state}：{count}人下单，"
                         f"{money(sum(t.amount_cents for t in totals))}")
            unreadable = await svc.orders.unreadable(campaign.id)
            if unreadable:
                lines.append(f"  ⚠️ 待确认{len(unreadable)}条（发 /汇总 查看）")
        if not campaign.is_open and campaign.fulfilled is not False:
            people, cents = await _owing(svc, campaign)
            if people:
                lines.append(f"「{campaign.title}」未付款：{people}人，共{money(cents)}（发 /未付 查看）")
    if len(lines) == 1:
        lines.append("今天没有进行中的团，也没有待收的款。")
    return lines


async def digest_text(svc: Services, member_id: str, now: datetime) -> str | None:
    """The digest for the groups she owns or administers; None when she has none."""
    groups = await svc.rooms.administered_by(member_id)
    if not groups:
        return None
    lines = [f"📰 日报 {now:%m月%d日}"]
    for room_id, topic in groups:
        lines.extend(await group_digest(svc, room_id, topic or room_id, now))
    return "\n".join(lines)
