"""“跟老周一样的”, “我也要”, “跟上次一样”: the order she means is named back to her, and her 是 books it
once — by member id, never by display name. When no one order can be named she is asked who, or what
she wants; never silent. Driven through the real app."""

from __future__ import annotations

import pytest

from bot.parsing.conversation.same_as import Same, SameAs, same_as
from tests.conversation.people import with_people
from tests.harness import Harness

GRAIN = "/开团 粮油团\n手工挂面 12元/袋\n东北小米 20元/袋\n菜籽油 60元/桶\n截单 11-21 20:00"
NEXT_WEEK = "/开团 粮油二团\n手工挂面 12元/袋\n菜籽油 60元/桶\n五常大米 80元/袋\n截单 11-28 20:00"
PEOPLE = {"wx_zhou": "老周(3-201)", "wx_yue": "岳阿姨", "wx_zhou2": "小周"}


@pytest.fixture
async def grain(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return await with_people(bot, monkeypatch, PEOPLE, "康乐小区团购群", GRAIN)


async def next_week(bot: Harness) -> None:
    """This week's campaign closed, next week's open."""
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", NEXT_WEEK, after=3600)
    await bot.settle()
    bot.take()


def said_to(bot: Harness, name: str) -> list[str]:
    return [part for t in bot.texts() for part in t.split("\n") if part.startswith(f"@{name} ")]


def hers(book: dict[tuple[str, str], int], member: str) -> dict[str, int]:
    return {p: q for (m, p), q in book.items() if m == member}


@pytest.mark.parametrize(("text", "same"), [
    ("跟老周一样的", SameAs(Same.PERSON, "老周")), ("和老周一样", SameAs(Same.PERSON, "老周")),
    ("我要跟老周的一样哈", SameAs(Same.PERSON, "老周")), ("照老周的来一份", SameAs(Same.PERSON, "老周")),
    ("same as Lily", SameAs(Same.PERSON, "lily")), ("跟楼上一样", SameAs(Same.ME_TOO)),
    ("我也要", SameAs(Same.ME_TOO)), ("我也要一样的", SameAs(Same.ME_TOO)), ("me too", SameAs(Same.ME_TOO)),
    ("跟上次一样", SameAs(Same.LAST_TIME)), ("和上周的一样吧", SameAs(Same.LAST_TIME)),
    ("老样子", SameAs(Same.LAST_TIME)), ("跟我上次的一样", SameAs(Same.LAST_TIME)), ("还是照旧", SameAs(Same.LAST_TIME)),
    ("Same as last week!", SameAs(Same.LAST_TIME)), ("like last time", SameAs(Same.LAST_TIME)),
    ("same again", SameAs(Same.LAST_TIME)),
    ("跟 @老周(3-201) 一样", SameAs(Same.PERSON, "@老周")), ("跟老周一样2袋", None), ("我也要挂面", None), ("一样的", None), ("上次买的小米2袋很好吃", None), ("好的", None),
])
def test_what_a_message_copies(text: str, same: SameAs | None) -> None:
    assert same_as(text) == same


@pytest.mark.parametrize("yes", ["是", "对", "好", "yes"])
async def test_same_as_a_named_member_is_asked_and_booked_once(grain: Harness, yes: str) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋 小米1袋")
    await bot.say("wx_yue", "跟老周一样的", after=90)
    await bot.settle()
    assert said_to(bot, "岳阿姨") == ["@岳阿姨 跟 老周(3-201) 一样：手工挂面×2、东北小米×1？回 是（还没有记录）"]
    assert hers(await bot.book(), "wx_yue") == {}
    await bot.say("wx_yue", yes)
    await bot.say("wx_yue", yes)  # a repeat 是 books nothing more
    await bot.settle()
    book = await bot.book()
    assert hers(book, "wx_yue") == {"手工挂面": 2, "东北小米": 1}
    assert hers(book, "wx_zhou") == {"手工挂面": 2, "东北小米": 1}


async def test_a_name_that_fits_several_members_asks_whose(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋")
    await bot.say("wx_zhou2", "菜籽油1桶")
    await bot.say("wx_yue", "跟周一样的", after=60)
    await bot.settle()
    (asked,) = said_to(bot, "岳阿姨")
    assert "群里有几位「周」，跟谁一样？" in asked and "手工挂面×2" in asked and "菜籽油×1" in asked
    await bot.say("wx_yue", "B")
    assert hers(await bot.book(), "wx_yue") == {"菜籽油": 1}


async def test_a_name_nobody_has_asks_who(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋")
    await bot.say("wx_yue", "跟老王一样的", after=60)
    await bot.settle()
    (asked,) = said_to(bot, "岳阿姨")
    assert "没找到「老王」" in asked and "跟谁一样" in asked
    assert hers(await bot.book(), "wx_yue") == {}


async def test_me_too_right_after_one_order_copies_it(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋 小米1袋")
    await bot.say("wx_yue", "我也要", after=40)
    await bot.settle()
    assert said_to(bot, "岳阿姨") == ["@岳阿姨 跟 老周(3-201) 一样：手工挂面×2、东北小米×1？回 是（还没有记录）"]
    await bot.say("wx_yue", "对的")
    assert hers(await bot.book(), "wx_yue") == {"手工挂面": 2, "东北小米": 1}


@pytest.mark.parametrize("others", [["wx_zhou", "wx_li"], []])
async def test_me_too_with_several_orders_or_none_just_before_asks_what(grain: Harness, others: list[str]) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋")
    for member in others:
        await bot.say(member, "菜籽油1桶")
    await bot.say("wx_yue", "我也要", after=600 if not others else 20)
    await bot.settle()
    assert said_to(bot, "岳阿姨") == ["@岳阿姨 要什么、几份？请回「商品+数量」（还没有记录）"]
    assert hers(await bot.book(), "wx_yue") == {}


async def test_same_as_last_time_names_only_what_is_sold_now(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_yue", "挂面2袋 小米1袋 菜籽油1桶")
    await next_week(bot)
    await bot.say("wx_yue", "跟上次一样")
    await bot.settle()
    assert said_to(bot, "岳阿姨") == ["@岳阿姨 跟上次一样：手工挂面×2、菜籽油×1？（东北小米 这次没有）回 是（还没有记录）"]
    await bot.say("wx_yue", "是")
    await bot.say("wx_yue", "是")
    book = await bot.book()
    # Last week's order stays as it was; this week's is what she confirmed, once.
    assert hers(book, "wx_yue") == {"手工挂面": 4, "东北小米": 1, "菜籽油": 2}


async def test_same_as_last_time_without_an_order_then_asks_what(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋")
    await next_week(bot)
    await bot.say("wx_yue", "老样子")
    await bot.settle()
    assert said_to(bot, "岳阿姨") == ["@岳阿姨 上次没有你的订单，这次要什么、几份？请回「商品+数量」（还没有记录）"]
    assert hers(await bot.book(), "wx_yue") == {}


async def test_me_too_then_naming_her_is_asked_again_and_booked_once(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋 小米1袋")
    await bot.say("wx_yue", "我也要", after=30)
    await bot.say("wx_yue", "跟老周一样的", after=30)
    await bot.settle()
    assert said_to(bot, "岳阿姨")[-1] == "@岳阿姨 跟 老周(3-201) 一样：手工挂面×2、东北小米×1？回 是（还没有记录）"
    for _ in range(3):
        await bot.say("wx_yue", "好")
    await bot.settle()
    assert hers(await bot.book(), "wx_yue") == {"手工挂面": 2, "东北小米": 1}
    assert not any("待确认" in t for t in bot.private())


async def test_the_member_she_mentions_is_found_by_id_not_by_name(grain: Harness) -> None:
    bot = grain
    await bot.say("wx_zhou", "挂面2袋")
    await bot.say("wx_zhou2", "菜籽油1桶")
    # Her @ shows a part both names share; the mention's member id says which one.
    await bot.say("wx_yue", "跟 @周 一样", after=60, mentions=("wx_zhou2",))
    await bot.settle()
    assert said_to(bot, "岳阿姨") == ["@岳阿姨 跟 小周 一样：菜籽油×1？回 是（还没有记录）"]
    await bot.say("wx_yue", "是")
    assert hers(await bot.book(), "wx_yue") == {"菜籽油": 1}
