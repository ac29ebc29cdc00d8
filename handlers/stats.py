"""/统计 [天数]: how the group (and all groups) did — campaigns, buyers, orders, amount, repeat rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.services import Services
from bot.render.templates import money
from storage.records import Campaign

router = Router("stats", section="统计与导出")


@dataclass
class Figures:
    campaigns: int = 0
    buyers: int = 0  # distinct members per group
    orders: int = 0  # (member, campaign) pairs
    amount_cents: int = 0
    repeat: int = 0  # buyers who also bought in an earlier campaign of the same group

    def add(self, other: Figures) -> None:
        self.campaigns += other.campaigns
        self.buyers += other.buyers
        self.orders += other.orders
        self.amount_cents += other.amount_cents
        self.repeat += other.repeat

    def text(self, label: str) -> str:
        if not self.campaigns:
            return f"{label}：没有开团"
        avg = self.amount_cents // self.buyers if self.buyers else 0
        rate = f"{self.repeat * 100 // self.buyers}%" if self.buyers else "-"
        return (f"{label}：{self.campaigns}个团，{self.buyers}人下单，{self.orders}单，{money(self.amount_cents)}，"
                f"人均{money(avg)}，复购率{rate}")


async def _group(svc: Services, room_id: str, window: list[Campaign]) -> Figures:
    figures = Figures(campaigns=len(window))
    if not window:
        return figures
    members: set[str] = set()
    for campaign in window:
        if campaign.fulfilled is False:
            continue
        for order in await svc.orders.orders(campaign.id, await svc.campaigns.products(campaign.id)):
            members.add(order.member_id)
            figures.orders += 1
            figures.amount_cents += order.amount_cents
    figures.buyers = len(members)
    first = min(c.id for c in window)
    before = await svc.history.buyers_before(room_id, first)
    # Inside the window too: a buyer of a later campaign who bought in an earlier one.
    seen: set[str] = set()
    repeaters: set[str] = set()
    for campaign in sorted(window, key=lambda c: c.id):
        if campaign.fulfilled is False:
            continue
        current = {o.member_id for o in await svc.orders.orders(campaign.id, await svc.campaigns.products(campaign.id))}
        repeaters |= current & (seen | before)
        seen |= current
    figures.repeat = len(repeaters)
    return figures


@router.command("统计", "stats", admin_only=True, help="/统计 [天数]")
async def stats_command(ctx: Context, args: str) -> None:
    days = int(args.strip()) if args.strip().isdigit() and 0 < int(args.strip()) <= 3650 else 30
    start = ctx.now - timedelta(days=days)
    by_room: dict[str, list[Campaign]] = {}
    for campaign in await ctx.svc.campaigns.since(None, start):
        by_room.setdefault(campaign.room_id, []).append(campaign)
    here = await _group(ctx.svc, ctx.room_id, by_room.get(ctx.room_id, []))
    lines = [f"📊 近{days}天", here.text("本群")]
    if len(by_room) > 1 or (by_room and ctx.room_id not in by_room):
        overall = Figures()
        for room_id, window in by_room.items():
            overall.add(here if room_id == ctx.room_id else await _group(ctx.svc, room_id, window))
        lines.append(overall.text(f"全部{len(by_room)}个群"))
    ctx.reply("\n".join(lines))
