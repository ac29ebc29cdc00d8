"""Small things the order reader must keep, through the whole app, each written after a deliberately
planted bug went through the suite unnoticed (issue 25). They state behaviour, not the reader's inside,
so a rewritten reader answers to them as it is."""

from __future__ import annotations

import pytest

from bot.domain.reports import member_list
from tests.harness import FRUIT, Harness, copy


async def test_liang_in_speech_is_two(bot: Harness) -> None:
    # 俩 is how people say 两 个: 草莓俩盒 is two boxes.
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓俩盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert "@张三 已记录：草莓×2，共¥60" in bot.texts()


@pytest.mark.parametrize("line", ["李四 草莓2盒 3-502", "李四 草莓2盒 5栋1203", "李四 草莓两盒 7-1101"])
async def test_a_house_number_after_the_product_is_never_its_quantity(bot: Harness, line: str) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_li", copy("3-502 张三 草莓1盒", line))
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 2}


async def test_a_product_with_only_a_house_number_books_nothing(bot: Harness) -> None:
    # "草莓 3-502": no quantity at all. Never 草莓×3 (or ×502).
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_li", "草莓 3-502")
    await bot.say("wx_wang", copy("3-502 张三 草莓1盒", "王五 砂糖橘 5-1203"))
    await bot.settle()
    book = await bot.book()
    assert ("wx_li", "草莓") not in book and ("wx_wang", "砂糖橘") not in book
    assert not any("草莓×3" in t or "砂糖橘×5" in t for t in bot.texts())


@pytest.mark.parametrize("text", ["改成99盒", "刚才写错了，改成99盒", "草莓改成99盒", "@王姐(团长) 刚才草莓写少了，改成99盒"])
async def test_changing_to_the_largest_quantity_is_booked(bot: Harness, text: str) -> None:
    # Two products on sale, one of them hers: 改成 without a name changes that one.
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_zhang", text)
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 99}
    assert "@张三 已记录：草莓×99，共¥2970" in bot.texts()


async def test_changing_to_more_than_the_largest_quantity_keeps_her_order_and_tells_her(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_zhang", "刚才写错了，改成100盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert "超过99" in bot.texts()[-1]


@pytest.mark.parametrize("text", ["草莓0盒", "草莓零盒", "草莓改成0盒"])
async def test_zero_boxes_never_cancels_her_order(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", text)
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert not any("已取消" in t or "草莓×0" in t for t in bot.texts())


async def test_leftover_commission_cents_go_to_the_largest_remainders(bot: Harness) -> None:
    # ¥10.03 at 10%: ¥1.003 on one box, ¥2.006 on two; ¥3.009 rounds to ¥3.01, and the cent left
    # after ¥1.00 + ¥2.00 goes to the larger remainder (0.6 of a cent against 0.3): 100 / 201.
    await bot.say("wx_owner", "/开团 周六团\n草莓 10.03元/盒\n佣金 10%")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_li", "草莓2盒")
    await bot.settle()
    members = await member_list(bot.db)
    assert {r.member_id: r.commission_cents for r in members.rows} == {"wx_zhang": 100, "wx_li": 201}
    assert members.commission_cents == 301
