"""What a tap does: tick off a buyer (all of her order or some of it), undo that, remind who has not
come. Each is the chat command's own domain operation, run through `App.act`: one transaction with
the bot's other writers, and whatever it says to a group goes through the outbox as the command's
would. What it says to her comes back to the page.

A tap sends `tap`, a fresh id made by the page: a double tap or a retried request does it once.
The page posts with fetch and gets JSON back: what was said, and the row as it is now.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.app.context import Context
from bot.app.pipeline import Acted
from bot.domain.pickup import collect, remind_uncollected, uncollect
from bot.models import Member
from bot.web.auth import denied, reach, session_of
from bot.web.pages import row_html, target_from_path
from bot.web.server import WEB, Web
from bot.web.views import row_view, shown_campaigns
from storage.records import Campaign

routes = web.RouteTableDef()

_ACTION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_KEY = re.compile(r"^(\d{1,18}):(.{1,200})$", re.DOTALL)
_TAKE = re.compile(r"^take-(\d{1,18})$")


async def _fields(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: str(v) for k, v in (await request.post()).items()}


def _take(fields: dict[str, str]) -> dict[int, int] | None:
    """The quantities of a partial pickup, from fields `take-<product id>`; None: all of her order."""
    out: dict[int, int] = {}
    for name, value in fields.items():
        m = _TAKE.match(name)
        if m is None:
            continue
        value = value.strip() or "0"
        if not value.isdigit() or len(value) > 4:
            raise web.HTTPBadRequest(text="部分取货的数量写得不对。")
        out[int(m.group(1))] = int(value)
    return out if out else None


async def _buyer(ctx: Web, key: str) -> tuple[Campaign, str] | None:
    """(campaign, member id) of a row key, when the campaign is closed and goes ahead. Whether she may
    act on its group is App.act's to check, in the tap's own transaction."""
    m = _KEY.match(key)
    if m is None:
        return None
    campaign = await ctx.svc.campaigns.get(int(m.group(1)))
    if campaign is None or campaign.is_open or not campaign.counts:
        return None
    return campaign, m.group(2)


def _action(fields: dict[str, str]) -> str:
    given = fields.get("tap", "")
    return given if _ACTION.match(given) else secrets.token_urlsafe(12)


async def _act(ctx: Web, member_id: str, campaign: Campaign, action: str,
               work: Callable[[Context], Awaitable[str | None]]) -> Acted[str | None]:
    """Runs `work` as her on the campaign's group: PermissionError (a 403) when the scope rule says no."""
    actor = Member(member_id, await ctx.svc.rooms.name_of(campaign.room_id, member_id))
    # Her taps are claimed under her own name: nobody else's id can make hers count as done.
    return await ctx.bot.act(actor, campaign.room_id, work, action_id=f"web:{member_id}:{action}")


def _answer(said: list[str], rows: dict[str, str] | None = None, repeated: bool = False) -> web.StreamResponse:
    return web.json_response({"ok": True, "said": said, "rows": rows or {}, "repeated": repeated})


async def _tick(request: web.Request, undo: bool) -> web.StreamResponse:
    ctx = request.app[WEB]
    fields = await _fields(request)
    found = await _buyer(ctx, fields.get("key", ""))
    if found is None:
        return denied(request, "没有这个订单，或不是你管理的群。")
    campaign, member_id = found
    take = None if undo else _take(fields)
    whole = fields.get("view", "").startswith("/pickup/d/")  # a drop's list names each row's group
    name = await ctx.svc.rooms.name_of(campaign.room_id, member_id)

    async def work(c: Context) -> str | None:
        if undo:
            return await uncollect(c.svc, campaign, member_id, name)
        return await collect(c.svc, campaign, member_id, name, c.msg.sender.id, c.now, take)

    acted = await _act(ctx, session_of(request).member_id, campaign, _action(fields), work)
    said = [acted.result] if acted.result else []
    if acted.repeated:
        said = ["这一下已经记过了。"]
    row = await row_view(ctx.svc, campaign, member_id, whole)
    rows = {row.key: row_html(ctx, row)} if row is not None else {}
    return _answer(said, rows, acted.repeated)


@routes.post("/pickup/tick")
async def tick(request: web.Request) -> web.StreamResponse:
    return await _tick(request, undo=False)


@routes.post("/pickup/untick")
async def untick(request: web.Request) -> web.StreamResponse:
    return await _tick(request, undo=True)


@routes.post("/pickup/remind")
async def remind(request: web.Request) -> web.StreamResponse:
    """/提醒取货 for each group of the list: the same gathered reminder, @-ing only who has not collected."""
    ctx = request.app[WEB]
    me = await reach(request)
    fields = await _fields(request)
    view = fields.get("view", "")
    target = await target_from_path(ctx, me, view)
    if target is None:
        return denied(request, "没有这个团，或不是你管理的群。")
    campaign, whole = target
    parts = [p for p in await shown_campaigns(ctx.svc, me, campaign, whole) if not p.is_open]
    action = _action(fields)
    said: list[str] = []
    for part in parts:

        async def work(c: Context, part: Campaign = part) -> str | None:
            posts, done = await remind_uncollected(c.svc, part)
            c.replies.extend(posts)
            people = sum(len(p.mentions) for p in posts)
            return done or f"✅ 已在「{me.topics[part.room_id]}」提醒还没取货的{people}人"

        acted = await _act(ctx, me.member_id, part, f"{action}-{part.id}" if whole else action, work)
        if acted.repeated:
            said.append("这次提醒已经发过了。")
        elif acted.result:
            said.append(acted.result)
    return _answer(said)
