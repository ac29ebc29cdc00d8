"""The pickup page in a real browser: Debian's chromium driven by Playwright (its own browser download
cannot run here), on a 390-px phone, against the real app in this test's event loop.

Skipped with a reason when chromium is missing; under CI=true a missing chromium fails (.ci/run
installs it and fonts-wqy-microhei, the font the Chinese text needs).

`PICKUP_SCREENSHOT=docs/pickup-day.png pytest tests/web/test_browser.py` also writes the README's
screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright, expect

from tests.web.site import Site, open_site

pytestmark = pytest.mark.slow  # a browser process

PHONE: ViewportSize = {"width": 390, "height": 844}
# What the page shows is waited for, never slept for; the machine may be shared and busy.
expect.set_options(timeout=20_000)


def _chromium() -> str | None:
    """Debian's chromium, or the one CHROMIUM names (CHROMIUM=/nowhere shows what a machine without it does)."""
    given = os.environ.get("CHROMIUM")
    for path in (given,) if given else (shutil.which("chromium"), "/usr/bin/chromium"):
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    path = _chromium()
    if path is None:
        why = "chromium is not installed (apt-get install -y chromium fonts-wqy-microhei)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{why}: .ci/run installs it, so under CI this is a failure")
        pytest.skip(why)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def busy_site(tmp_path: Path) -> AsyncIterator[Site]:
    """A pickup day of six buyers in two buildings; the page's live stream without a pause."""
    s = await open_site(tmp_path, live_every=0.0)
    bot = s.bot
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n自提 东门快递柜 周六 9:00-12:00")
    buyers = [("wx_zhang", "张三", "3-502 张三 草莓2盒"), ("wx_li", "李四", "3-1201 李四 砂糖橘1箱"),
              ("wx_wang", "王五", "5-302 王五 草莓1盒 砂糖橘1箱"), ("wx_zhao", "赵六", "5-801 赵六 草莓3盒"),
              ("wx_sun", "孙七", "2-101 孙七 砂糖橘2箱"), ("wx_zhou", "周八", "周八 草莓1盒")]
    lines: list[str] = []
    for member, name, line in buyers:
        lines.append(f"{len(lines) + 1}. {line}")
        await bot.say(member, "#接龙\n周六水果团\n" + "\n".join(lines), name=name)
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/到货")
    await bot.settle()
    bot.take()
    yield s
    await s.close()


async def _row(page: Page, name: str) -> str:
    key = await page.locator("li.row", has_text=name).get_attribute("data-key")
    assert key is not None
    return key


async def _not_blank(page: Page, png: bytes) -> int:
    """How many different colours the screenshot has, counted by the browser that decodes it."""
    data = base64.b64encode(png).decode()
    colours: int = await page.evaluate("""async (data) => {
        const img = new Image();
        img.src = "data:image/png;base64," + data;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.width; canvas.height = img.height;
        const g = canvas.getContext("2d");
        g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, img.width, img.height).data;
        const seen = new Set();
        for (let i = 0; i < px.length; i += 4 * 7) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
        return seen.size;
    }""", data)
    return colours


async def test_pickup_day_on_a_phone(browser: Browser, busy_site: Site) -> None:
    site, bot = busy_site, busy_site.bot
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                        locale="zh-CN")
    try:
        page = await context.new_page()
        # Log in from the link /后台 gave her, as WeChat's browser would open it.
        await page.goto(site.url.rstrip("/") + await site.link())
        await page.get_by_role("button", name="进入").click()
        await expect(page).to_have_url(site.url)
        await page.get_by_role("link", name="周六水果团").click()
        await expect(page.locator("#counts")).to_contain_text("已取 0 / 6")
        # The page fits the phone: nothing wider than the screen.
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert await page.evaluate("document.fonts.check('16px \"WenQuanYi Micro Hei\"')") or \
            os.environ.get("CI", "").lower() != "true"

        # Search by code: only her row is left.
        search = page.get_by_placeholder("搜取货码、名字或房号")
        await search.fill("102")
        visible = page.locator("li.row:visible")
        await expect(visible).to_have_count(1)
        await expect(visible.first).to_contain_text("李四")
        await visible.first.get_by_role("button", name="取货").click()
        li = page.locator(f'li.row[data-key="{await _row(page, "李四")}"]')
        await expect(li).to_have_attribute("data-state", "done")
        await expect(page.locator("#toast")).to_contain_text("✅ 已核销 李四：砂糖橘×1")

        # By building and room, as she types it.
        await search.fill("5-801")
        await expect(visible).to_have_count(1)
        await visible.first.get_by_role("button", name="取货").click()
        zhao = page.locator(f'li.row[data-key="{await _row(page, "赵六")}"]')
        await expect(zhao).to_have_attribute("data-state", "done")
        await expect(page.locator("#counts")).to_contain_text("已取 2 / 6")
        # Wrong person: undo from the toast.
        await page.locator("#toast").get_by_role("button", name="撤销").click()
        await expect(zhao).to_have_attribute("data-state", "todo")
        await expect(page.locator("#toast")).to_contain_text("已撤销 赵六")
        await expect(page.locator("#counts")).to_contain_text("已取 1 / 6")

        # Someone types /核销 in the chat: the page shows it without a reload.
        await search.fill("")
        await expect(visible).to_have_count(6)
        await bot.say("wx_owner", "/核销 103")
        wang = page.locator(f'li.row[data-key="{await _row(page, "王五")}"]')
        await expect(wang).to_have_attribute("data-state", "done")
        await expect(page.locator("#counts")).to_contain_text("已取 2 / 6")
        # Nothing of it went to WeChat but the chat's own answer to /核销.
        assert [o.text for o in bot.take() if "/login/" not in o.text] == ["✅ 已核销 王五：草莓×1、砂糖橘×1"]

        png = await page.screenshot(full_page=False)
        assert await _not_blank(page, png) > 20
        if os.environ.get("PICKUP_SCREENSHOT"):
            await asyncio.to_thread(Path(os.environ["PICKUP_SCREENSHOT"]).write_bytes, png)
    finally:
        await context.close()


async def test_remind_and_partial_pickup_in_the_browser(browser: Browser, busy_site: Site) -> None:
    site, bot = busy_site, busy_site.bot
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        await page.goto(site.url.rstrip("/") + await site.link())
        await page.get_by_role("button", name="进入").click()
        await page.goto(site.url + "pickup/c/1")
        wang = page.locator("li.row", has_text="王五")
        await wang.get_by_role("button", name="部分").click()
        await wang.locator('input[type="number"]').last.fill("0")
        await wang.get_by_role("button", name="取走这些").click()
        await expect(wang).to_have_attribute("data-state", "partial")
        await expect(wang).to_contain_text("还差：砂糖橘×1")
        bot.take()
        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="在群里提醒还没取的人").click()
        await expect(page.locator("#toast")).to_contain_text("提醒还没取货的6人")
        (reminder,) = [o for o in bot.take() if o.room_id == "r1"]
        assert len(reminder.mentions) == 6
        # A buyer's QR (her pickup card) opens the list at her, ready for one tap.
        await page.goto(site.url + "pickup/code/1/105")
        await expect(page.locator("li.row:visible")).to_have_count(1)
        await expect(page.locator("li.row:visible").first).to_contain_text("孙七")
    finally:
        await context.close()

