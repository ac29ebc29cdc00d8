"""Logging in without a password: /后台 in her private chat gives a one-time link.

- GET /login/{token} only shows an 进入 button: link previews and scanners fetch GETs, so a GET
  never spends the link. A used, expired or forged link gets a plain 403 page.
- POST /login spends it (the token is stored hashed) and opens a session: an HttpOnly, SameSite
  cookie, then a redirect to the clean address, so the token is not left in the address bar.
- Every other POST carries the session's CSRF token (a form field or the X-CSRF-Token header),
  the login form a double-submit one (a cookie and a field that must match).
- What she may see is worked out from who she is on every request (bot/web/reach.py).
"""

from __future__ import annotations

import hmac
import re

from aiohttp import web

from bot.web.reach import Reach, reach_of
from bot.web.server import LINK_VALID, SESSION_VALID, WEB, Handler
from storage.web.access import Session, new_secret

routes = web.RouteTableDef()

SESSION_COOKIE = "jl_session"
LOGIN_COOKIE = "jl_login"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# Reachable without a session: the login itself, the page's own files, a buyer's pickup card.
_PUBLIC = ("/login", "/static/", "/card/", "/favicon.ico")

SESSION = web.RequestKey("session", Session)
REACH = web.RequestKey("reach", Reach)


def denied(request: web.Request, text: str) -> web.Response:
    """The plain 403: for JSON callers a line they can show, for a browser a page."""
    if _wants_json(request):
        return web.json_response({"ok": False, "said": [text]}, status=403)
    return request.app[WEB].page("denied.html", status=403, text=text)


def _wants_json(request: web.Request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def session_of(request: web.Request) -> Session:
    return request[SESSION]


async def reach(request: web.Request) -> Reach:
    """What she may see, by the chat's scope rule, read once per request (pages and the live stream
    ask; a tap does not: App.act checks her scope itself, in its transaction)."""
    found = request.get(REACH)
    if found is None:
        found = await reach_of(request.app[WEB].svc, session_of(request).member_id)
        if not found.groups:
            raise web.HTTPForbidden(text=denied(request, "你现在没有可以管理的群。").text,
                                    content_type="application/json" if _wants_json(request) else "text/html")
        request[REACH] = found
    return found


def cookie_value(request: web.Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(_PUBLIC):
        return await handler(request)
    ctx = request.app[WEB]
    if not request.cookies.get(SESSION_COOKIE):
        return denied(request, "请先登录：在和机器人的私聊里发 /后台，点它回复的链接。")
    session = await ctx.svc.web.session(cookie_value(request), ctx.clock.now())
    if session is None:
        return denied(request, "登录已过期或已退出：在和机器人的私聊里发 /后台 重新登录。")
    if request.method == "POST":
        given = request.headers.get("X-CSRF-Token", "")
        if not given and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            given = str((await request.post()).get("csrf", ""))
        if not hmac.compare_digest(given.encode(), session.csrf.encode()):
            return denied(request, "页面已过期，请刷新后再试。")
    request[SESSION] = session
    return await handler(request)


@routes.get("/login/{token}")
async def login_page(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    token = request.match_info["token"]
    if not _TOKEN.match(token) or await ctx.svc.web.link_holder(token, ctx.clock.now()) is None:
        return denied(request, "这个登录链接已经用过、已过期或无效。请在和机器人的私聊里重新发 /后台。")
    check = new_secret()
    response = ctx.page("login.html", token=token, check=check)
    response.set_cookie(LOGIN_COOKIE, check, max_age=int(LINK_VALID.total_seconds()), httponly=True,
                        samesite="Strict", secure=ctx.secure, path="/login")
    return response


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    form = await request.post()
    token, check = str(form.get("token", "")), str(form.get("check", ""))
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not check or not hmac.compare_digest(check.encode(), cookie.encode()):
        return denied(request, "请从私聊里的登录链接打开，再点「进入」。")
    if not _TOKEN.match(token):
        return denied(request, "这个登录链接已经用过、已过期或无效。请在和机器人的私聊里重新发 /后台。")
    now = ctx.clock.now()
    holder = await ctx.svc.web.link_holder(token, now)
    if holder is None:
        return denied(request, "这个登录链接已经用过、已过期或无效。请在和机器人的私聊里重新发 /后台。")
    if not (await reach_of(ctx.svc, holder)).groups:
        # A link made for someone who runs no group (or no longer does) opens nothing.
        return denied(request, "你现在没有可以管理的群，不能登录网页后台。")
    opened = await ctx.svc.web.use_link(token, now, SESSION_VALID)
    if opened is None:
        return denied(request, "这个登录链接已经用过、已过期或无效。请在和机器人的私聊里重新发 /后台。")
    value, _ = opened
    response = web.HTTPSeeOther("/")
    response.set_cookie(SESSION_COOKIE, value, max_age=int(SESSION_VALID.total_seconds()), httponly=True,
                        samesite="Lax", secure=ctx.secure, path="/")
    response.del_cookie(LOGIN_COOKIE, path="/login")
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    ctx = request.app[WEB]
    await ctx.svc.web.end(cookie_value(request), ctx.clock.now())
    response = ctx.page("denied.html", text="已退出。要再进来，在私聊里发 /后台。")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
