"""The pickup page over HTTP: a tick is /核销, the remind button is /提醒取货, partial pickups and undo,
a form sent twice, and the live stream that shows what changed elsewhere."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import ClientSession

from bot.domain.reports import member_list
from tests.web.site import Site, csrf_of, pickup_day

JSON = {"Accept": "application/json"}


async def _logged_in(site: Site, browser: ClientSession) -> str:
    """Logs the owner in; the CSRF token of her session."""
    await site.login(browser)
    return csrf_of(await (await browser.get("/pickup/c/1")).text())


async def _post(browser: ClientSession, path: str, csrf: str, **fields: str) -> dict[str, Any]:
    r = await browser.post(path, data={"view": "/pickup/c/1", **fields}, headers={**JSON, "X-CSRF-Token": csrf})
    assert r.status == 200, await r.text()
    answer: dict[str, Any] = await r.json()
    return answer


async def test_the_list_is_grouped_by_point_then_building_with_codes_and_no_money(site: Site) -> None:
    await pickup_day(site.bot)
    async with site.client() as browser:
        await site.login(browser)
        page = await (await browser.get("/pickup/c/1")).text()
    assert page.index("自提点：东门快递柜") < page.index("<h3>3栋</h3>") < page.index("<h3>其他</h3>")
    rows = re.findall(r'data-key="([^"]+)" data-state="(\w+)" data-search="([^"]*)"', page)
    assert rows == [("1:wx_zhang", "todo", "101 张三 3-502 张三"), ("1:wx_li", "todo", "102 李四 李四"),
                    ("1:wx_wang", "todo", "103 王五 王五")]
    assert "¥" not in page  # held up at the pickup point: no money on it
    assert 'src="/static/app.js"' in page and "http" not in page.split("<body")[0].replace('name="viewport"', "")


async def test_a_tick_is_the_same_as_hexiao_and_shows_in_the_chat_and_exports(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    async with site.client() as browser:
        csrf = await _logged_in(site, browser)
        answer = await _post(browser, "/pickup/tick", csrf, key="1:wx_zhang", tap="tap-000001")
    assert answer["said"] == ["✅ 已核销 张三：草莓×2"]  # the words /核销 101 says
    (row,) = answer["rows"].values()
    assert 'data-state="done"' in row and "撤销" in row
    assert [o for o in bot.take() if "/login/" not in o.text] == []  # a tick is no WeChat message
    # The chat and the exports know at once.
    await bot.say("wx_owner", "/核销 101")
    assert bot.private()[-1].startswith("张三 已经取过了")
    await bot.say("wx_owner", "/未取")
    assert "张三" not in bot.private()[-1] and "李四" in bot.private()[-1]
    members = await member_list(bot.db)
    collected = {r.member_id: r.collected_at for r in members.rows}
    assert collected["wx_zhang"] is not None and collected["wx_li"] is None


async def test_a_form_sent_twice_is_done_once(site: Site) -> None:
    await pickup_day(site.bot)
    async with site.client() as browser:
        csrf = await _logged_in(site, browser)
        first = await _post(browser, "/pickup/tick", csrf, key="1:wx_li", tap="same-tap-1")
        undone = await _post(browser, "/pickup/untick", csrf, key="1:wx_li", tap="undo-tap-1")
        again = await _post(browser, "/pickup/tick", csrf, key="1:wx_li", tap="same-tap-1")
    assert first["said"] == ["✅ 已核销 李四：砂糖橘×1"]
    assert undone["said"] == ["↩️ 已撤销 李四 的取货，她还没取"]
    # The retried request did nothing: the undo stands.
    assert again["repeated"] is True and again["said"] == ["这一下已经记过了。"]
    state = await site.bot.svc.fulfilment.get(1, "wx_li")
    assert state is not None and state.collected_at is None


async def test_part_of_an_order_then_the_rest_and_undo(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    async with site.client() as browser:
        csrf = await _logged_in(site, browser)
        part = await _post(browser, "/pickup/tick", csrf, key="1:wx_wang", tap="part-tap-1", **{"take-1": "1",
                                                                                                   "take-2": "0"})
        assert part["said"] == ["✅ 已核销 王五 一部分：草莓×1；还差：砂糖橘×1"]
        (row,) = part["rows"].values()
        assert 'data-state="partial"' in row and "还差：砂糖橘×1" in row and ">取齐<" in row
        assert "部分" not in row.split("class=\"act\"")[1]  # one thing left: nothing to split
        # In the chat she is still waiting for the rest.
        await bot.say("wx_owner", "/未取")
        assert "王五 取货码103：还差砂糖橘×1" in bot.private()[-1]
        rest = await _post(browser, "/pickup/tick", csrf, key="1:wx_wang", tap="rest-tap-1")
        assert rest["said"] == ["✅ 已核销 王五：砂糖橘×1"]
        nothing = await _post(browser, "/pickup/tick", csrf, key="1:wx_li", tap="none-tap-1", **{"take-2": "0"})
        assert nothing["said"] == ["李四 没有选要取的商品（还差：砂糖橘×1）"]
        undo = await _post(browser, "/pickup/untick", csrf, key="1:wx_wang", tap="undo-tap-2")
        assert undo["said"] == ["↩️ 已撤销 王五 的取货，她还没取"]
        (row,) = undo["rows"].values()
        assert 'data-state="todo"' in row
    state = await bot.svc.fulfilment.get(1, "wx_wang")
    assert state is not None and state.collected_at is None
    assert await bot.svc.fulfilment.taken_by(1, "wx_wang") == {}


async def test_the_remind_button_posts_what_tixingquhuo_posts(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    await bot.say("wx_owner", "/核销 101")
    bot.take()
    async with site.client() as browser:
        csrf = await _logged_in(site, browser)
        answer = await _post(browser, "/pickup/remind", csrf, tap="remind-tap-1")
    assert answer["said"] == ["✅ 已在「阳光花园水果团购群」提醒还没取货的2人"]
    (from_page,) = [o for o in bot.take() if o.room_id == "r1"]
    await bot.say("wx_owner", "/提醒取货")
    (from_chat,) = [o for o in bot.take() if o.room_id == "r1"]
    assert from_page.text == from_chat.text and from_page.mentions == from_chat.mentions == ("wx_li", "wx_wang")


async def _next_event(lines: Any) -> tuple[str, dict[str, Any]]:
    """The next named event on a server-sent-events stream (comments skipped)."""
    name, data = "", ""
    async with asyncio.timeout(30):  # a broken stream fails the test instead of hanging it
        while True:
            raw = await lines.readline()
            assert raw, "the stream ended"
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and name:
                parsed: dict[str, Any] = json.loads(data)
                return name, parsed


async def _drawn_at(site: Site, browser: ClientSession) -> str:
    """Logs the owner in and opens the list: the version it was drawn at, as its script sends it."""
    await site.login(browser)
    version = re.search(r'data-version="(\d+)"', await (await browser.get("/pickup/c/1")).text())
    assert version is not None
    return version.group(1)


async def test_the_live_stream_shows_a_hexiao_typed_in_the_chat(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    async with site.client() as browser:
        since = await _drawn_at(site, browser)
        async with browser.get("/pickup/live", params={"view": "/pickup/c/1", "since": since}) as live:
            assert live.headers["Content-Type"].startswith("text/event-stream")
            await bot.say("wx_owner", "/核销 102")
            name, data = await _next_event(live.content)
            assert name == "rows" and list(data["rows"]) == ["1:wx_li"]
            assert 'data-state="done"' in data["rows"]["1:wx_li"]
            assert data["counts"] == {"buyers": 3, "done": 1, "partial": 0, "todo": 2}
            # Logged out elsewhere: the stream says so and ends.
            await bot.say("wx_owner", "/后台 退出", room=None)
            name, _ = await _next_event(live.content)
            assert name == "bye"


async def test_a_page_drawn_before_a_change_gets_the_whole_list_when_it_connects(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    async with site.client() as browser:
        since = await _drawn_at(site, browser)
        await bot.say("wx_owner", "/核销 103")
        async with browser.get("/pickup/live", params={"view": "/pickup/c/1", "since": since}) as live:
            name, data = await _next_event(live.content)
    assert name == "full" and 'data-key="1:wx_wang" data-state="done"' in data["html"]


async def test_a_drop_is_one_list_or_each_groups_and_a_partner_sees_hers(site: Site) -> None:
    bot = site.bot
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", "/合伙人 添加 @赵六 佣金10%", room="r2", mentions=("wx_zhao",))
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒\n自提 东门快递柜\n自提 2群 南门驿站", room=None)
    await bot.say("wx_zhang", "草莓1盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    await bot.say("wx_owner", "/截单", room=None)
    await bot.say("wx_owner", "/到货", room=None)
    await bot.settle()
    bot.take()
    one, two = await bot.svc.campaigns.latest_in("r1"), await bot.svc.campaigns.latest_in("r2")
    assert one is not None and two is not None and one.drop_id == one.id
    async with site.client() as owner, site.client() as partner:
        await site.login(owner)
        home = await (await owner.get("/")).text()
        assert re.findall(r'<a href="(/pickup/[cd]/\d+)">([^<]+)</a>', home) == [
            (f"/pickup/d/{one.id}", "周六水果团 · 全部2个群"), (f"/pickup/c/{two.id}", "周六水果团 · 锦绣2群"),
            (f"/pickup/c/{one.id}", "周六水果团 · 锦绣1群")]
        whole = await (await owner.get(f"/pickup/d/{one.id}")).text()
        assert whole.index("自提点：锦绣1群 · 东门快递柜") < whole.index("自提点：锦绣2群 · 南门驿站")
        assert re.findall(r'data-key="([^"]+)"', whole) == [f"{one.id}:wx_zhang", f"{two.id}:wx_li"]
        # A tick from the whole drop's list, and the row names its group.
        csrf = csrf_of(whole)
        r = await owner.post("/pickup/tick", data={"key": f"{two.id}:wx_li", "view": f"/pickup/d/{one.id}",
                                                   "tap": "drop-tap-01"}, headers={**JSON, "X-CSRF-Token": csrf})
        answer = await r.json()
        assert answer["said"] == ["✅ 已核销 李四：草莓×2"] and "锦绣2群" in answer["rows"][f"{two.id}:wx_li"]
        # The partner of 锦绣2群: her group's list only, not the drop's.
        await site.login(partner, "wx_zhao")
        hers = await (await partner.get("/")).text()
        assert f"/pickup/c/{two.id}" in hers and f"/pickup/d/{one.id}" not in hers and f"/pickup/c/{one.id}" not in hers
        assert (await partner.get(f"/pickup/d/{one.id}")).status == 200  # the drop, as far as it is hers
        mine = await (await partner.get(f"/pickup/d/{one.id}")).text()
        assert re.findall(r'data-key="([^"]+)"', mine) == [f"{two.id}:wx_li"]
