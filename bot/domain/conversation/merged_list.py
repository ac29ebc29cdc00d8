"""The merged 接龙: when copies fork, the list with everyone's lines, said only while the fork lasts
and, when it can, inside a message the group gets anyway (README "A quiet group").

Two members copying the same version at once, or someone copying an old one, make a copy that
lacks live lines of others: a fork. Nobody's order is lost (the book keeps every line), but whoever
copies that copy next carries on without them, so the group is shown the merged list to continue
from. At a slow pace, with copiers typing for half a minute, forks are many, and a list for each
was the group's biggest noise. So a fork is only noted, as a `merged_list` schedule (durable, and on
the transcript's clock in a replay), and then:

- a copy that carries every live line again (the fork healed: someone re-posted with the line that
  was missing) cancels it: nothing is said;
- once the fork has lasted `merged_list_after`, the next gathered acknowledgement in the group
  carries the list (`ride_along`, where acknowledgements become outbox rows): no message of its own;
- if none has taken it by `merged_list_alone` after the fork, it is posted alone (the job in
  bot/app/jobs.py). Each list said while forks keep coming (the one before within
  `merged_list_alone_max`) doubles that wait, up to `merged_list_alone_max`: a steady stream of
  forks in a group without acknowledgements costs two lists in its first hour, then one an hour.

Everything runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.lifecycle import list_text
from bot.domain.services import Services, Settings
from bot.models import Outgoing
from bot.parsing.privacy import mask
from storage.records import Campaign, Schedule

MERGED_JOB = "merged_list"
HEADING = "有人复制了旧版本的接龙，大家的订单都在。请从这份最新的接龙继续："


def alone_after(settings: Settings, streak: int) -> timedelta:
    """How long a fork waits for an acknowledgement to ride in before its list is posted alone, when
    `streak` lists were said before it, each within `merged_list_alone_max` of the next."""
    doubled: timedelta = settings.merged_list_alone * (1 << min(streak, 16))
    return min(doubled, settings.merged_list_alone_max)


async def fork_seen(svc: Services, campaign: Campaign, forked: bool, now: datetime) -> bool:
    """After a 接龙 copy: `forked` when it lacks live lines of others, else it carries every one (a
    fork before it healed, if any, is forgotten). True when a fork was noted (the group's schedule
    changed)."""
    if not forked:
        # Most copies: a write that rides in the message's commit, no trip of its own. (A cancelled
        # schedule the pipeline still expects finds nothing due and is looked past.)
        svc.schedules.cancel_pending(campaign.room_id, MERGED_JOB, "a later copy carried every line")
        return False
    pending, last = await svc.schedules.pending_and_last_done(campaign.room_id, MERGED_JOB)
    if pending is not None:
        return False  # the same fork goes on: it is owed from when it began
    settings = svc.settings
    streak = 0
    if last is not None and last.payload.get("campaign_id") == campaign.id \
            and now - last.run_at < settings.merged_list_alone_max:
        streak = int(str(last.payload.get("streak", 0))) + 1
    ride_from = now + settings.merged_list_after
    alone_at = now + max(alone_after(settings, streak), settings.merged_list_after)
    svc.schedules.put(campaign.room_id, MERGED_JOB, alone_at,
                      {"campaign_id": campaign.id, "ride_from": ride_from.isoformat(), "streak": streak}, "bot", now)
    return True


async def campaign_of(svc: Services, s: Schedule) -> Campaign | None:
    """The campaign a merged-list schedule is for, while it is open."""
    campaign = await svc.campaigns.get(int(str(s.payload["campaign_id"])))
    return campaign if campaign is not None and campaign.is_open else None


async def merged_text(svc: Services, campaign: Campaign) -> str:
    """The list with every live 接龙 line, phone numbers masked as everywhere in the group."""
    lines = [mask(ln.raw) for ln in await svc.orders.live_lines(campaign.id, "copy")]
    return f"{HEADING}\n\n{await list_text(svc, campaign, lines)}"


async def ride_along(svc: Services, taken: list[tuple[datetime, Outgoing]]
                     ) -> tuple[list[tuple[datetime, Outgoing]], bool]:
    """Gathered acknowledgements about to become outbox rows (each with its time), with the merged
    list owed in a group by then riding in that group's last one; True when one did (its schedule
    is done). The list goes under the acknowledgements, so whoever copies it from `#接龙` on has the
    list alone. Such a message is not merged with later acknowledgements: they would land under
    the list, where a copy would carry them."""
    taken = list(taken)
    last: dict[str, int] = {out.room_id: i for i, (_, out) in enumerate(taken) if out.room_id is not None}
    rode = False
    for room_id, i in last.items():
        at, ack = taken[i]
        text = await _owed(svc, room_id, at)
        if text is not None:
            taken[i] = (at, replace(ack, text=f"{ack.text.rstrip()}\n\n{text}", mergeable=False))
            rode = True
    return taken, rode


async def _owed(svc: Services, room_id: str, at: datetime) -> str | None:
    """The merged list owed in the group at `at` (its schedule done then), or None."""
    for s in await svc.schedules.pending_in(room_id):
        if s.kind != MERGED_JOB or datetime.fromisoformat(str(s.payload["ride_from"])) > at:
            continue
        campaign = await campaign_of(svc, s)
        if campaign is None:
            await svc.schedules.finish(s.id, "skipped", "the campaign is no longer open")
            continue
        await svc.schedules.finish(s.id, "done", "with the acknowledgements", at=at)
        return await merged_text(svc, campaign)
    return None
