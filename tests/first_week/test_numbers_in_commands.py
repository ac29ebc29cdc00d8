"""Numbers an owner types into a command are checked: a wrong one gets one line saying what is
wanted, and nothing else happens (never a silent default, never a campaign she did not mean)."""

from __future__ import annotations

import pytest

from tests.harness import FRUIT, Harness


async def _bought(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 第一团\n草莓 30元/盒")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/截单")


@pytest.mark.parametrize("days", ["abc", "-3", "0", "100000", "7.5", "7 8"])
async def test_stats_refuse_a_number_of_days_that_is_not_one(bot: Harness, days: str) -> None:
    await _bought(bot)
    await bot.say("wx_owner", f"/统计 {days}")
    assert bot.private()[-1] == "没有统计：天数请写1到3650之间的整数，例如 /统计 7（不写天数是近30天）。"


@pytest.mark.parametrize(("days", "shown"), [("", 30), ("7", 7), ("７", 7), ("7天", 7), ("七天", 7), ("3650", 3650)])
async def test_stats_over_the_days_she_wrote(bot: Harness, days: str, shown: int) -> None:
    await _bought(bot)
    await bot.say("wx_owner", f"/统计 {days}".strip())
    assert bot.private()[-1].startswith(f"📊 近{shown}天\n本群：1个团，1人下单")


@pytest.mark.parametrize(("when", "day"), [("昨天 18:00", "11月19日 18:00"), ("前天 9点", "11月18日 09:00"),
                                          ("昨晚8点", "11月19日 20:00"), ("今天 7:00", "11月20日 07:00")])
async def test_a_pickup_reminder_at_a_time_that_has_passed_says_so(bot: Harness, when: str, day: str) -> None:
    await _bought(bot)
    await bot.say("wx_owner", f"/提醒取货 {when}")
    # Not the usage line: she wrote a time, it has passed. No year hint: she wrote no date.
    assert bot.private()[-1] == f"没有安排：{day} 已经过了，请写一个以后的时间。"
    assert await bot.svc.schedules.pending_in("r1") == []


async def test_a_pickup_reminder_at_a_written_date_that_has_passed_names_the_year(bot: Harness) -> None:
    await _bought(bot)
    await bot.say("wx_owner", "/提醒取货 11-19 18:00")
    assert bot.private()[-1].startswith("没有安排：11月19日 18:00 已经过了，请写一个以后的时间（没写年份的日期按今年算")


@pytest.mark.parametrize(("lines", "why"), [
    ("草莓 0元/盒", "「草莓」的价格是0元，请写上价格（例如 草莓 30元/盒）"),
    ("草莓 30元/盒 限量0", "「草莓」限量0盒，谁也订不到（不限量就不写限量）"),
    ("草莓 30元/盒 限购0", "「草莓」限购0盒，谁也订不到（不限购就不写限购）"),
    ("草莓 30元/盒\n草莓 35元/盒", "有两个商品都叫「草莓」"),
    ("草莓 30元/盒\n 草莓  25元/盒", "有两个商品都叫「草莓」"),
    ("A. 草莓 30元/盒\nA. 砂糖橘 25元/箱", "「草莓」和「砂糖橘」的编号都是 A"),
])
async def test_an_opening_with_an_unsellable_product_opens_nothing(bot: Harness, lines: str, why: str) -> None:
    await bot.say("wx_owner", f"/开团 周六团\n{lines}\n砂糖橘2 20元/箱")
    (said,) = bot.private()
    assert said.startswith(f"没有开团：{why}") and said.endswith("请改好后重发。")
    assert bot.texts() == [] and await bot.svc.campaigns.open_in("r1") is None


async def test_every_problem_of_an_opening_is_said_at_once(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 0元/盒\n砂糖橘 25元/箱 限量0")
    assert bot.private() == ["没有开团：\n· 「草莓」的价格是0元，请写上价格（例如 草莓 30元/盒）\n"
                             "· 「砂糖橘」限量0箱，谁也订不到（不限量就不写限量）\n请改好后重发。"]


async def test_a_drop_across_groups_with_an_unsellable_product_opens_in_none(bot: Harness) -> None:
    await bot.room("r2")
    await bot.say("wx_owner", "/开团 周六团\n群 全部\n草莓 30元/盒 限量0", room=None)
    assert bot.private()[-1].startswith("没有开团：「草莓」限量0盒")
    assert await bot.svc.campaigns.open_in("r1") is None and await bot.svc.campaigns.open_in("r2") is None


async def test_a_planned_opening_with_an_unsellable_product_is_not_planned(bot: Harness) -> None:
    await bot.say("wx_owner", "/定时开团 明天 8:00 周六团\n草莓 0元/盒")
    assert bot.private()[-1] == "没有安排：「草莓」的价格是0元，请写上价格（例如 草莓 30元/盒）。"
    assert await bot.svc.schedules.pending_in("r1") == []


async def test_a_sellable_opening_still_opens(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT.replace("草莓 30元/盒", "草莓 30元/盒 限量1 限购1"))
    assert await bot.svc.campaigns.open_in("r1") is not None


async def test_two_sizes_of_one_fruit_may_share_a_name_when_each_has_its_code(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\nA. 草莓 30元/盒\nB. 草莓 50元/盒")
    assert await bot.svc.campaigns.open_in("r1") is not None
