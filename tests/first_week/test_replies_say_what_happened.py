"""Replies that say exactly what happened: a changed pickup is called a change, a private answer never
speaks of "this group", what she still owes stays in her list, and a closed campaign's waitlist is
not promised a place any more."""

from __future__ import annotations

import pytest

from tests.harness import FRUIT, Harness


async def _closed(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)  # 自提 东门快递柜 11-22 09:00-12:00
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.say("wx_owner", "/截单")
    await bot.settle()
    bot.take()


@pytest.mark.parametrize(("again", "title", "now"), [
    ("/到货 西门超市 11-22 09:00-12:00", "自提地点有变", "西门超市 11-22 09:00-12:00"),
    ("/到货 东门快递柜 11-22 14:00-18:00", "自提时间有变", "东门快递柜 11-22 14:00-18:00"),
    ("/到货 西门超市 11-23 09:00", "自提地点和时间有变", "西门超市 11-23 09:00"),
])
async def test_a_second_arrival_with_a_new_place_or_time_says_what_changed(
        bot: Harness, again: str, title: str, now: str) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/到货")
    (first,) = bot.take()
    assert first.text.startswith("📦 「周六水果团」到货啦\n📍 自提：东门快递柜 11-22 09:00-12:00")
    await bot.say("wx_owner", again)
    (notice,) = bot.take()
    assert notice.text.split("\n")[:2] == [f"📢 「周六水果团」{title}",
                                           f"📍 现在的自提：{now}（原来：东门快递柜 11-22 09:00-12:00）"]
    assert "到货啦" not in notice.text and "取货码101" in notice.text  # the code she already has


async def test_a_first_arrival_naming_the_place_is_just_an_arrival(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 30元/盒")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/截单")
    bot.take()
    await bot.say("wx_owner", "/到货 西门超市")
    (notice,) = bot.take()
    assert notice.text.startswith("📦 「周六团」到货啦\n📍 自提：西门超市")


async def test_my_orders_in_private_never_speaks_of_this_group(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1] == "你还没有进行中或待取货的订单。"
    await bot.say("wx_zhang", "我的订单")
    assert bot.texts()[-1] == "@张三 你在本群还没有进行中或待取货的订单。"


async def test_an_order_collected_but_not_paid_stays_in_her_private_list(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/到货")
    await bot.say("wx_owner", "/核销 101")  # 张三 collects; she has not paid
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1] == "你的订单：\n【周六水果团】草莓×2，¥60，已取货，未付"
    # In the group it says nothing about money: collected is finished there, paid or not.
    await bot.say("wx_zhang", "我的订单")
    assert bot.texts()[-1] == "@张三 你在本群还没有进行中或待取货的订单。"
    await bot.say("wx_owner", "/已付 @张三 20", mentions=("wx_zhang",))
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1] == "你的订单：\n【周六水果团】草莓×2，¥60，已取货，已付¥20，还差¥40"
    await bot.say("wx_owner", "/已付 @张三 40", mentions=("wx_zhang",))
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1] == "你还没有进行中或待取货的订单。"


async def test_the_waitlist_after_the_close_is_not_promised_a_place(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量团\n草莓 30元/盒 限量2")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓1盒")  # waitlisted
    await bot.say("wx_owner", "/汇总")
    assert "⏳ 草莓候补：1盒（1人），有人退单时按顺序补上" in bot.private()[-1]
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/汇总")
    summary = bot.private()[-1]
    assert "⏳ 草莓候补：1盒（1人），截单时还在候补，没有买到" in summary
    assert "按顺序补上" not in summary
