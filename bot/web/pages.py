"""The pages she reads: home, the pickup list (and its live stream), the order board, the charts, and a
buyer's pickup card."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import quote

from aiohttp import web

from bot.web import board as board_data
from bot.web.auth import SESSION_COOKIE, denied, reach, session_of
from bot.web.menu import campaigns_of, open_campaigns, pickup_targets
from bot.web.qr import qr_svg
from bot.web.reach import Reach
from bot.web.server import WEB, Web
from bot.web.views import (
    Counts,
    PickupView,
    RowView,
    changed_rows,
    counts_of,
    pickup_view,
    shown_campaigns,
)
from storage.records import Campaign

routes = web.RouteTableDef()

# A stream says something at least this often, so proxies and phones keep it open.
KEEPALIVE = 15.0
_CARD = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.StreamResponse:
    return web.Response(status=204)


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    me = await reach(request)
    return ctx.page("home.html", me=me, targets=await pickup_targets(ctx.svc, me),
                    open=await open_campaigns(ctx.svc, me), csrf=session_of(request).csrf)


async def target_of(ctx: Web, me: Reach, kind: str, number: str) -> tuple[Campaign, bool] | None:
    """(campaign, whole drop) for /pickup/c/<id> or /pickup/d/<drop id>, when she may see it."""
    if not number.isdigit() or len(number) > 18:
        return None
    if kind == "c":
        campaign = await ctx.svc.campaigns.get(int(number))
        if campaign is None or not me.may_act(campaign.room_id) or campaign.is_open:
            return None
        return campaign, False
    first = await ctx.svc.campaigns.get(int(number))
    if first is None or first.drop_id != first.id:
        return None
    parts = [p for p in await ctx.svc.campaigns.parts(first) if me.may_act(p.room_id) and not p.is_open]
    return (parts[0], True) if parts else None


async def target_from_path(ctx: Web, me: Reach, path: str) -> tuple[Campaign, bool] | None:
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "pickup" or parts[1] not in ("c", "d"):
        return None
    return await target_of(ctx, me, parts[1], parts[2])


def row_html(ctx: Web, row: RowView) -> str:
    """One row, as the list draws it (the same macro)."""
    return str(ctx.templates.get_template("rows.html").module.row(row))  # type: ignore[attr-defined]


def list_html(ctx: Web, view: PickupView) -> str:
    return ctx.render("list.html", view=view)


def counts_json(c: Counts) -> dict[str, int]:
    return {"buyers": c.buyers, "done": c.done, "partial": c.partial, "todo": c.todo}


@routes.get("/pickup/{kind:[cd]}/{number}")
async def pickup_page(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    me = await reach(request)
    found = await target_of(ctx, me, request.match_info["kind"], request.match_info["number"])
    if found is None:
        return denied(request, "没有这个团，或不是你管理的群。")
    campaign, whole = found
    version = ctx.hub.version
    view = await pickup_view(ctx.svc, me, campaign, whole)
    return ctx.page("pickup.html", view=view, me=me, targets=await pickup_targets(ctx.svc, me),
                    csrf=session_of(request).csrf, list_html=list_html(ctx, view), version=version,
                    query=request.query.get("q", ""))


@routes.get("/pickup/code/{campaign}/{code}")
async def pickup_code(request: web.Request) -> web.StreamResponse:
    """Where a buyer's QR leads: her list, searched for her code, ready for one tap."""
    campaign = request.match_info["campaign"]
    code = request.match_info["code"]
    if not campaign.isdigit() or not code.isalnum() or len(code) > 12:
        return denied(request, "二维码不对。")
    raise web.HTTPSeeOther(f"/pickup/c/{campaign}?q={quote(code)}")


def _event(name: str, data: object, version: int) -> bytes:
    return f"id: {version}\nevent: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@routes.get("/pickup/live")
async def pickup_live(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the rows that changed since the page (or the last event) saw them."""
    ctx = request.app[WEB]
    me = await reach(request)
    view_path = request.query.get("view", "")
    found = await target_from_path(ctx, me, view_path)
    if found is None:
        return denied(request, "没有这个团，或不是你管理的群。")
    campaign, whole = found
    since = request.headers.get("Last-Event-ID") or request.query.get("since", "")
    seen = int(since) if since.isdigit() else -1
    # The view is read as of this version (the marks first: a change while the view is read shows as a
    # difference later, never as none).
    now_at = ctx.hub.version
    marks = await ctx.svc.history.pickup_marks(tuple(c.id for c in await shown_campaigns(ctx.svc, me, campaign, whole)))
    view = await pickup_view(ctx.svc, me, campaign, whole)
    ids = tuple(c.id for c in view.campaigns)
    last = {r.key: r for r in view.rows}
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    try:
        if seen != now_at:
            # The page was drawn before something changed: it gets the whole list once.
            await response.write(_event("full", {"html": list_html(ctx, view), "counts": counts_json(view.counts)},
                                        now_at))
        seen = rebuilt = now_at
        rooms = frozenset(c.room_id for c in view.campaigns) or frozenset({campaign.room_id})
        loop = asyncio.get_running_loop()
        check_at = loop.time() + KEEPALIVE
        while not ctx.hub.closed:
            try:
                async with asyncio.timeout_at(check_at):
                    await ctx.hub.wait(seen)
                    seen = ctx.hub.version
                    if not ctx.hub.closed and not ctx.hub.touched(rooms, me.member_id, rebuilt):
                        continue  # another group's change: nothing to look at
            except TimeoutError:
                check_at = loop.time() + KEEPALIVE
                if ctx.hub.version == rebuilt:
                    await response.write(b": still here\n\n")
                    continue
            if ctx.hub.closed:
                break
            seen = ctx.hub.version
            session = await ctx.svc.web.session(cookie, ctx.clock.now())
            if session is None:
                await response.write(_event("bye", {"said": "登录已过期或已退出。"}, seen))
                break
            # What changed, in brief (one trip); only the rows that did are read again.
            now_marks = await ctx.svc.history.pickup_marks(ids)
            changed = changed_rows(last, marks, now_marks)
            if changed is None:
                view = await pickup_view(ctx.svc, me, campaign, whole)
                changed = {r.key: r for r in view.rows}
                if list(changed) != list(last):
                    last = changed
                    await response.write(_event("full", {"html": list_html(ctx, view),
                                                         "counts": counts_json(view.counts)}, seen))
                    changed = {}
            fresh = {k: r for k, r in changed.items() if k in last and last[k] != r}
            if fresh:
                last.update(fresh)
                await response.write(_event("rows", {"rows": {k: row_html(ctx, r) for k, r in fresh.items()},
                                                      "counts": counts_json(counts_of(last.values()))}, seen))
            marks, rebuilt = now_marks, seen
            check_at = loop.time() + KEEPALIVE
            # At most one look a second while its groups are busy.
            await asyncio.sleep(ctx.live_every)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


@routes.get("/board")
async def board(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    me = await reach(request)
    boards = [await board_data.campaign_board(ctx.svc, me, c) for c in await open_campaigns(ctx.svc, me)]
    owing = await board_data.owing(ctx.svc, me, await campaigns_of(ctx.svc, me))
    return ctx.page("board.html", me=me, boards=boards, owing=owing, csrf=session_of(request).csrf)


@routes.get("/charts")
async def charts(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    me = await reach(request)
    return ctx.page("charts.html", me=me, charts=await board_data.charts(ctx.svc, me, ctx.clock.now()),
                    csrf=session_of(request).csrf)


@routes.get("/card/{card}")
async def card(request: web.Request) -> web.StreamResponse:
    """A buyer's pickup card (public, by its unguessable address): her code, big, and its QR, which
    opens the tick-off for her on the owner's page. No money, nothing of anyone else."""
    ctx = request.app[WEB]
    token = request.match_info["card"]
    found = await ctx.svc.fulfilment.by_card(token) if _CARD.match(token) else None
    if found is None:
        return denied(request, "没有这张取货卡。")
    campaign = await ctx.svc.campaigns.get(found[0])
    state = await ctx.svc.fulfilment.get(*found)
    if campaign is None or state is None or not state.pickup_code:
        return denied(request, "没有这张取货卡。")
    name = await ctx.svc.rooms.name_of(campaign.room_id, found[1])
    products = await ctx.svc.campaigns.products(campaign.id)
    order = await ctx.svc.orders.member_order(campaign.id, found[1], name, products)
    target = f"{ctx.base_url}/pickup/code/{campaign.id}/{state.pickup_code}"
    return ctx.page("card.html", campaign=campaign, name=name, code=state.pickup_code, order=order,
                    collected=state.collected_at, qr=qr_svg(target))
