"""Times exactly as the owner wrote them: a past date is refused with its reason
(never moved to next year unless she wrote the year), an impossible time is
refused, and 明天 in a pickup line becomes the date it means."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import DEFAULT_TZ
from bot.parsing.campaign_spec import parse_open_command
from bot.parsing.plan_spec import split_when
from bot.parsing.timeparse import ImpossibleTime, parse_when, resolve_day_words, time_problem
from tests.harness import Harness

# Tuesday 2026-12-01 12:15, the moment of the bug report.
NOW = datetime(2026, 12, 1, 12, 15, tzinfo=DEFAULT_TZ)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DEFAULT_TZ)


@pytest.mark.parametrize(("text", "when", "problem"), [
    ("12-01 10:00", at(2026, 12, 1, 10), "12月1日 10:00 已经过了"),  # was silently 2027
    ("2027-12-01 10:00", at(2027, 12, 1, 10), None),  # next year when she writes it
    ("01-02 10:00", at(2026, 1, 2, 10), "例如 2027-01-02 10:00"),  # the hint says how
    ("12-31 20:00", at(2026, 12, 31, 20), None),
    ("今天 8:00", at(2026, 12, 1, 8), "已经过了"),
    ("明天 24:00", at(2026, 12, 3, 0, 0), None),  # 24点: the end of that day
    ("周二 10:00", at(2026, 12, 8, 10), None),  # a weekday is the next such day
    ("8:00", at(2026, 12, 2, 8), None),  # a time alone is the next such time
    ("25:00", None, "「25:00」不是一个时间"),
    ("12-01 25:00", None, "「25:00」不是一个时间"),  # was 12-01 00:00
    ("今晚25点", None, "不是一个时间"),
    ("12-02 10:75", None, "「10:75」不是一个时间"),
    ("2-30 10:00", None, "没有2月30日这一天"),
    ("2027-02-29 10:00", None, "没有2月29日这一天（2027年）"),
    ("2028-02-29 10:00", at(2028, 2, 29, 10), None),
    ("999999999天后", None, "太远了"),
    ("随便", None, None),
])
def test_when_and_why_not(text: str, when: datetime | None, problem: str | None) -> None:
    assert parse_when(text, NOW) == when
    found = time_problem(text, NOW)
    assert (found is None) == (problem is None), found
    assert problem is None or (found is not None and problem in found), found


@pytest.mark.parametrize(("text", "resolved"), [
    ("东门快递柜 明天 18:00-20:00", "东门快递柜 12月2日 18:00-20:00"),
    ("东门快递柜 今天 18:00-20:00", "东门快递柜 12月1日 18:00-20:00"),
    ("周六 9:00-12:00 东门", "12月5日（周六） 9:00-12:00 东门"),
    ("星期二 9:00", "12月1日（星期二） 9:00"),  # today is Tuesday
    ("今晚7点 小区门口", "12月1日晚7点 小区门口"),
    ("后天上午", "12月3日上午"),
    ("东门快递柜 11-22 09:00-12:00", "东门快递柜 11-22 09:00-12:00"),  # a date stays as written
    ("东门快递柜", "东门快递柜"),
])
def test_relative_days_in_a_pickup_line_become_dates(text: str, resolved: str) -> None:
    assert resolve_day_words(text, NOW) == resolved


def test_an_impossible_time_is_not_read_as_its_possible_prefix() -> None:
    with pytest.raises(ImpossibleTime):
        split_when("明天 25:00 预告文字", NOW)  # was 明天 00:00 with "25:00 预告文字" as the text
    assert split_when("明天 8:00 预告文字", NOW) == (at(2026, 12, 2, 8), "预告文字")


@pytest.mark.parametrize(("line", "close_at", "close_problem"), [
    ("截单 12-02 20:00", at(2026, 12, 2, 20), None),
    ("截单 12-01 10:00", at(2026, 12, 1, 10), None),  # past: open_campaign refuses it
    ("截单 25:00", None, "截单时间不对：「25:00」不是一个时间（0点到24点，分钟0到59）"),
    ("截单 2-30 20:00", None, "截单时间不对：没有2月30日这一天"),
    ("截止 售完为止", None, None),  # no deadline meant: opens, the line is listed
])
def test_the_deadline_line(line: str, close_at: datetime | None, close_problem: str | None) -> None:
    spec = parse_open_command(f"周六水果团\n草莓 30元/盒\n{line}\n自提 东门 明天 9:00-12:00", NOW)
    assert (spec.close_at, spec.close_problem) == (close_at, close_problem)
    assert spec.pickup == "东门 12月2日 9:00-12:00"


# -- what the owner sees (the harness starts on Friday 2026-11-20 08:00) -----------------------------


async def test_a_past_deadline_is_refused_with_the_reason_and_opens_nothing(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n截单 11-20 07:00")
    reply = bot.private()[-1]
    assert reply.startswith("没有开团：截单时间 11月20日 07:00 已经过了"), reply
    assert "2027-11-20 07:00" in reply
    assert await bot.svc.campaigns.open_in("r1") is None


@pytest.mark.parametrize(("deadline", "why"), [
    ("25:00", "「25:00」不是一个时间（0点到24点，分钟0到59）"),
    ("2-30 20:00", "没有2月30日这一天"),
])
async def test_an_impossible_deadline_is_refused_and_opens_nothing(bot: Harness, deadline: str, why: str) -> None:
    await bot.say("wx_owner", f"/开团 周六水果团\n草莓 30元/盒\n截单 {deadline}")
    assert bot.private()[-1] == f"没有开团：截单时间不对：{why}。请改好后重发。"
    assert await bot.svc.campaigns.open_in("r1") is None


async def test_tomorrow_in_the_pickup_line_is_announced_and_kept_as_a_date(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n自提 东门快递柜 明天 18:00-20:00")
    assert "📍 自提：东门快递柜 11月21日 18:00-20:00" in bot.texts()[-2]
    campaign = await bot.svc.campaigns.open_in("r1")
    assert campaign is not None and campaign.pickup == "东门快递柜 11月21日 18:00-20:00"


@pytest.mark.parametrize(("command", "reply"), [
    ("/预告 11-19 8:00 周日鲜果", "没有安排：11月19日 08:00 已经过了"),
    ("/互动 明天 25:00 想要的扣1", "没有安排：「25:00」不是一个时间"),
    ("/定时开团 2-30 08:00 周日鲜果团\n草莓 30元/盒", "没有安排：开团时间不对，没有2月30日这一天"),
    ("/定时开团 11-19 08:00 周日鲜果团\n草莓 30元/盒", "没有安排：开团时间 11月19日 08:00 已经过了"),
    ("/定时开团 明天 08:00 周日鲜果团\n草莓 30元/盒\n截单 明天 26:00", "没有安排：截单时间不对：「26:00」不是一个时间"),
])
async def test_a_schedule_in_the_past_or_impossible_is_refused(bot: Harness, command: str, reply: str) -> None:
    await bot.say("wx_owner", command)
    assert bot.private()[-1].startswith(reply), bot.private()[-1]
    assert await bot.svc.schedules.pending_in("r1") == []


async def test_plans_show_the_year_when_it_is_not_this_year(bot: Harness) -> None:
    await bot.say("wx_owner", "/互动 2027-01-05 20:00 想要的扣1")
    assert bot.private()[-1].startswith("📅 已安排 #1：2027年1月5日 20:00 发互动")
    await bot.say("wx_owner", "/预告 12-30 08:00")
    await bot.say("wx_owner", "/计划")
    assert bot.private()[-1] == "📅 本群的定时安排：\n#2 12月30日 08:00 开团预告\n#1 2027年1月5日 20:00 互动：想要的扣1"


async def test_a_deadline_next_year_is_announced_with_its_year(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 年货团\n坚果礼盒 99元/盒\n截单 2027-01-02 20:00")
    assert "⏰ 截单：2027年1月2日 20:00" in bot.texts()[-2]
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n截单 11-21 20:00")
    assert "⏰ 截单：11月21日 20:00" in bot.texts()[-2]


async def test_tomorrow_in_a_planned_campaign_counts_from_its_opening(bot: Harness) -> None:
    # Written on Friday 11-20 for Wednesday 11-25: "明天" is the day after the opening.
    await bot.say("wx_owner", "/定时开团 11-25 08:00 周三鲜果团\n草莓 30元/盒\n自提 东门快递柜 明天 9:00-12:00")
    assert "自提 东门快递柜 11月26日 9:00-12:00" in bot.private()[-1]
    await bot.wait(5 * 24 * 3600)
    assert "📍 自提：东门快递柜 11月26日 9:00-12:00" in bot.texts()[-2]
