"""Fragments: a member's messages a few seconds apart that only make sense together are read together,
also when another member's fragments come between them; a product named alone, with no quantity and
nothing after it, is asked about — never left silent. Driven through the real app."""

from __future__ import annotations

import pytest

from tests.harness import Harness

NEW_YEAR = "/开团 年货团\n蛋黄肉粽 8元/个\n宁波年糕 12元/袋\n广式腊肠 30元/袋\n截单 11-20 20:00"
TWO_ZONGZI = "/开团 年货团\n蛋黄肉粽 8元/个\n豆沙甜粽 6元/个\n宁波年糕 12元/袋\n截单 11-20 20:00"


def said_to(bot: Harness, name: str) -> list[str]:
    return [part for t in bot.texts() for part in t.split("\n") if part.startswith(f"@{name} ")]


async def opened(bot: Harness, drop: str = NEW_YEAR) -> Harness:
    await bot.say("wx_owner", drop)
    bot.take()
    return bot


@pytest.mark.parametrize(("a1", "b1", "a2", "b2"), [
    ("粽子", "年糕", "2", "3"),
    ("要粽子", "年糕", "2个", "3袋"),
    ("肉粽", "宁波年糕哈", "两个", "三袋"),
    ("蛋黄肉粽", "来点年糕", "x2", "3"),
])
async def test_two_members_fragments_interleaved_are_each_read_together(bot: Harness, a1: str, b1: str, a2: str,
                                                                         b2: str) -> None:
    await opened(bot)
    await bot.say("wx_zhang", a1, after=2)
    await bot.say("wx_li", b1, after=3)
    await bot.say("wx_zhang", a2, after=3)
    await bot.say("wx_li", b2, after=2)
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "蛋黄肉粽"): 2, ("wx_li", "宁波年糕"): 3}
    assert said_to(bot, "张三") == ["@张三 已记录：蛋黄肉粽×2，共¥16"]
    assert said_to(bot, "李四") == ["@李四 已记录：宁波年糕×3，共¥36"]


@pytest.mark.parametrize(("alone", "asked"), [
    ("粽子", "@张三 「粽子」没写数量：蛋黄肉粽要几个？回数字（还没有记录）"),
    ("年糕", "@张三 「年糕」没写数量：宁波年糕要几袋？回数字（还没有记录）"),
    ("腊肠呀", "@张三 「腊肠呀」没写数量：广式腊肠要几袋？回数字（还没有记录）"),
])
async def test_a_product_named_alone_is_asked_how_many(bot: Harness, alone: str, asked: str) -> None:
    await opened(bot)
    await bot.say("wx_zhang", alone)
    await bot.settle()
    assert await bot.book() == {}
    assert said_to(bot, "张三") == [asked]
    # Her number, later, answers it, once.
    await bot.say("wx_zhang", "2", after=120)
    await bot.say("wx_zhang", "2", after=5)
    await bot.settle()
    assert len(await bot.book()) == 1 and set((await bot.book()).values()) == {2}


async def test_a_part_of_two_names_asks_which_then_how_many(bot: Harness) -> None:
    await opened(bot, TWO_ZONGZI)
    await bot.say("wx_zhang", "粽子")
    await bot.settle()
    assert said_to(bot, "张三") == ["@张三 「粽子」是要哪个？A 蛋黄肉粽 还是 B 豆沙甜粽？回 A 或 B"]
    bot.take()
    await bot.say("wx_zhang", "B 4")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "豆沙甜粽"): 4}


async def test_a_question_about_a_product_is_not_an_order(bot: Harness) -> None:
    await opened(bot)
    await bot.say("wx_zhang", "年糕？")
    await bot.settle()
    assert await bot.book() == {}
    assert not any("几袋" in t for t in said_to(bot, "张三"))
