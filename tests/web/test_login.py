"""Logging in to the web page from /后台, over real HTTP (aiohttp's test client): one-time links, sessions,
CSRF, expiry, logout, and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bot.models import Member, RoomInfo, RoomSeen
from tests.harness import MEMBERS, Harness
from tests.web.site import Site, csrf_of, form_fields, pickup_day, press_enter


async def test_a_link_shows_enter_and_only_the_post_spends_it(site: Site) -> None:
    path = await site.link()
    assert site.bot.private()[-1].startswith("🔐 网页后台登录链接（10分钟内有效，只能用一次")
    async with site.client() as browser:
        # A link preview or a scanner fetches the link: that must not log anyone in or spend it.
        for _ in range(2):
            page = await browser.get(path)
            assert page.status == 200
            assert "进入" in await page.text()
            assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "jl_session" not in {c.key for c in browser.cookie_jar}
        entered = await press_enter(browser, await page.text())
        assert entered.status == 303 and entered.headers["Location"] == "/"  # a clean address, no token
        cookie = entered.headers["Set-Cookie"]
        assert cookie.startswith("jl_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        home = await browser.get("/")
        assert home.status == 200 and "周六水果团" not in await home.text()  # nothing closed yet
        assert home.headers["Referrer-Policy"] == "no-referrer" and home.headers["Cache-Control"] == "no-store"


async def test_a_link_used_twice_expired_or_forged_gives_a_plain_403(site: Site) -> None:
    async with site.client() as first, site.client() as second:
        path = await site.link()
        page = await (await first.get(path)).text()
        assert (await press_enter(first, page)).status == 303
        # The same link again, in another browser: spent.
        again = await second.get(path)
        assert again.status == 403 and "已经用过、已过期或无效" in await again.text()
        # Pressing 进入 on a page opened before it was spent: refused too.
        async with site.client() as late:
            late.cookie_jar.update_cookies({"jl_login": form_fields(page)["check"]})
            assert (await press_enter(late, page)).status == 403
        # Expired: ten minutes is all a link has.
        path = await site.link()
        await site.bot.wait(10 * 60 + 1)
        assert (await second.get(path)).status == 403
        # Forged.
        assert (await second.get("/login/" + "A" * 43)).status == 403
        assert (await second.get("/login/not-a-token")).status == 403


async def test_the_database_holds_no_token_and_no_cookie_that_would_log_in(site: Site) -> None:
    path = await site.link()
    token = path.rsplit("/", 1)[1]
    async with site.client() as browser:
        await press_enter(browser, await (await browser.get(path)).text())
        cookie = next(c.value for c in browser.cookie_jar if c.key == "jl_session")
    rows = await site.bot.db.fetchall("SELECT * FROM web_links")
    rows += await site.bot.db.fetchall("SELECT * FROM web_sessions")
    stored = " ".join(str(value) for row in rows for value in tuple(row))
    assert token not in stored and cookie not in stored


async def test_pressing_enter_needs_the_page_it_came_from(site: Site) -> None:
    """CSRF on the login form itself: a page elsewhere cannot post someone's link for her."""
    path = await site.link()
    async with site.client() as browser:
        page = await (await browser.get(path)).text()
        browser.cookie_jar.clear()
        refused = await press_enter(browser, page)
        assert refused.status == 403
    # The link was not spent by the refused post.
    async with site.client() as browser:
        assert (await browser.get(path)).status == 200


async def test_sessions_expire_and_logout_ends_every_browser(site: Site) -> None:
    async with site.client() as phone, site.client() as tablet:
        await site.login(phone)
        await site.login(tablet)
        assert (await phone.get("/")).status == 200
        await site.bot.say("wx_owner", "/后台 退出", room=None)
        assert site.bot.private()[-1].startswith("已退出网页后台：2个浏览器的登录已失效")
        for browser in (phone, tablet):
            gone = await browser.get("/")
            assert gone.status == 403 and "/后台" in await gone.text()
        # A session left alone ends by itself.
        await site.login(phone)
        await site.bot.wait(12 * 3600 + 1)
        assert (await phone.get("/")).status == 403


async def test_a_page_without_a_session_is_refused(site: Site) -> None:
    async with site.client() as browser:
        for path in ("/", "/pickup/c/1", "/board", "/charts"):
            assert (await browser.get(path)).status == 403
        assert (await browser.post("/pickup/tick", data={"key": "1:wx_zhang"})).status == 403


async def test_a_member_gets_no_link_and_a_members_link_is_refused(site: Site) -> None:
    await site.bot.say("wx_zhang", "/后台", room=None)
    (said,) = site.bot.private("wx_zhang")
    assert "只有团长和管理员可以使用" in said and "/login/" not in said
    await site.bot.say("wx_zhang", "/后台")  # in the group: refused there, no link anywhere
    assert not any("/login/" in o.text for o in site.bot.take())
    # A link made for her some other way (she was an admin, and is no longer) opens nothing.
    async with site.bot.db.transaction():
        token = site.bot.svc.web.add_link("wx_zhang", site.bot.clock.now(), timedelta(minutes=10))
    async with site.client() as browser:
        page = await browser.get(f"/login/{token}")
        assert page.status == 200
        assert (await press_enter(browser, await page.text())).status == 403
        assert (await browser.get("/")).status == 403


async def _two_groups_with_a_partner(site: Site) -> None:
    """r1 is the owner's own group; r2 is run by 赵六, her partner. Both after a drop's pickup notice."""
    bot = site.bot
    await pickup_day(bot)
    members = tuple(Member(i, n) for i, n in MEMBERS.items())
    await bot.app.on_event(RoomSeen(RoomInfo("r2", "翠湖2群", "wx_owner", members)))
    await bot.say("wx_owner", "/合伙人 添加 @赵六 佣金10%", room="r2", mentions=("wx_zhao",))
    await bot.say("wx_owner", "/开团 翠湖苹果团\n苹果 20元/箱\n自提 南门驿站", room="r2")
    await bot.say("wx_wang", "苹果2箱", room="r2")
    await bot.say("wx_owner", "/截单", room="r2")
    await bot.say("wx_owner", "/到货", room="r2")
    await bot.settle()
    bot.take()


async def test_a_partner_cannot_read_or_tick_another_group(site: Site) -> None:
    await _two_groups_with_a_partner(site)
    r1 = (await site.bot.svc.campaigns.latest_in("r1"))
    r2 = (await site.bot.svc.campaigns.latest_in("r2"))
    assert r1 is not None and r2 is not None
    async with site.client() as partner:
        await site.login(partner, "wx_zhao")
        home = await (await partner.get("/")).text()
        assert f"/pickup/c/{r2.id}" in home and f"/pickup/c/{r1.id}" not in home
        assert (await partner.get(f"/pickup/c/{r2.id}")).status == 200
        assert (await partner.get(f"/pickup/c/{r1.id}")).status == 403
        live = await partner.get("/pickup/live", params={"view": f"/pickup/c/{r1.id}"})
        assert live.status == 403
        csrf = csrf_of(await (await partner.get(f"/pickup/c/{r2.id}")).text())
        refused = await partner.post("/pickup/tick", data={"csrf": csrf, "key": f"{r1.id}:wx_zhang",
                                                           "view": f"/pickup/c/{r1.id}", "tap": "a" * 12})
        assert refused.status == 403
        refused = await partner.post("/pickup/remind", data={"csrf": csrf, "view": f"/pickup/c/{r1.id}"})
        assert refused.status == 403
        # Her board shows her group only: its amounts and who owes, never the owner's commission.
        board = await (await partner.get("/board")).text()
        assert "周六水果团" not in board and "翠湖苹果团" in board and "¥40" in board and "佣金" not in board
    state = await site.bot.svc.fulfilment.get(r1.id, "wx_zhang")
    assert state is not None and state.collected_at is None
    assert [o for o in site.bot.take() if "/login/" not in o.text] == []  # nothing was said anywhere


async def test_money_on_the_board_follows_the_chats_scope_rule(site: Site) -> None:
    """bot/domain/scope.py: an admin sees amounts and who owes, never the owner's commission; the owner
    sees her commission too."""
    await pickup_day(site.bot)
    await site.bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    await site.bot.say("wx_owner", "/开团 苹果团\n苹果 20元/箱\n佣金 10%")
    await site.bot.say("wx_zhang", "苹果3箱")
    async with site.client() as admin, site.client() as owner:
        await site.login(admin, "wx_li")
        await site.login(owner)
        seen = await (await admin.get("/board")).text()
        assert "苹果" in seen and "3箱" in seen and "¥60" in seen and "未付款" in seen
        assert "佣金" not in seen and "分润" not in seen
        owners = await (await owner.get("/board")).text()
        assert "¥60" in owners and "未付款" in owners and re.search(r"佣金</td><td>¥6<", owners)
        # Neither page has money on the pickup list, where neighbours see the screen.
        for browser in (admin, owner):
            assert "¥" not in await (await browser.get("/pickup/c/1")).text()


async def test_every_post_needs_the_sessions_csrf_token(site: Site) -> None:
    await pickup_day(site.bot)
    async with site.client() as browser:
        await site.login(browser)
        csrf = csrf_of(await (await browser.get("/pickup/c/1")).text())
        fields = {"key": "1:wx_zhang", "view": "/pickup/c/1", "tap": "b" * 12}
        assert (await browser.post("/pickup/tick", data=fields)).status == 403
        assert (await browser.post("/pickup/tick", data={**fields, "csrf": ("y" if csrf[0] == "x" else "x") + csrf[1:]})).status == 403
        assert (await browser.post("/pickup/remind", data={"view": "/pickup/c/1"})).status == 403
        assert (await browser.post("/logout", data={})).status == 403
        state = await site.bot.svc.fulfilment.get(1, "wx_zhang")
        assert state is not None and state.collected_at is None
        ok = await browser.post("/pickup/tick", data=fields, headers={"X-CSRF-Token": csrf,
                                                                       "Accept": "application/json"})
        assert ok.status == 200 and (await ok.json())["said"] == ["✅ 已核销 张三：草莓×2"]


async def test_the_web_page_off_says_how_to_turn_it_on(tmp_path: Path) -> None:
    bot = await Harness.create(tmp_path / "off.sqlite")
    try:
        await bot.say("wx_owner", "/后台", room=None)
        (said,) = bot.private()
        assert said.startswith("网页后台没有开启：启动机器人时加 --web") and not re.search(r"/login/", said)
    finally:
        await bot.close()


async def test_a_partner_sees_her_own_share_and_nobody_elses(site: Site) -> None:
    bot = site.bot
    members = tuple(Member(i, n) for i, n in MEMBERS.items())
    await bot.app.on_event(RoomSeen(RoomInfo("r2", "翠湖2群", "wx_owner", members)))
    await bot.say("wx_owner", "/合伙人 添加 @赵六 佣金10%", room="r2", mentions=("wx_zhao",))
    await bot.say("wx_owner", "/开团 翠湖苹果团\n苹果 20元/箱", room="r2")
    await bot.say("wx_wang", "苹果5箱", room="r2")
    async with site.client() as partner, site.client() as owner:
        await site.login(partner, "wx_zhao")
        await site.login(owner)
        hers = await (await partner.get("/board")).text()
        assert re.search(r"你的分润（10%）</td><td>¥10<", hers) and "佣金</td>" not in hers
        owners = await (await owner.get("/board")).text()
        assert "你的分润" not in owners and "翠湖苹果团" in owners
