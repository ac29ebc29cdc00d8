"""Messages the reader once left silent or confirmed wrongly, driven through the real app: each is
booked exactly as she meant it, or she is asked one short question and her one-word answer books it."""

from __future__ import annotations

from tests.harness import Harness

GROCERY = ("/开团 周末粮油团\n五常稻花香米 10斤装 68元/袋\n胡姬花花生油 5L 149元/桶\n金乡紫皮大蒜 9元/斤\n"
           "截单 11-21 20:00")
BREAKFAST = ("/开团 早餐团\n现磨豆浆 5元/瓶\n老面馒头 2元/个\n三鲜饺子 28元/袋\n猪肉白菜饺子 26元/袋\n"
             "截单 11-21 20:00")


def said_to(bot: Harness, name: str) -> list[str]:
    return [part for t in bot.texts() for part in t.split("\n") if part.startswith(f"@{name} ")]


async def opened(bot: Harness, campaign: str) -> None:
    await bot.say("wx_owner", campaign)
    bot.take()


async def test_a_terse_list_of_one_character_names_is_booked_whole(bot: Harness) -> None:
    await opened(bot, GROCERY)
    await bot.say("wx_zhang", "米1 油1 蒜2")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "五常稻花香米 10斤装"): 1, ("wx_zhang", "胡姬花花生油 5L"): 1,
                                ("wx_zhang", "金乡紫皮大蒜"): 2}
    (ack,) = said_to(bot, "张三")
    assert "五常稻花香米 10斤装×1" in ack and "胡姬花花生油 5L×1" in ack and "金乡紫皮大蒜×2" in ack


async def test_a_word_not_sold_beside_a_booked_one_is_asked_never_dropped(bot: Harness) -> None:
    await opened(bot, GROCERY)
    await bot.say("wx_li", "米1 醋2")
    await bot.settle()
    assert await bot.book() == {}
    (asked,) = said_to(bot, "李四")
    assert "「醋2」没看懂" in asked


async def test_a_product_restated_is_one_order_and_two_quantities_are_asked(bot: Harness) -> None:
    await opened(bot, BREAKFAST)
    await bot.say("wx_zhang", "要两袋三鲜饺子 嗯 就是那个三鲜的 两袋")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "三鲜饺子"): 2}
    await bot.say("wx_li", "馒头2个 馒头3个")
    await bot.settle()
    (asked,) = said_to(bot, "李四")
    assert "老面馒头一共3个还是5个？回 3 或 5" in asked
    assert ("wx_li", "老面馒头") not in await bot.book()
    await bot.say("wx_li", "5")
    await bot.settle()
    assert (await bot.book())[("wx_li", "老面馒头")] == 5


async def test_a_correction_in_words_sets_the_quantity_she_says(bot: Harness) -> None:
    await opened(bot, BREAKFAST)
    await bot.say("wx_wang", "豆浆3瓶")
    await bot.say("wx_wang", "团长 我刚才说的豆浆要四瓶 不是三瓶")
    await bot.settle()
    assert await bot.book() == {("wx_wang", "现磨豆浆"): 4}
    assert any("现磨豆浆×4" in t for t in said_to(bot, "王五"))


async def test_is_x_not_y_moves_her_quantity_with_trailing_words(bot: Harness) -> None:
    await opened(bot, BREAKFAST)
    await bot.say("wx_zhao", "猪肉白菜饺子3袋")
    await bot.say("wx_zhao", "是三鲜的不是猪肉白菜 打错了")
    await bot.settle()
    assert await bot.book() == {("wx_zhao", "三鲜饺子"): 3}


async def test_one_each_for_two_people_is_two_and_unsaid_people_are_asked(bot: Harness) -> None:
    await opened(bot, BREAKFAST)
    await bot.say("wx_zhang", "我和我老公一人一瓶豆浆")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "现磨豆浆"): 2}
    await bot.say("wx_li", "一人一个馒头")
    await bot.settle()
    (asked,) = said_to(bot, "李四")
    assert "老面馒头一共要几个？回数字" in asked
    assert ("wx_li", "老面馒头") not in await bot.book()
    await bot.say("wx_li", "3")
    await bot.settle()
    assert (await bot.book())[("wx_li", "老面馒头")] == 3


async def test_her_whole_order_cancelled_in_words_is_cancelled_and_confirmed(bot: Harness) -> None:
    await opened(bot, BREAKFAST)
    for who, text in (("wx_zhang", "豆浆2瓶 馒头4个"), ("wx_li", "三鲜饺子1袋"), ("wx_wang", "豆浆1瓶")):
        await bot.say(who, text)
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "我的那份取消吧 这周不在家")
    await bot.say("wx_li", "全部取消 谢谢")
    await bot.settle()
    assert await bot.book() == {("wx_wang", "现磨豆浆"): 1}
    (told,) = said_to(bot, "张三")
    assert "现磨豆浆" in told and "老面馒头" in told
    bot.take()
    # 我也不要了 may be about one thing: asked, and 是 cancels her whole order.
    await bot.say("wx_wang", "我也不要了")
    await bot.settle()
    (asked,) = said_to(bot, "王五")
    assert "取消你的全部订单" in asked
    assert await bot.book() == {("wx_wang", "现磨豆浆"): 1}
    await bot.say("wx_wang", "是")
    await bot.settle()
    assert await bot.book() == {}


async def test_everything_one_each_adds_to_what_she_holds(bot: Harness) -> None:
    await opened(bot, BREAKFAST)
    await bot.say("wx_zhao", "馒头1个")
    await bot.say("wx_zhao", "2号+1")
    assert await bot.book() == {("wx_zhao", "老面馒头"): 2}
    await bot.say("wx_zhao", "全都各来一个")
    await bot.settle()
    assert await bot.book() == {("wx_zhao", "现磨豆浆"): 1, ("wx_zhao", "老面馒头"): 3, ("wx_zhao", "三鲜饺子"): 1,
                                ("wx_zhao", "猪肉白菜饺子"): 1}
    assert any("老面馒头×3" in t for t in said_to(bot, "赵六"))


async def test_a_repeated_product_emoji_is_asked_and_yes_books_that_many(bot: Harness) -> None:
    await opened(bot, "/开团 热带水果团\n海南椰青 15元/个\n小米蕉 12元/把\n截单 11-21 20:00")
    await bot.say("wx_li", "🥥🥥🥥")
    await bot.settle()
    (asked,) = said_to(bot, "李四")
    assert "是要 海南椰青×3 吗？回 是" in asked
    assert await bot.book() == {}
    await bot.say("wx_li", "是")
    await bot.settle()
    assert await bot.book() == {("wx_li", "海南椰青"): 3}


async def test_english_orders_are_booked_not_sent_to_the_owner_as_questions(bot: Harness) -> None:
    await opened(bot, "/开团 豆制品团\n黑豆豆浆 Soy Milk 6元/瓶\n嫩豆腐 Tofu 4元/盒\n荠菜饺子 Dumplings 25元/袋\n"
                      "截单 11-21 20:00")
    await bot.say("wx_zhang", "Could I have 2 packs of dumplings?")
    await bot.say("wx_zhang", "tofu 1")
    await bot.say("wx_zhang", "I'll take two of the 豆浆 too")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "荠菜饺子 Dumplings"): 2, ("wx_zhang", "嫩豆腐 Tofu"): 1,
                                ("wx_zhang", "黑豆豆浆 Soy Milk"): 2}
    assert bot.private() == []  # nothing for the owner to answer
    await bot.say("wx_zhang", "cancel my tofu pls, dumplings still want")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "荠菜饺子 Dumplings"): 2, ("wx_zhang", "黑豆豆浆 Soy Milk"): 2}
