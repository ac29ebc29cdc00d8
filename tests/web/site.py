"""The web page served over HTTP in the test's own event loop, in front of the real app (tests/harness.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientResponse, ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from bot.domain.services import Settings
from bot.web.server import make_app
from tests.harness import FRUIT, Harness

BASE = "http://127.0.0.1"  # what the bot writes in its links; tests take the path


@dataclass
class Site:
    bot: Harness
    server: TestServer

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    def client(self) -> ClientSession:
        """A browser of its own: its own cookies (an IP address's cookies too)."""
        return ClientSession(base_url=self.url, cookie_jar=CookieJar(unsafe=True))

    async def link(self, member: str = "wx_owner") -> str:
        """/后台 in her private chat: the path of the login link it answers with."""
        await self.bot.say(member, "/后台", room=None)
        text = self.bot.private(member)[-1]
        found = re.search(r"https?://\S+?(/login/\S+)", text)
        assert found is not None, text
        return found.group(1)

    async def login(self, client: ClientSession, member: str = "wx_owner") -> ClientResponse:
        """Opens her link and presses 进入; the client keeps the session cookie."""
        page = await client.get(await self.link(member))
        assert page.status == 200, await page.text()
        return await press_enter(client, await page.text())

    async def close(self) -> None:
        await self.server.close()
        await self.bot.close()


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def csrf_of(page: str) -> str:
    """The session's CSRF token, as the page gives it to its script."""
    found = re.search(r'data-csrf="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def press_enter(client: ClientSession, login_page: str) -> ClientResponse:
    fields = form_fields(login_page)
    return await client.post("/login", data={"token": fields["token"], "check": fields["check"]},
                             allow_redirects=False)


async def open_site(tmp_path: Path, live_every: float = 0.0) -> Site:
    bot = await Harness.create(tmp_path / "bot.sqlite", Settings(web_url=BASE))
    server = TestServer(make_app(bot.app, BASE, live_every=live_every))
    await server.start_server()
    return Site(bot, server)


async def pickup_day(bot: Harness) -> None:
    """A closed campaign with three buyers and their pickup codes 101, 102, 103."""
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "#接龙\n周六水果团\n1. 3-502 张三 草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.say("wx_wang", "草莓1盒，砂糖橘1箱")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/到货")
    await bot.settle()
    bot.take()
