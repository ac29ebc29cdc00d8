"""/统计 [天数]: how the group (and all groups) did — campaigns, buyers, orders, amount, repeat rate."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.aftersales.quality import load_quality
from bot.domain.scope import parts_in_scope
from bot.domain.stats import Figures, GroupStats, group_figures, load_stats, overall_figures
from bot.parsing.quantity import NUM, to_int
from bot.parsing.textnorm import nfkc
from bot.render.templates import money

router = Router("stats", section="统计与导出")


def _line(label: str, f: Figures) -> str:
    if not f.campaigns:
        return f"{label}：没有开团"
    avg = f.amount_cents // f.buyers if f.buyers else 0
    rate = f"{f.repeat * 100 // f.buyers}%" if f.buyers else "-"
    return (f"{label}：{f.campaigns}个团，{f.buyers}人下单，{f.orders}单，{money(f.amount_cents)}，"
            f"人均{money(avg)}，复购率{rate}")


MAX_DAYS = 3650
_DAYS = re.compile(rf"^({NUM})\s*天?$")


def _days(args: str) -> int | None:
    """`/统计` is 30 days; `/统计 7` (or 7天, 七天) that many; anything else None."""
    text = nfkc(args).strip()
    if not text:
        return 30
    m = _DAYS.match(text)
    days = to_int(m.group(1)) if m else None
    return days if days is not None and 1 <= days <= MAX_DAYS else None


@router.command("统计", "stats", admin_only=True, whole_drop=True,
                help="/统计 [天数] 近30天（或N天）的团数、人数、金额、复购率")
async def stats_command(ctx: Context, args: str) -> None:
    days = _days(args)
    if days is None:
        # Figures for a window she did not ask for would read as the answer to her question.
        ctx.reply(f"没有统计：天数请写1到{MAX_DAYS}之间的整数，例如 /统计 7（不写天数是近30天）。")
        return
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
    # For choosing suppliers: what arrived short, what members reported, what it cost in refunds.
    shown = drop if len(drop) > 1 else [ctx.room_id]
    campaigns = [c for room in shown for c in groups.get(room, empty).campaigns]
    troubled = [q for q in await load_quality(ctx.svc, campaigns) if q.short or q.claimed or q.refund_cents]
    if troubled:
        lines.append("缺货与售后（本群）：" if len(shown) == 1 else f"缺货与售后（这批货的{len(shown)}个群）：")
        lines += [f"· {q.text()}" for q in troubled]
    ctx.reply("\n".join(lines))
