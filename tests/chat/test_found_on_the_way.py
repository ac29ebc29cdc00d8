"""Small faults found while making the outbox durable: each one a member or owner would notice."""

from __future__ import annotations

from datetime import timedelta

from bot.parsing.timeparse import parse_when
from tests.harness import START, Harness, OpenBot


async def test_an_admin_must_be_someone_in_the_group(bot: Harness) -> None:
    def last() -> str:
        return bot.transport.sent[-1][1].text

    await bot.say("wx_owner", "/管理员 添加 @陌生人", mentions=("wx_stranger",))
    assert "不在本群" in last()
    await bot.say("wx_owner", "/管理员")
    assert "陌生人" not in last() and "wx_stranger" not in last()
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    assert last() == "已添加管理员：李四"


def test_minutes_from_now_keep_the_seconds() -> None:
    now = START + timedelta(seconds=50)
    assert parse_when("1分钟后", now) == now + timedelta(minutes=1)


async def test_a_stale_post_that_is_skipped_is_reported_to_the_owner_privately(open_bot: OpenBot) -> None:
    bot = await open_bot()
    await bot.say("wx_owner", "/预告 今天 12:00 明天还有一团")
    await bot.close()
    again = await open_bot()
    again.clock.set(START.replace(hour=15))
    await again.app.advance(again.clock.now())
    said = again.take()
    assert [o.room_id for o in said] == [None]
    assert said[0].to == "wx_owner" and "跳过" in said[0].text and "开团预告" in said[0].text
