"""The reader through the whole app: what members write in the group lands in the book whole, or
nothing of it does and she hears what was not understood; the owner's aliases name her products in
orders and questions alike."""

from __future__ import annotations

import pytest

from tests.harness import Harness

GROCER = ("/开团 周三粮油团\nA. 低芥酸菜籽油 5L 99元/桶\nB. 东北大米 10斤装 60元/袋\nC. 土鸡蛋 30枚装 45元/盒\n"
          "D. 手工挂面 12元/把")


def her(book: dict[tuple[str, str], int], member: str) -> dict[str, int]:
    return {p: q for (m, p), q in book.items() if m == member}


async def test_two_products_in_one_sentence_are_both_booked_and_confirmed(bot: Harness) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_zhang", "一袋大米两把挂面")
    await bot.settle()
    assert her(await bot.book(), "wx_zhang") == {"东北大米 10斤装": 1, "手工挂面": 2}
    assert "@张三 已记录：东北大米 10斤装×1、手工挂面×2，共¥84" in bot.texts()


@pytest.mark.parametrize(("first", "then", "expected"), [
    ("挂面3把", "挂面+1", {"手工挂面": 4}),
    ("挂面3把", "挂面-1", {"手工挂面": 2}),
    ("挂面3把", "D减2", {"手工挂面": 1}),
    ("挂面3把", "挂面少要一把", {"手工挂面": 2}),
    ("挂面3把 大米1袋", "大米不要了，挂面改成5把", {"手工挂面": 5}),
    ("鸡蛋2盒", "鸡蛋换成挂面", {"手工挂面": 2}),
    ("鸡蛋2盒", "是挂面不是鸡蛋", {"手工挂面": 2}),
])
async def test_a_change_in_words_applies_to_what_she_holds(bot: Harness, first: str, then: str,
                                                          expected: dict[str, int]) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_zhang", first)
    await bot.say("wx_zhang", then)
    await bot.settle()
    assert her(await bot.book(), "wx_zhang") == expected


async def test_less_of_what_she_does_not_have_changes_nothing_and_says_so(bot: Harness) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_zhang", "挂面2把")
    await bot.say("wx_zhang", "鸡蛋换成大米")
    await bot.settle()
    assert her(await bot.book(), "wx_zhang") == {"手工挂面": 2}
    assert any("你还没有订土鸡蛋 30枚装，没有改动" in t for t in bot.texts())


async def test_a_message_with_a_word_not_understood_books_nothing_and_names_it(bot: Harness) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_zhang", "挂面2把 腊肠两根")
    await bot.settle()
    assert await bot.book() == {}
    # She hears it was not understood (the question naming 「腊肠两根」 is the conversation's to send:
    # tests/parsing/test_reader_table.py holds the exact question), never a confirmation of the noodles.
    said = [t for t in bot.texts() if "@张三" in t]
    assert said and all("没看懂" in t and "已记录" not in t for t in said)


async def test_the_owners_alias_names_her_product_in_orders_and_questions(bot: Harness) -> None:
    await bot.say("wx_owner", GROCER + "\n问 菜籽油保质期多久 答 18个月，开封后半年内吃完")
    await bot.say("wx_owner", "/别名 油 = 菜籽油")
    assert bot.private()[-1] == "✅ 好的，群友写「油」就记成低芥酸菜籽油 5L（问答里也一样）。"
    await bot.say("wx_zhang", "油2桶")
    await bot.say("wx_li", "油能放多久？")
    await bot.settle()
    assert her(await bot.book(), "wx_zhang") == {"低芥酸菜籽油 5L": 2}
    assert "@李四 18个月，开封后半年内吃完" in bot.texts()
    await bot.say("wx_owner", "/别名")
    assert bot.private()[-1] == "油 = 低芥酸菜籽油 5L"
    await bot.say("wx_owner", "/别名 删除 油")
    assert bot.private()[-1] == "已删除别名「油」"


@pytest.mark.parametrize(("command", "answer"), [
    ("/别名 大米 = 菜籽油", "「大米」现在指东北大米 10斤装，不能做低芥酸菜籽油 5L的别名。"),
    ("/别名 米 = 酱油", "没有找到商品「酱油」。这个团的商品：低芥酸菜籽油 5L、东北大米 10斤装、土鸡蛋 30枚装、手工挂面"),
    ("/别名 12 = 挂面", "别名请用1到12个字，不能只是数字。用法：/别名 油 = 压榨花生油（群友写「油」就是压榨花生油）；"
                        "/别名 查看；/别名 删除 油"),
])
async def test_an_alias_that_cannot_be_right_is_refused(bot: Harness, command: str, answer: str) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_owner", command)
    assert bot.private()[-1] == answer
    await bot.say("wx_zhang", "大米1袋")
    await bot.settle()
    assert her(await bot.book(), "wx_zhang") == {"东北大米 10斤装": 1}


async def test_a_member_cannot_add_an_alias(bot: Harness) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_zhang", "/别名 米 = 挂面")
    await bot.say("wx_li", "米1把")
    await bot.settle()
    assert ("wx_li", "手工挂面") not in await bot.book()


async def test_an_alias_is_kept_for_the_next_campaign_selling_that_product(bot: Harness) -> None:
    await bot.say("wx_owner", GROCER)
    await bot.say("wx_owner", "/别名 蛋 = 土鸡蛋")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/开团 下周团\n土鸡蛋 30枚装 45元/盒\n纯牛奶 60元/箱")
    await bot.say("wx_zhang", "蛋1盒 牛奶1箱")
    await bot.settle()
    assert her(await bot.book(), "wx_zhang") == {"土鸡蛋 30枚装": 1, "纯牛奶": 1}
