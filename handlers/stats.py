"""/统计 [天数]: how the group (and all groups) did — campaigns, buyers, orders, amount, repeat rate."""

from __future__ import annotations

from datetime import timedelta

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.scope import parts_in_scope
from bot.domain.stats import Figures, GroupStats, group_figures, load_stats, overall_figures
from bot.render.templates import money

router = Router("stats", section="统计与导出")


def _line(label: str, f: Figures) -> str:
    if not f.campaigns:
        return f"{label}：没有开团"
    avg = f.amount_cents // f.buyers if f.buyers else 0
    rate = f"{f.repeat * 100 // f.buyers}%" if f.buyers else "-"
    return (f"{label}：{f.campaigns}个团，{f.buyers}人下单，{f.orders}单，{money(f.amount_cents)}，"
            f"人均{money(avg)}，复购率{rate}")


@router.command("统计", "stats", admin_only=True, whole_drop=True,
                help="/统计 [天数] 近30天（或N天）的团数、人数、金额、复购率")
async def stats_command(ctx: Context, args: str) -> None:
    days = int(args.strip()) if args.strip().isdigit() and 0 < int(args.strip()) <= 3650 else 30
    # Only the groups in her scope: an owner's own groups, an admin's or partner's groups of that owner.
    groups = await load_stats(ctx.svc, ctx.now - timedelta(days=days), ctx.scope.groups)
    empty = GroupStats((), {}, frozenset())
    # A drop is one business: with one picked, each of its groups she runs, by name.
    latest = await ctx.svc.campaigns.latest_in(ctx.room_id)
    drop = [p.room_id for p in await parts_in_scope(ctx.svc.campaigns, ctx.scope, latest)] \
        if latest is not None and latest.drop_id is not None else []
    lines = [f"📊 近{days}天"]
    if len(drop) > 1:
        lines += [_line(await ctx.svc.rooms.topic(room) or room, group_figures(groups.get(room, empty)))
                  for room in drop]
    else:
        lines.append(_line("本群", group_figures(groups.get(ctx.room_id, empty))))
    if len(groups) > 1 or (groups and ctx.room_id not in groups):
        lines.append(_line(f"全部{len(groups)}个群", overall_figures(groups)))
    ctx.reply("\n".join(lines))
