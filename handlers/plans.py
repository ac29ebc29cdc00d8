"""The campaign calendar: /预告, /互动, /定时开团, /计划, /取消计划, and the jobs they leave.

A job is a plain async function of (services, schedule, now) returning what to
post; the app runs due jobs inside a transaction, on whichever clock drives it
(the wall clock live, the transcript's in a replay).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.app.context import Context
from bot.app.groups import drop_groups, group_deadlines
from bot.app.jobs import label, minutes_of
from bot.app.router import Router
from bot.domain.lifecycle import spec_problems
from bot.domain.qa import save_spec_pairs
from bot.parsing.campaign_spec import CampaignSpec, parse_open_command, product_problems, refusal
from bot.parsing.plan_spec import Plan, parse_plan, split_when
from bot.parsing.quantity import small_int
from bot.parsing.timeparse import ImpossibleTime, past_reason
from bot.render.templates import when
from storage.records import Schedule

log = logging.getLogger("bot.plans")
router = Router("plans", section="定时与话术")

async def _schedule_post(ctx: Context, kind: str, args: str, usage: str) -> None:
    try:
        split = split_when(args, ctx.now)
    except ImpossibleTime as exc:
        ctx.reply(f"没有安排：{exc}。")
        return
    if split is None:
        ctx.reply(usage)
        return
    at, text = split
    if at <= ctx.now:
        ctx.reply(f"没有安排：{past_reason(at)}。")
        return
    sid = await ctx.svc.schedules.add(ctx.room_id, kind, at, {"text": text}, ctx.msg.sender.id, ctx.now)
    ctx.deadlines_changed = True
    ctx.reply(f"📅 已安排 #{sid}：{when(at, ctx.now)} 发{label(kind)}。发 /计划 查看，/取消计划 {sid} 取消。")


@router.command("预告", "teaser", admin_only=True, help="/预告 时间 [文字]")
async def teaser_command(ctx: Context, args: str) -> None:
    await _schedule_post(ctx, "teaser", args,
                         "用法：/预告 明天 8:00 [预告文字]（时间也可以写 今晚8点、周六 10:00、30分钟后）")


@router.command("互动", "interact", admin_only=True, help="/互动 时间 [文字]")
async def interaction_command(ctx: Context, args: str) -> None:
    await _schedule_post(ctx, "interaction", args, "用法：/互动 今晚8点 [互动话术，如：想要草莓的扣1]")


@dataclass(frozen=True)
class _Planned:
    """A /定时开团 read whole and checked: what the opening job will be given."""

    plan: Plan
    spec: CampaignSpec
    body: str  # the opening's text, without the 群 line and the per-group lines
    rooms: list[str]
    pickups: dict[str, str]
    closes: dict[str, datetime]


async def _read_plan(ctx: Context, args: str) -> _Planned | str:
    """The plan, or the one line that says why nothing is planned."""
    drop = await drop_groups(ctx, args)
    if isinstance(drop, str):
        return drop
    try:
        plan = parse_plan(drop.body, ctx.now)
    except ImpossibleTime as exc:
        return f"没有安排：开团时间不对，{exc}。"
    if plan is None:
        return "用法：/定时开团 11-21 08:00 周日鲜果\n草莓 30元/盒\n截单 11-21 20:00\n预告 提前1天"
    if plan.open_at <= ctx.now:
        return f"没有安排：开团时间 {past_reason(plan.open_at)}。"
    deadlines = group_deadlines(replace(drop, body=plan.open_body), ctx.now, after=plan.open_at)
    if isinstance(deadlines, str):
        return f"没有安排：{deadlines}。"
    closes, body = deadlines
    spec = parse_open_command(body, ctx.now, opens_at=plan.open_at)
    problem = _spec_problem(spec, plan)
    if problem:
        return problem + ("\n看不懂的行：\n" + "\n".join(spec.problems) if spec.problems else "")
    return _Planned(plan, spec, body, drop.rooms, drop.pickups, closes)


def _spec_problem(spec: CampaignSpec, plan: Plan) -> str:
    if spec.close_problem is not None:
        return f"没有安排：{spec.close_problem}。"
    if not spec.title:
        return "请在时间后写上团名。"
    if not spec.products:
        return "没有读到商品。每行一个商品：名称 价格/单位，例如「草莓 30元/盒」。"
    if problems := product_problems(spec):
        return refusal("没有安排", problems)
    if spec.close_at is not None and spec.close_at <= plan.open_at:
        return f"截单时间 {when(spec.close_at)} 不在开团时间 {when(plan.open_at)} 之后。"
    return ""


def _opening_payload(ctx: Context, planned: _Planned, reminder: timedelta) -> dict[str, Any]:
    payload: dict[str, Any] = {"body": planned.body, "drafted_at": ctx.now.isoformat(),
                               "reminder_minutes": minutes_of(reminder)}
    if len(planned.rooms) > 1:
        payload["rooms"] = planned.rooms  # one drop in every one of these groups (bot/app/jobs.py opens it)
    if planned.pickups:
        payload["pickups"] = planned.pickups
    if planned.closes:
        payload["closes"] = {room: at.isoformat() for room, at in planned.closes.items()}
    return payload


async def _schedule_hype(ctx: Context, planned: _Planned, plan_id: int) -> list[str]:
    """The teaser and countdown before the opening, in every group; what the owner is told of them."""
    lines = []
    for kind, before in (("teaser", planned.plan.teaser_before), ("countdown", planned.plan.countdown_before)):
        if before is None:
            continue
        at = planned.plan.open_at - before
        if at <= ctx.now:
            lines.append(f"{label(kind)}时间已过，不发")
            continue
        for each in planned.rooms:
            await ctx.svc.schedules.add(each, kind, at, {"text": ""}, ctx.msg.sender.id, ctx.now, plan_id=plan_id)
        lines.append(f"{when(at, ctx.now)} 发{label(kind)}")
    return lines


@router.command("定时开团", "plan", admin_only=True, many_groups=True,
                help="/定时开团 时间 标题 + 商品行（可加一行「群 1群 2群」）")
async def plan_command(ctx: Context, args: str) -> None:
    planned = await _read_plan(ctx, args)
    if isinstance(planned, str):
        ctx.reply(planned)
        return
    plan, spec, rooms, svc, who = planned.plan, planned.spec, planned.rooms, ctx.svc, ctx.msg.sender.id
    reminder = plan.reminder_before or svc.settings.reminder_before
    plan_id = await svc.schedules.add(rooms[0], "open", plan.open_at, _opening_payload(ctx, planned, reminder), who,
                                      ctx.now)
    await svc.schedules.set_plan(plan_id, plan_id)
    where = f"在{len(rooms)}个群" if len(rooms) > 1 else ""
    lines = [f"📅 已安排 #{plan_id}「{spec.title}」：{when(plan.open_at, ctx.now)} {where}开团"]
    if spec.close_at is not None:
        lines.append(f"{when(spec.close_at, ctx.now)} 截单（截单前{minutes_of(reminder)}分钟提醒）")
    if spec.pickup:
        lines.append(f"自提 {spec.pickup}")
    lines += await _schedule_hype(ctx, planned, plan_id)
    if spec.qa:
        # Saved now, so questions during the teaser are answered too (the opening leaves them to /问答).
        for each in rooms:
            await save_spec_pairs(svc, each, spec.qa, who, ctx.now)
        lines.append(f"已保存{len(spec.qa)}条问答")
    ctx.deadlines_changed = True
    problems = f"\n{spec_problems(spec)}" if spec_problems(spec) else ""
    ctx.reply("，".join(lines) + f"。发 /计划 查看，/取消计划 {plan_id} 取消。" + problems)


def _rooms_of(s: Schedule) -> list[str]:
    listed = s.payload.get("rooms")
    return [str(r) for r in listed] if isinstance(listed, list) else [s.room_id]


@router.command("计划", "plans", admin_only=True, help="/计划 查看本群的定时安排")
async def list_command(ctx: Context, args: str) -> None:
    # A drop's opening is one row, kept in its first group; every group of the drop opens with it.
    pending = sorted([*await ctx.svc.schedules.pending_in(ctx.room_id),
                      *await ctx.svc.schedules.shared_openings(ctx.room_id)], key=lambda s: (s.run_at, s.id))
    if not pending:
        ctx.reply("本群没有待发的定时安排。")
        return
    lines = ["📅 本群的定时安排："]
    for s in pending:
        detail = ""
        if s.kind == "open":
            detail = "：" + str(s.payload.get("body", "")).split("\n")[0]
            if len(rooms := _rooms_of(s)) > 1:
                detail += f"（{len(rooms)}个群一起开团）"
        elif s.payload.get("text"):
            detail = "：" + str(s.payload["text"])[:20]
        # Next year's items say so: "1月2日" alone would read as this coming January.
        lines.append(f"#{s.id} {when(s.run_at, ctx.now)} {label(s.kind)}{detail}")
    ctx.reply("\n".join(lines))


@router.command("取消计划", "unplan", admin_only=True, help="/取消计划 ID")
async def cancel_command(ctx: Context, args: str) -> None:
    sid = small_int(args.strip().lstrip("#"))
    found = await ctx.svc.schedules.get(sid) if sid is not None else None
    # A drop's opening is listed in each of its groups (/计划), and cancelled from any of them.
    here = found is not None and (found.room_id == ctx.room_id
                                  or (found.kind == "open" and ctx.room_id in _rooms_of(found)))
    if found is None or not here or found.status != "pending":
        ctx.reply("用法：/取消计划 ID（ID 见 /计划；只能取消本群还没发的安排）")
        return
    groups = len(_rooms_of(found)) if found.kind == "open" else 1
    if groups > 1 and not ctx.scope.covers_all(_rooms_of(found)):
        ctx.reply(f"#{found.id} 要在{groups}个群一起开团，请团长来取消。")
        return
    if found.kind == "open":
        await ctx.svc.schedules.cancel_plan(found.id)
        where = f"（{groups}个群一起的）" if groups > 1 else ""
        ctx.reply(f"已取消 #{found.id} 定时开团{where}，以及它的预告和倒计时。")
    else:
        await ctx.svc.schedules.finish(found.id, "cancelled")
        ctx.reply(f"已取消 #{found.id} {label(found.kind)}。")
    ctx.deadlines_changed = True
