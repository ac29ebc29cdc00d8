"""The order board and the charts: live totals per product, who owes, and the week drawn as SVG."""

from __future__ import annotations

import re

from bot.web.charts import WIDTH, columns, hbars
from tests.web.site import Site, pickup_day


async def test_the_board_shows_each_open_campaigns_live_totals(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    await bot.say("wx_owner", "/开团 苹果团\n苹果 20元/箱 限量10\n梨 15元/箱")
    await bot.say("wx_zhang", "苹果3箱")
    await bot.say("wx_li", "梨2箱")
    await bot.say("wx_wang", "苹果8箱")  # 7 fit the stock, 1 waits
    async with site.client() as owner:
        await site.login(owner)
        board = await (await owner.get("/board")).text()
        rows = re.findall(r"<tr><td>(\S+?)</td><td>(\S+?)</td><td>(\S+?)</td><td>(\S*?)</td><td>(\S+?)</td></tr>",
                          board)
        assert rows == [("苹果", "10箱", "0", "1", "¥200"), ("梨", "2箱", "不限", "", "¥30")]
        assert "3人下单" in board
        # The closed campaign's money still to collect, as /未付 says it.
        assert "待收¥140" in board and "张三 <b>还差¥60</b>" in board
        # A change in the chat is on the board the next time she looks.
        await bot.say("wx_zhao", "梨1箱")
        assert "<tr><td>梨</td><td>3箱</td>" in await (await owner.get("/board")).text()


async def test_the_charts_are_svg_drawn_on_the_server(site: Site) -> None:
    bot = site.bot
    await pickup_day(bot)
    async with site.client() as owner:
        await site.login(owner)
        page = await (await owner.get("/charts")).text()
    assert page.count("<svg viewBox=") == 4
    for title in ("近7天每小时新订单", "各商品销量", "各群下单人数", "新老顾客（每个团）"):
        assert title in page
    # 张三 草莓2, 王五 草莓1: 3盒 of 草莓; 李四 and 王五 砂糖橘: 2箱.
    assert "3盒 · ¥90" in page and "2箱 · ¥50" in page and "3人 · ¥140" in page
    assert "<script" not in page.split("</main>")[0] and "http" not in page.split("<main>")[1].split("xmlns")[0]


def test_bars_are_longest_first_and_fit_a_phone() -> None:
    chart = hbars("销量", [("梨", 2, "2箱"), ("苹果", 10, "10箱"), ("草莓", 5, "5盒")])
    assert [b.label for b in chart.bars] == ["苹果", "草莓", "梨"]
    assert chart.bars[0].width == 2 * chart.bars[1].width
    assert all(chart.label_width + b.width + 60 <= WIDTH for b in chart.bars)
    assert hbars("空", []).bars == ()


def test_columns_stack_their_series_and_keep_labels_inside() -> None:
    chart = columns("新老顾客", [("周六水果", (3.0, 1.0)), ("苹果团", (0.0, 4.0))], legend=("新", "老"))
    first, second = chart.columns
    assert chart.top == 4 and [s.series for s in first.segments] == [0, 1]
    assert first.segments[0].height == 3 / 4 * chart.plot_height and len(second.segments) == 1
    hours = columns("每小时", [(("11/20" if i == 167 else ""), (1.0,)) for i in range(168)])
    last = hours.columns[-1]
    assert last.label_x + 5 * 6 <= WIDTH
