"""Group posts in a drop: what is about the whole drop reaches every group of it at once."""

from __future__ import annotations

from tests.harness import Harness


async def _drop(bot: Harness, options: str) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", f"/开团 周六团\n群 全部\n草莓 30元/盒\n{options}", room=None)
    bot.take()


async def test_the_threshold_reached_is_heard_in_every_group_at_once(bot: Harness) -> None:
    await _drop(bot, "成团 3人")
    await bot.say("wx_zhang", "草莓1盒", room="r1")
    await bot.say("wx_li", "草莓1盒", room="r2")
    assert not any("成团啦" in o.text for o in bot.take())
    await bot.say("wx_wang", "草莓1盒", room="r1")  # the third buyer, in 1群
    reached = [o for o in bot.take() if "成团啦" in o.text]
    assert sorted(str(o.room_id) for o in reached) == ["r1", "r2"]  # 2群 too, now, not at its next message
    assert all(o.text.startswith("🎉 「周六团」已满3人，成团啦") for o in reached)
    await bot.say("wx_zhao", "草莓1盒", room="r2")
    await bot.say("wx_zhao", "草莓2盒", room="r2")
    assert not any("成团啦" in o.text for o in bot.take())  # once per group


async def test_a_campaign_in_one_group_still_announces_once(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 30元/盒\n成团 2份")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓1盒")
    assert sum("成团啦" in t for t in bot.texts()) == 1
