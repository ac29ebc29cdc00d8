"""Times as people say them: "11小时58分钟", never "718分钟"; and a plan shown in every group it is for."""

from __future__ import annotations

import pytest

from bot.render.templates import duration
from tests.harness import Harness


@pytest.mark.parametrize(("minutes", "said"), [
    (0, "0分钟"), (25, "25分钟"), (60, "1小时"), (718, "11小时58分钟"), (1440, "1天"), (1500, "1天1小时"),
    (3000, "2天2小时"), (-5, "0分钟"),
])
def test_minutes_are_said_in_hours_and_days(minutes: int, said: str) -> None:
    assert duration(minutes) == said


async def test_the_follow_broadcast_says_hours_and_minutes_to_the_close(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒\n截单 11-20 20:00\n播报 每1单")
    await bot.say("wx_zhang", "草莓2盒", after=110)  # 08:02: 718 minutes to go
    (broadcast,) = [t for t in bot.texts() if "跟团" in t]
    assert broadcast.endswith("⏰ 还有11小时58分钟截单，手慢无～")


async def test_a_countdown_a_day_ahead_says_a_day(bot: Harness) -> None:
    await bot.say("wx_owner", "/定时开团 11-22 08:00 周日团\n草莓 30元/盒\n倒计时 提前1天")
    await bot.wait(24 * 3600)
    (countdown,) = [t for t in bot.texts() if t.startswith("⏳")]
    assert countdown.startswith("⏳ 还有1天开团：周日团！")


async def _two_groups(bot: Harness) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")


async def test_a_drops_opening_is_in_the_plan_of_every_group_it_opens_in(bot: Harness) -> None:
    await _two_groups(bot)
    await bot.say("wx_owner", "/定时开团 明天 8:00 周六团\n群 全部\n草莓 30元/盒\n预告 提前1小时", room=None)
    await bot.say("wx_owner", "/计划 2群", room=None)
    plan = bot.private()[-1]
    assert plan == "📅 本群的定时安排：\n#3 11月21日 07:00 开团预告\n#1 11月21日 08:00 开团：周六团（2个群一起开团）"
    await bot.say("wx_owner", "/计划 1群", room=None)
    assert bot.private()[-1] == ("📅 本群的定时安排：\n#2 11月21日 07:00 开团预告\n"
                                 "#1 11月21日 08:00 开团：周六团（2个群一起开团）")


async def test_a_drops_opening_may_be_cancelled_from_any_of_its_groups(bot: Harness) -> None:
    await _two_groups(bot)
    await bot.say("wx_owner", "/定时开团 明天 8:00 周六团\n群 全部\n草莓 30元/盒\n预告 提前1小时", room=None)
    await bot.say("wx_owner", "/取消计划 1 2群", room=None)
    assert bot.private()[-1] == "已取消 #1 定时开团（2个群一起的），以及它的预告和倒计时。"
    assert await bot.svc.schedules.pending_in("r1") == [] and await bot.svc.schedules.pending_in("r2") == []


async def test_an_admin_of_one_group_cannot_cancel_a_drops_opening(bot: Harness) -> None:
    await _two_groups(bot)
    await bot.say("wx_owner", "/定时开团 明天 8:00 周六团\n群 全部\n草莓 30元/盒", room=None)
    await bot.say("wx_owner", "/管理员 添加 @李四", room="r2", mentions=("wx_li",))
    await bot.say("wx_li", "/取消计划 1", room="r2")
    assert bot.private("wx_li")[-1] == "#1 要在2个群一起开团，请团长来取消。"
    assert [s.kind for s in await bot.svc.schedules.pending_in("r1")] == ["open"]
