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


async def _campaign_lines(svc: Services, campaign: Campaign, day_start: datetime) -> list[str]:
    """What the digest says of one group's campaign: running today, and who still owes."""
    lines = []
    products = await svc.campaigns.products(campaign.id)
    if _active_today(campaign, day_start):
        totals, count = await svc.orders.totals(campaign.id, products)
        state = "进行中" if campaign.is_open else "今天截单"
        lines.append(f"「{campaign.title}」{state}：{count}人下单，{money(sum(t.amount_cents for t in totals))}")
        unreadable = await svc.orders.unreadable(campaign.id)
        if unreadable:
            lines.append(f"  ⚠️ 待确认{len(unreadable)}条（发 /汇总 查看）")
    if not campaign.is_open and campaign.fulfilled is not False:
        people, cents = await _owing(svc, campaign)
        if people:
            lines.append(f"「{campaign.title}」未付款：{people}人，共{money(cents)}（发 /未付 查看）")
    return lines


async def _drop_lines(svc: Services, campaign: Campaign, rooms: set[str], day_start: datetime) -> list[str]:
    """A drop sold in several of her groups is one business: its totals once, each group's part labelled."""
    parts = [p for p in await svc.campaigns.parts(campaign) if p.room_id in rooms]
    topics = [await svc.rooms.topic(p.room_id) or p.room_id for p in parts]
    products = await svc.campaigns.products(campaign.id)
    lines = [f"【{'、'.join(topics)}】"]
    if any(_active_today(p, day_start) for p in parts):
        each = [await svc.orders.totals(p.id, products) for p in parts]
        amounts = [sum(t.amount_cents for t in totals) for totals, _ in each]
        state = "进行中" if any(p.is_open for p in parts) else "今天截单"
        lines.append(f"「{campaign.title}」{state}：{await svc.orders.drop_buyers([p.id for p in parts])}人下单，"
                     f"{money(sum(amounts))}")
        lines += [f"  · {topic}：{count}人，{money(amount)}"
                  for topic, (_, count), amount in zip(topics, each, amounts, strict=True)]
        unreadable = sum([len(await svc.orders.unreadable(p.id)) for p in parts])
        if unreadable:
            lines.append(f"  ⚠️ 待确认{unreadable}条（发 /汇总 查看）")
    if not any(p.is_open for p in parts) and campaign.fulfilled is not False:
        owing = [(topic, *await _owing(svc, p)) for topic, p in zip(topics, parts, strict=True)]
        people, cents = sum(n for _, n, _ in owing), sum(c for _, _, c in owing)
        if people:
            each_group = "，".join(f"{topic} {n}人{money(c)}" for topic, n, c in owing if n)
            lines.append(f"「{campaign.title}」未付款：{people}人，共{money(cents)}（{each_group}；发 /未付 查看）")
    return lines if len(lines) > 1 else []


async def digest_text(svc: Services, member_id: str, now: datetime) -> str | None:
    """The digest for the groups she owns or administers; None when she has none. Each group's own
    campaigns under its name; a drop sold in several of her groups once, with each group's part."""
    groups = await svc.rooms.administered_by(member_id)
    if not groups:
        return None
    day_start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    rooms = {room_id for room_id, _ in groups}
    lines = [f"📰 日报 {now:%m月%d日}"]
    shown: set[int] = set()
    for room_id, topic in groups:
        own: list[str] = []
        in_drops = False
        for campaign in await svc.campaigns.recent_in(room_id, RECENT):
            if campaign.drop_id is None:
                own += await _campaign_lines(svc, campaign, day_start)
                continue
            in_drops = True
            if campaign.drop_id not in shown:
                shown.add(campaign.drop_id)
                lines += await _drop_lines(svc, campaign, rooms, day_start)
        if own or not in_drops:
            lines += [f"【{topic or room_id}】", *(own or ["今天没有进行中的团，也没有待收的款。"])]
    return "\n".join(lines)
