"""Time words mean what people mean: 今晚12点, 晚上12点, 半夜12点, 今晚0点 and 24点 are the midnight that
ends the day, never noon (a drop closed 12 hours early), and an order before it counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import DEFAULT_TZ
from bot.parsing.timeparse import parse_when
from tests.harness import Harness

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=DEFAULT_TZ)  # a Friday morning
MIDNIGHT = datetime(2026, 11, 21, 0, 0, tzinfo=DEFAULT_TZ)  # the end of that Friday


@pytest.mark.parametrize(("text", "when"), [
    ("今晚12点", MIDNIGHT),
    ("晚上12点", MIDNIGHT),
    ("半夜12点", MIDNIGHT),
    ("午夜12点", MIDNIGHT),
    ("今晚0点", MIDNIGHT),
    ("今晚12:00", MIDNIGHT),
    ("24点", MIDNIGHT),
    ("今天24:00", MIDNIGHT),
    ("11-20 24:00", MIDNIGHT),
    ("晚上12点半", MIDNIGHT + timedelta(minutes=30)),
    ("明晚12点", MIDNIGHT + timedelta(days=1)),
    ("明天晚上12点", MIDNIGHT + timedelta(days=1)),
    # What stays as it was.
    ("中午12点", datetime(2026, 11, 20, 12, 0, tzinfo=DEFAULT_TZ)),
    ("12点", datetime(2026, 11, 20, 12, 0, tzinfo=DEFAULT_TZ)),
    ("今晚8点", datetime(2026, 11, 20, 20, 0, tzinfo=DEFAULT_TZ)),
    ("晚上11点半", datetime(2026, 11, 20, 23, 30, tzinfo=DEFAULT_TZ)),
    ("半夜1点", datetime(2026, 11, 21, 1, 0, tzinfo=DEFAULT_TZ)),
])
def test_the_midnight_that_ends_the_day(text: str, when: datetime) -> None:
    assert parse_when(text, NOW) == when


def test_said_just_after_midnight_it_is_the_next_one() -> None:
    late = MIDNIGHT + timedelta(minutes=5)
    assert parse_when("晚上12点", late) == MIDNIGHT + timedelta(days=1)


async def test_an_order_before_tonight_12_counts_and_the_drop_closes_at_midnight(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周五水果团\n草莓 30元/盒\n截单 今晚12点")
    campaign = await bot.svc.campaigns.open_in("r1")
    assert campaign is not None and campaign.close_at == MIDNIGHT
    assert "11月21日 00:00" in bot.texts()[0]
    await bot.wait((datetime(2026, 11, 20, 23, 59, 30, tzinfo=DEFAULT_TZ) - bot.now).total_seconds())
    await bot.say("wx_zhang", "草莓2盒", after=0)
    assert await bot.svc.campaigns.open_in("r1") is not None
    await bot.say("wx_li", "草莓1盒", after=60)  # 00:00:30: closed
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert any("已截单" in t for t in bot.texts())
