"""Whose an order is: a line or message naming another member is never the sender's; one passed
on for a member waits for her word, one for someone outside the group is the sender's own."""

from __future__ import annotations

import pytest

from bot.models import Member, RoomInfo, RoomSeen
from tests.harness import MEMBERS, Harness

ZONGZI = "/开团 端午粽子团\n豆沙粽 6元/个\n鲜肉粽 8元/个\n蛋黄粽 9元/个\n截单 11-20 20:00"
LIST = "#接龙\n端午粽子团\n\n"
# 小何 and 刘姐 are members too; 刘奶奶 downstairs is not.
MORE = {"wx_he": "小何", "wx_liu": "刘姐"}


@pytest.fixture
async def group(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    for member_id, name in MORE.items():
        monkeypatch.setitem(MEMBERS, member_id, name)  # Harness.say names them so
    members = tuple(Member(i, n) for i, n in MEMBERS.items())
    await bot.app.on_event(RoomSeen(RoomInfo("r1", "阳光花园水果团购群", "wx_owner", members)))
    await bot.say("wx_owner", ZONGZI)
    await bot.say("wx_he", LIST + "1. 6-301 小何 蛋黄粽1个")
    bot.take()
    return bot


def mine(book: dict[tuple[str, str], int], member: str) -> dict[str, int]:
    return {p: q for (m, p), q in book.items() if m == member}


@pytest.mark.parametrize("text", ["帮楼下刘奶奶捎两个豆沙粽", "帮我妈带2个豆沙粽", "给隔壁王阿姨也来两个豆沙粽"])
async def test_an_order_for_someone_outside_the_group_is_hers_added(group: Harness, text: str) -> None:
    bot = group
    await bot.say("wx_wang", "豆沙粽3个")
    await bot.say("wx_wang", text)
    await bot.settle()
    assert mine(await bot.book(), "wx_wang") == {"豆沙粽": 5}
    assert "@王五 已记录：豆沙粽×5，共¥30" in bot.texts()


@pytest.mark.parametrize("text", ["替6-301的小何报两个鲜肉粽", "帮小何带2个鲜肉粽", "小何 鲜肉粽2个", "6-301 小何 鲜肉粽两个"])
async def test_an_order_passed_on_for_a_member_waits_for_her_yes(group: Harness, text: str) -> None:
    bot = group
    await bot.say("wx_wang", text)
    await bot.settle()
    assert mine(await bot.book(), "wx_wang") == {}
    assert mine(await bot.book(), "wx_he") == {"蛋黄粽": 1}
    said = "\n".join(bot.texts())
    assert "@王五 「" in said and "是小何的，没有记在你名下；已请她回复确认" in said
    assert "@小何 已记录：蛋黄粽×1，共¥9；王五替你报了 鲜肉粽×2，是你要的吗？回「是」就记上" in said
    bot.take()
    await bot.say("wx_he", "是")
    await bot.settle()
    assert mine(await bot.book(), "wx_he") == {"蛋黄粽": 1, "鲜肉粽": 2}
    assert "@王五 小何已确认你替她报的单" in bot.texts()[-1]
    # Passed on again and confirmed again: booked once, never doubled.
    await bot.say("wx_wang", text)
    await bot.say("wx_he", "对")
    assert mine(await bot.book(), "wx_he") == {"蛋黄粽": 1, "鲜肉粽": 2}
    assert mine(await bot.book(), "wx_wang") == {}


async def test_she_can_turn_down_an_order_passed_on_for_her(group: Harness) -> None:
    bot = group
    await bot.say("wx_wang", "替小何报两个鲜肉粽")
    await bot.say("wx_he", "不要")
    await bot.wait(3600)
    assert await bot.book() == {("wx_he", "蛋黄粽"): 1}
    assert [t for t in bot.private("wx_owner") if "待确认" in t] == []


async def test_unconfirmed_it_reaches_the_owner_as_passed_on(group: Harness) -> None:
    bot = group
    await bot.say("wx_wang", "替小何报两个鲜肉粽")
    await bot.wait(31 * 60)
    (gathered,) = bot.private("wx_owner")
    assert "小何：替小何报两个鲜肉粽（别人替她报的单，她还没确认）" in gathered
    assert await bot.book() == {("wx_he", "蛋黄粽"): 1}


async def test_a_line_naming_another_member_at_her_house_is_never_hers(group: Harness) -> None:
    bot = group
    # 刘姐 lives at 6-301 too (a household): a new line there naming 小何 is never 刘姐's.
    await bot.say("wx_liu", LIST + "1. 6-301 小何 蛋黄粽1个\n2. 6-301 刘姐 豆沙粽1个")
    await bot.say("wx_liu", LIST + "1. 6-301 小何 蛋黄粽1个\n2. 6-301 小何 豆沙粽3个\n3. 6-301 刘姐 豆沙粽1个\n"
                                   "4. 6-301 刘姐 鲜肉粽1个")
    await bot.settle()
    assert mine(await bot.book(), "wx_liu") == {"豆沙粽": 1, "鲜肉粽": 1}
    # A line further up is one the bot may have missed: hers, and she is told.
    assert mine(await bot.book(), "wx_he") == {"蛋黄粽": 1, "豆沙粽": 3}
    assert "从接龙中补记「6-301 小何 豆沙粽3个」" in bot.texts()[-1]


async def test_her_own_order_of_the_product_settles_one_passed_on_for_her(group: Harness) -> None:
    bot = group
    await bot.say("wx_wang", "替小何报两个鲜肉粽")
    await bot.say("wx_he", "鲜肉粽3个")
    await bot.wait(3600)
    assert mine(await bot.book(), "wx_he") == {"蛋黄粽": 1, "鲜肉粽": 3}
    assert not [t for t in bot.private("wx_owner") if "替小何报" in t]
