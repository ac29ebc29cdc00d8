"""Scheduled jobs: the posts and openings the calendar leaves, run by the pipeline when due.

A job is a plain async function of (services, schedule, now) returning what to
post; the pipeline runs due jobs inside a transaction, on whichever clock
drives it (the wall clock live, the transcript's in a replay).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.conversation.merged_list import MERGED_JOB, campaign_of, merged_text
from bot.domain.conversation.questions import EXPIRY_JOB, expire_due
from bot.domain.digest import digest_text, next_at
from bot.domain.hype import live_figures, live_in, timed_broadcast
from bot.domain.lifecycle import announcement, open_drop
from bot.domain.pickup import pickup_reminder_job
from bot.domain.qa import FORWARD_JOB, REPEATS_JOB, forward_waiting, point_repeats
from bot.domain.services import Services
from bot.models import Outgoing
from bot.parsing.campaign_spec import parse_open_command
from bot.render.templates import RenderError, when
from storage.records import Product, Schedule

log = logging.getLogger("bot.jobs")

def minutes_of(delta: timedelta) -> int:
    return max(int(delta.total_seconds() // 60), 0)


Job = Callable[[Services, Schedule, datetime], Awaitable[list[Outgoing]]]


class Skip(Exception):
    """The job has nothing right to post (stale, or its campaign is gone). `tell`: what she planned
    did not happen and she would not otherwise know (a planned opening that could not open)."""

    def __init__(self, why: str, *, tell: bool = False) -> None:
        super().__init__(why)
        self.tell = tell


async def _planned(svc: Services, plan_id: int | None) -> tuple[str, list[Product], datetime | None]:
    """Title, products and opening time of the planned campaign a post belongs to."""
    plan = await svc.schedules.get(plan_id) if plan_id is not None else None
    if plan is None or plan.status != "pending":
        return "", [], None
    spec = parse_open_command(str(plan.payload.get("body", "")),
                              datetime.fromisoformat(str(plan.payload["drafted_at"])))
    products = [Product(0, 0, i, p.code, p.name, p.price_cents, p.unit, p.stock, p.limit, 0)
                for i, p in enumerate(spec.products)]
    return spec.title, products, plan.run_at


async def _hype(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    title, products, open_at = await _planned(svc, s.plan_id)
    if s.plan_id is not None and open_at is None:
        raise Skip("its planned opening was cancelled")
    minutes = minutes_of(open_at - now) if open_at else 0
    text = await svc.templates.arender(s.kind, s.room_id, title=title, products=products, open_at=open_at,
                                       text=str(s.payload.get("text", "")), minutes=minutes,
                                       live=await live_in(svc, s.room_id, now))
    return [Outgoing(text=text, room_id=s.room_id)]


async def _open(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    spec = parse_open_command(str(s.payload["body"]), datetime.fromisoformat(str(s.payload["drafted_at"])),
                              opens_at=s.run_at)
    # Its 问答 were saved with the plan; saving them again would undo the owner's /问答 修改 since.
    spec = replace(spec, qa=())
    reminder = timedelta(minutes=int(str(s.payload.get("reminder_minutes", 30))))
    listed = s.payload.get("rooms")
    rooms = [str(r) for r in listed] if isinstance(listed, list) else [s.room_id]
    listed_pickups = s.payload.get("pickups")
    pickups = {str(k): str(v) for k, v in listed_pickups.items()} if isinstance(listed_pickups, dict) else {}
    listed_closes = s.payload.get("closes")
    closes = ({str(k): datetime.fromisoformat(str(v)) for k, v in listed_closes.items()}
              if isinstance(listed_closes, dict) else {})
    parts, why = await open_drop(svc, rooms, spec, s.created_by, now, reminder_before=reminder, pickups=pickups,
                                 closes=closes)
    if not parts:
        raise Skip(why, tell=True)
    return [post for part in parts for post in await announcement(svc, part)]


async def _reminder(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    campaign = await svc.campaigns.get(int(str(s.payload["campaign_id"])))
    if campaign is None or not campaign.is_open or campaign.close_at is None:
        raise Skip("the campaign is no longer open")
    products = await svc.campaigns.products(campaign.id)
    totals, buyers = await svc.orders.totals(campaign.id, products)
    text = await svc.render("reminder", s.room_id, campaign=campaign, totals=totals,
                                buyers=buyers, minutes_left=minutes_of(campaign.close_at - now),
                                live=await live_figures(svc, campaign, now))
    return [Outgoing(text=text, room_id=s.room_id)]


async def _pickup_reminder(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    return await pickup_reminder_job(svc, int(str(s.payload["campaign_id"])), now)


# The digest is the owner's, not a group's: its schedule's room is "" and the payload names her.
DIGEST_ROOM = ""


async def schedule_digest(svc: Services, member_id: str, hhmm: str | None, now: datetime) -> datetime | None:
    """Replaces her pending digest with one at the next `hhmm` (none when None); returns when."""
    for s in await svc.schedules.pending_in(DIGEST_ROOM):
        if s.kind == "digest" and s.payload.get("member") == member_id:
            await svc.schedules.finish(s.id, "cancelled")
    if hhmm is None:
        return None
    at = next_at(hhmm, now)
    await svc.schedules.add(DIGEST_ROOM, "digest", at, {"member": member_id, "at": hhmm}, member_id, now)
    return at


async def _digest(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    member = str(s.payload["member"])
    hhmm = await svc.owner_prefs.digest_at(member)
    if hhmm is None:
        raise Skip("the digest was turned off")
    # The next one first: a digest that fails to render must not end the series.
    await schedule_digest(svc, member, hhmm, max(now, s.run_at))
    text = await digest_text(svc, member, now)
    return [Outgoing(text=text, to=member)] if text else []


async def _broadcast(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    campaign = await svc.campaigns.get(int(str(s.payload["campaign_id"])))
    if campaign is None or not campaign.is_open:
        raise Skip("the campaign is no longer open")
    return await timed_broadcast(svc, campaign, now)


async def _qa_forward(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    return await forward_waiting(svc, s.room_id, now)


async def _qa_repeats(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    return await point_repeats(svc, s.room_id, now)


async def _question_expiry(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    return await expire_due(svc, s.room_id, now)


async def _merged_list(svc: Services, s: Schedule, now: datetime) -> list[Outgoing]:
    """A fork no acknowledgement took the merged list along for: it is posted alone."""
    campaign = await campaign_of(svc, s)
    if campaign is None:
        raise Skip("the campaign is no longer open")
    return [Outgoing(text=await merged_text(svc, campaign), room_id=s.room_id)]


@dataclass(frozen=True)
class JobKind:
    """One kind of scheduled job: what runs, what the owner calls it, and what downtime does to it."""

    kind: str  # as stored in schedules.kind
    label: str  # what /计划 and the owner's notices call it
    run: Job
    # A post is stale when the bot was offline past the grace period: it is skipped and the owner told.
    # An opening, a digest or a forwarded question is still hers to have, however late.
    stale_when_late: bool


JOBS: Mapping[str, JobKind] = {job.kind: job for job in (
    JobKind("teaser", "开团预告", _hype, stale_when_late=True),
    JobKind("interaction", "互动", _hype, stale_when_late=True),
    JobKind("countdown", "倒计时", _hype, stale_when_late=True),
    JobKind("open", "开团", _open, stale_when_late=False),
    JobKind("reminder", "截单提醒", _reminder, stale_when_late=True),
    JobKind("pickup_reminder", "取货提醒", _pickup_reminder, stale_when_late=True),
    JobKind("broadcast", "跟团播报", _broadcast, stale_when_late=True),
    JobKind("digest", "日报", _digest, stale_when_late=False),
    JobKind(FORWARD_JOB, "问题转团长", _qa_forward, stale_when_late=False),
    JobKind(REPEATS_JOB, "重复问题提示", _qa_repeats, stale_when_late=False),
    JobKind(EXPIRY_JOB, "没回复的订单问题转团长", _question_expiry, stale_when_late=False),
    # Said fresh whenever it runs: after downtime the list is still the one to continue from.
    JobKind(MERGED_JOB, "合并接龙", _merged_list, stale_when_late=False),
)}


def label(kind: str) -> str:
    """What the owner calls a schedule's kind (the kind itself for one this version does not know)."""
    job = JOBS.get(kind)
    return job.label if job is not None else kind


async def run_job(svc: Services, s: Schedule, now: datetime, late: timedelta) -> list[Outgoing]:
    """Runs one due schedule inside the caller's transaction and marks it done.

    The one error path for jobs: a stale, skipped or failing job is recorded
    on the schedule and logged; nothing half-made is posted."""
    job = JOBS.get(s.kind)
    if job is not None and job.stale_when_late and late > svc.settings.grace:
        log.warning("schedule #%s (%s in %s) skipped: %s late", s.id, s.kind, s.room_id, late)
        await svc.schedules.finish(s.id, "skipped", f"late by {late}")
        owner = await svc.rooms.owner(s.room_id)
        if owner is None:
            return []
        # Privately: the owner planned it and should know it never went out.
        return [Outgoing(text=f"⏰ 计划 #{s.id}（{job.label}）本该 {when(s.run_at)} 发出，"
                              f"机器人当时不在线，晚了{minutes_of(late)}分钟，已跳过没有发。需要的话请重新安排。",
                         to=owner)]
    try:
        if job is None:
            raise Skip(f"unknown kind {s.kind}")
        posts = await job.run(svc, s, now)
    except Skip as why:
        # A reminder for a drop she closed early is expected, not a fault: only what she planned and
        # did not get (or a kind this version does not know) is worth a warning on the console.
        (log.warning if why.tell or job is None else log.info)(
            "schedule #%s (%s in %s) skipped: %s", s.id, s.kind, s.room_id, why)
        await svc.schedules.finish(s.id, "skipped", str(why)[:200])
        if not why.tell:
            return []
        # Privately, to whoever planned it: she is waiting for it to happen.
        return [Outgoing(text=f"⏰ 计划 #{s.id}（{label(s.kind)}）{when(s.run_at)} 没有执行：{why}", to=s.created_by)]
    except RenderError as exc:
        log.error("schedule #%s (%s in %s) not posted: %s", s.id, s.kind, s.room_id, exc)
        await svc.schedules.finish(s.id, "failed", str(exc)[:200])
        return []
    await svc.schedules.finish(s.id, "done")
    return posts
