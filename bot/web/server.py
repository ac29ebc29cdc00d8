"""The web server: an aiohttp application served inside the bot's own event loop.

aiohttp's AppRunner + TCPSite start it without taking over signals (the bot's runtime keeps
SIGTERM and drains its outbox); the page reads through the bot's repositories and writes only
through `App.act`, so the bot stays the one writer of its database.

Every response says `Referrer-Policy: no-referrer` (a login link never leaks in a Referer), is
not cached, and may not be framed; scripts and styles come from /static only (no CDN: the page
works on a LAN with no internet).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path

import jinja2
from aiohttp import web

from bot.app.pipeline import App
from bot.clock import Clock
from bot.domain.services import Services
from bot.render.templates import money, when
from bot.web.live import Hub

log = logging.getLogger("bot.web")

LINK_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=12)
# An open page rebuilds its view at most this often while the book changes.
LIVE_EVERY = 1.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebError(Exception):
    """The page cannot be served (the address is taken, or not this machine's); said in one line."""


@dataclass
class Web:
    """What every request handler works with."""

    bot: App
    base_url: str  # as a phone opens it: https://tuan.example.com or http://192.168.1.23:8080
    templates: jinja2.Environment
    hub: Hub = field(default_factory=Hub)
    live_every: float = LIVE_EVERY

    @property
    def svc(self) -> Services:
        return self.bot.svc

    @property
    def clock(self) -> Clock:
        return self.bot.clock

    @property
    def secure(self) -> bool:
        """Cookies only over HTTPS when she reaches the page by HTTPS (her reverse proxy)."""
        return self.base_url.startswith("https://")

    def render(self, template: str, **context: object) -> str:
        return self.templates.get_template(template).render(**context)

    def page(self, template: str, status: int = 200, **context: object) -> web.Response:
        return web.Response(text=self.render(template, **context), status=status, content_type="text/html",
                            charset="utf-8")


WEB = web.AppKey("web", Web)


def _templates(tz_name: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("bot.web", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["money"] = money
    env.filters["when"] = when
    env.globals["tz"] = tz_name
    return env


_STATIC = Path(str(resources.files("bot.web") / "static"))
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = _CSP
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A failure is one short line, never a traceback on her phone; it is logged here."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except PermissionError:
        # The app's own check (App.act) refused: her scope changed between the page and the tap.
        text = "不是你管理的群，没有保存。"
        if request.headers.get("Accept", "").startswith("application/json"):
            return web.json_response({"ok": False, "said": [text]}, status=403)
        return web.Response(text=text, status=403, content_type="text/plain", charset="utf-8")
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        if request.headers.get("Accept", "").startswith("application/json"):
            return web.json_response({"ok": False, "said": ["出错了，这次没有保存，请再点一次。"]}, status=500)
        return web.Response(text="出错了，这次没有保存，请返回再试一次。", status=500, content_type="text/plain",
                            charset="utf-8")


def make_app(bot: App, base_url: str, *, live_every: float = LIVE_EVERY) -> web.Application:
    """The page for `bot`, not yet listening (tests serve it with aiohttp's TestServer)."""
    from bot.web import actions, auth, pages

    application = web.Application(middlewares=[_headers, _errors, auth.session_middleware],
                                  client_max_size=64 * 1024)
    ctx = Web(bot, base_url.rstrip("/"), _templates(str(bot.clock.tz)), live_every=live_every)
    application[WEB] = ctx
    bot.listeners.append(ctx.hub.poke)
    application.add_routes(auth.routes)
    application.add_routes(pages.routes)
    application.add_routes(actions.routes)
    application.router.add_static("/static/", _STATIC, append_version=False)

    async def stop_streams(_: web.Application) -> None:
        ctx.hub.close()
        if ctx.hub.poke in bot.listeners:
            bot.listeners.remove(ctx.hub.poke)

    application.on_shutdown.append(stop_streams)
    return application


def lan_address() -> str:
    """This machine's address on its network (what a phone on the same Wi-Fi opens), without sending
    anything: a UDP socket 'connected' to a private address only picks the interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def check_address(host: str, port: int) -> None:
    """Before anything is written: the page can listen there (a taken port or a host that is not this
    machine's is one line, not a traceback after the database was opened). It is bound for real later."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise WebError(f"cannot serve the web page on {host}:{port}: {exc.strerror or exc}") from exc


def default_url(host: str, port: int) -> str:
    shown = lan_address() if host in ("0.0.0.0", "", "::") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


@asynccontextmanager
async def serve(bot: App, host: str, port: int, base_url: str) -> AsyncIterator[Web]:
    """Serves the page on host:port inside the running event loop while the bot runs."""
    application = make_app(bot, base_url)
    runner = web.AppRunner(application, shutdown_timeout=2.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise WebError(f"cannot serve the web page on {host}:{port}: {exc.strerror or exc}") from exc
    log.info("web page on %s (login: /后台 in the private chat)", base_url)
    try:
        yield application[WEB]
    finally:
        await runner.cleanup()
