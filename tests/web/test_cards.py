"""Pickup cards: with /后台 二维码 开, each buyer's line in the pickup notice links to her card, whose QR
opens her tick-off on the owner's page."""

from __future__ import annotations

import re

from bot.web.qr import qr_svg
from tests.harness import FRUIT
from tests.web.site import BASE, Site


async def _arrived(site: Site) -> str:
    bot = site.bot
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/到货")
    await bot.settle()
    (notice,) = [o for o in bot.take() if o.room_id == "r1" and o.text.startswith("📦")]
    return notice.text


async def test_cards_are_off_until_the_owner_turns_them_on(site: Site) -> None:
    await site.bot.say("wx_zhang", "/后台 二维码 开", room=None)
    assert "只有团长和管理员可以使用" in site.bot.private("wx_zhang")[-1]
    notice = await _arrived(site)
    assert "取货卡" not in notice and "/card/" not in notice


async def test_a_buyers_card_shows_her_code_as_a_qr_that_opens_her_tick_off(site: Site) -> None:
    bot = site.bot
    await bot.say("wx_owner", "/后台 二维码 开", room=None)
    assert bot.private()[-1].startswith("已打开取货码二维码")
    notice = await _arrived(site)
    cards = re.findall(r"@(\S+) \S+ 取货码(\d+) 取货卡 (\S+)", notice)
    assert [(name, code) for name, code, _ in cards] == [("张三", "101"), ("李四", "102")]
    assert notice.endswith("取货时报取货码或打开取货卡给团长扫一扫，团长核销。")
    zhang_card = cards[0][2]
    assert zhang_card.startswith(f"{BASE}/card/")
    async with site.client() as neighbour:
        # No login needed to show her card; nothing of money or of anyone else on it.
        page = await neighbour.get(zhang_card.removeprefix(BASE))
        html = await page.text()
        assert page.status == 200 and "101" in html and "草莓×2" in html
        assert "¥" not in html and "李四" not in html
        assert str(qr_svg(f"{BASE}/pickup/code/1/101")) in html
        assert (await neighbour.get("/card/forged-card-1")).status == 403
        # Scanned by someone not logged in: nothing opens.
        assert (await neighbour.get("/pickup/code/1/101")).status == 403
    async with site.client() as owner:
        await site.login(owner)
        scanned = await owner.get("/pickup/code/1/101", allow_redirects=False)
        assert scanned.status == 303 and scanned.headers["Location"] == "/pickup/c/1?q=101"
        listed = await (await owner.get(scanned.headers["Location"])).text()
        assert 'id="q" name="q" value="101"' in listed
    # A new place for the notice: the same card, not a new one.
    await bot.say("wx_owner", "/到货 西门超市")
    (again,) = [o for o in bot.take() if o.room_id == "r1"]  # 📢 自提地点有变: the same lines, the same cards
    assert zhang_card in again.text
