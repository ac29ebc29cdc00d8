"""Asked in the group, answered in a word: what the bot could not read exactly becomes a question
to the member, her next message is first tried as its answer, and only what she leaves
unanswered reaches the owner — gathered, before the close. Driven through the real app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.orderbook import catalog_of
from bot.parsing.catalog import Catalog
from bot.parsing.items import Item
from bot.parsing.order_text import Action, Choice, Intent, Question, parse_order_text
from handlers import ordering
from tests.harness import Harness, OpenBot

PEACH = ("/开团 端午水果粽子团\n水蜜桃大果 35元/箱\n水蜜桃小果 25元/箱\n豆沙粽 6元/个\n鲜肉粽 8元/个\n"
         "截单 11-20 20:00")
PEACH_LIST = "#接龙\n端午水果粽子团\n\n"


def private(bot: Harness, to: str = "wx_owner") -> list[str]:
    return [o.text for _, o in bot.transport.sent if o.to == to]


def said_to(bot: Harness, name: str) -> list[str]:
    """What the group was told about one member (her part of each gathered message)."""
    return [part for t in bot.texts() for part in t.split("\n") if part.startswith(f"@{name} ")]


async def open_peach(bot: Harness) -> None:
    await bot.say("wx_owner", PEACH)
    bot.take()


# -- one reading named: she answers in a word ------------------------------------------------------


@pytest.mark.parametrize(("answer", "booked"), [
    ("A", {"水蜜桃大果": 2}), ("b", {"水蜜桃小果": 2}), ("选B吧", {"水蜜桃小果": 2}), ("大的", {"水蜜桃大果": 2}),
    ("小的", {"水蜜桃小果": 2}), ("大果", {"水蜜桃大果": 2}), ("大的 三箱", {"水蜜桃大果": 3}), ("B 1", {"水蜜桃小果": 1}),
    ("水蜜桃小果1箱", {"水蜜桃小果": 1}),
])
async def test_a_shared_name_is_asked_and_one_word_settles_it(bot: Harness, answer: str,
                                                               booked: dict[str, int]) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.settle()
    (asked,) = said_to(bot, "张三")
    assert "「水蜜桃两箱」是要哪个？A 水蜜桃大果×2 还是 B 水蜜桃小果×2？回 A 或 B" in asked
    assert await bot.book() == {}
    assert private(bot) == []  # the owner is not the first resort
    bot.take()
    await bot.say("wx_zhang", answer)
    await bot.settle()
    assert await bot.book() == {("wx_zhang", p): q for p, q in booked.items()}
    (ack,) = said_to(bot, "张三")
    assert ack.startswith("@张三 已记录：")
    # Settled: a later "A" is not an answer any more, and nothing reaches the owner.
    await bot.say("wx_zhang", "A")
    await bot.wait(3600)
    assert await bot.book() == {("wx_zhang", p): q for p, q in booked.items()}
    assert private(bot) == []


@pytest.mark.parametrize("yes", ["是", "对", "对的", "嗯嗯", "好的", "👍", "要"])
async def test_one_reading_is_confirmed_with_yes(bot: Harness, yes: str) -> None:
    await open_peach(bot)
    await bot.say("wx_li", "豆沙粽5个可以吗？")
    await bot.settle()
    assert "@李四 「豆沙粽5个可以吗？」带问句，还没有记录：是要 豆沙粽×5 吗？回「是」就记上" in bot.texts()
    await bot.say("wx_li", yes)
    assert await bot.book() == {("wx_li", "豆沙粽"): 5}


async def test_she_declines_or_says_it_is_not_that(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_li", "豆沙粽5个可以吗？")
    await bot.say("wx_wang", "豆沙粽2个可以吗？")
    await bot.settle()
    bot.take()
    await bot.say("wx_li", "不要了")
    await bot.say("wx_wang", "不是")
    await bot.settle()
    assert said_to(bot, "李四") == ["@李四 好的，这条不记了"]
    assert "请直接写要的「商品+数量」" in said_to(bot, "王五")[0]
    # Her rewrite answers the question; nothing is doubled, and nothing waits for the owner.
    await bot.say("wx_wang", "鲜肉粽2个")
    await bot.wait(3600)
    assert await bot.book() == {("wx_wang", "鲜肉粽"): 2}
    assert private(bot) == []


async def test_a_quantity_answers_how_many(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhao", "水蜜桃")  # chatter: a product named, nothing asked for
    await bot.say("wx_zhao", "要鲜肉粽")
    await bot.settle()
    assert "@赵六 「要鲜肉粽」没写数量：鲜肉粽要几个？回数字（还没有记录）" in bot.texts()
    await bot.say("wx_zhao", "2")
    assert await bot.book() == {("wx_zhao", "鲜肉粽"): 2}


async def test_which_product_an_edit_means_is_asked_with_her_products(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "豆沙粽2个，鲜肉粽2个")
    await bot.say("wx_zhang", "改成4个")
    await bot.settle()
    # Only the products she holds are offered.
    assert "@张三 「改成4个」是要哪个？A 豆沙粽×4 还是 B 鲜肉粽×4？回 A 或 B" in bot.texts()[-1]
    await bot.say("wx_zhang", "鲜肉粽")
    assert await bot.book() == {("wx_zhang", "豆沙粽"): 2, ("wx_zhang", "鲜肉粽"): 4}


async def test_yes_to_several_readings_asks_which_again(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃1箱")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "好的")
    await bot.settle()
    (again,) = said_to(bot, "张三")
    assert "回 A 或 B" in again
    await bot.say("wx_zhang", "a")
    assert await bot.book() == {("wx_zhang", "水蜜桃大果"): 1}


async def test_a_new_order_is_not_taken_for_an_answer(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃1箱")
    await bot.say("wx_zhang", "豆沙粽3个")
    assert await bot.book() == {("wx_zhang", "豆沙粽"): 3}
    await bot.say("wx_zhang", "B")  # the question about the peaches is still hers to answer
    assert await bot.book() == {("wx_zhang", "豆沙粽"): 3, ("wx_zhang", "水蜜桃小果"): 1}


# -- fragments: two messages that only make sense together -----------------------------------------


@pytest.mark.parametrize(("first", "second"), [("要豆沙粽", "三个"), ("我要豆沙粽哈", "3个"), ("三个", "豆沙粽")])
async def test_two_quick_messages_are_read_together(bot: Harness, first: str, second: str) -> None:
    await open_peach(bot)
    await bot.say("wx_li", first)
    await bot.say("wx_li", second, after=2)
    await bot.settle()
    assert await bot.book() == {("wx_li", "豆沙粽"): 3}
    # The question was replaced by the confirmation before the group saw it.
    assert said_to(bot, "李四") == ["@李四 已记录：豆沙粽×3，共¥18"]


async def test_a_slower_second_half_answers_the_question(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_li", "要豆沙粽")
    await bot.wait(60)
    await bot.say("wx_li", "三个")
    await bot.settle()
    assert await bot.book() == {("wx_li", "豆沙粽"): 3}
    assert said_to(bot, "李四") == ["@李四 「要豆沙粽」没写数量：豆沙粽要几个？回数字（还没有记录）",
                                   "@李四 已记录：豆沙粽×3，共¥18"]


# -- the owner asking in her own words -----------------------------------------------------------------


async def test_her_reply_to_the_owners_own_question_is_an_answer(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_wang", "水蜜桃两箱")
    await bot.settle()
    await bot.say("wx_owner", "@王五 要大果还是小果？", mentions=("wx_wang",))
    await bot.say("wx_wang", "大的 三箱")
    assert await bot.book() == {("wx_wang", "水蜜桃大果"): 3}


async def test_the_owner_asking_about_an_entry_on_her_list(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_wang", "水蜜桃两箱")
    await bot.wait(31 * 60)  # unanswered: on the owner's list now
    assert "王五：水蜜桃两箱" in private(bot)[-1]
    await bot.say("wx_owner", "@王五 王五你要大果还是小果？", mentions=("wx_wang",))
    await bot.say("wx_wang", "小的")
    assert await bot.book() == {("wx_wang", "水蜜桃小果"): 2}
    await bot.say("wx_owner", "/待确认")
    assert private(bot)[-1] == "没有需要确认的订单。"


async def test_the_owners_remark_mentioning_someone_with_nothing_open_changes_nothing(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_owner", "@李四 水蜜桃要大果还是小果？", mentions=("wx_li",))
    await bot.say("wx_li", "大的")
    await bot.settle()
    assert await bot.book() == {}


# -- to the owner, last, gathered --------------------------------------------------------------------


async def test_unanswered_questions_reach_the_owner_together_after_the_wait(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.say("wx_li", "+1")
    await bot.say("wx_wang", PEACH_LIST + "1. 8-1101 王五 老规矩")
    await bot.wait(29 * 60)
    assert private(bot) == []
    await bot.wait(2 * 60)
    (gathered,) = private(bot)
    assert gathered.startswith("📝 「阳光花园水果团购群」有3条问了团员、没有回复，已放进待确认：")
    for who in ("张三：水蜜桃两箱", "李四：+1", "王五：8-1101 王五 老规矩"):
        assert who in gathered
    # Still answerable: her late answer books it and takes it off the owner's list.
    await bot.say("wx_zhang", "B")
    assert await bot.book() == {("wx_zhang", "水蜜桃小果"): 2}
    await bot.say("wx_owner", "/待确认")
    listing = private(bot)[-1]
    assert "张三" not in listing and "李四：+1" in listing and "王五" in listing


async def test_a_question_near_the_close_reaches_the_owner_before_it(bot: Harness) -> None:
    await open_peach(bot)  # 截单 20:00
    bot.now = bot.now.replace(hour=19, minute=40)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.wait(11 * 60)  # 19:51: ten minutes before the close, not thirty after asking
    assert "张三：水蜜桃两箱" in private(bot)[-1]


async def test_at_the_close_open_questions_are_on_the_owners_totals(bot: Harness) -> None:
    await open_peach(bot)
    bot.now = bot.now.replace(hour=19, minute=55)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.wait(10 * 60)
    totals = private(bot)[-1]
    assert "需要团长确认（1条）" in totals and "张三：水蜜桃两箱" in totals
    await bot.say("wx_zhang", "A")  # too late: the campaign is closed
    assert await bot.book() == {}


async def test_the_owners_confirm_closes_the_question(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.wait(31 * 60)
    number = private(bot)[-1].split("#")[1].split(" ")[0]
    await bot.say("wx_owner", f"/确认 {number} 水蜜桃大果2箱")
    await bot.say("wx_zhang", "B")  # no longer a question to answer: never a second booking
    assert await bot.book() == {("wx_zhang", "水蜜桃大果"): 2}


async def test_a_question_survives_a_restart(open_bot: OpenBot) -> None:
    bot = await open_bot()
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.close()
    again = await open_bot()
    again.now = bot.now + timedelta(minutes=1)
    await again.say("wx_zhang", "大的", msg_id="after-restart")
    assert await again.book() == {("wx_zhang", "水蜜桃大果"): 2}


async def test_one_open_question_each_an_earlier_one_goes_to_the_owner(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_zhang", "水蜜桃两箱")
    await bot.say("wx_zhang", "+1")
    assert "张三：水蜜桃两箱（商品名对应多个商品，后来又问了她别的，这条没有回答）" in private(bot)[-1]
    await bot.say("wx_zhang", "C")
    assert await bot.book() == {("wx_zhang", "豆沙粽"): 1}


# -- the reader's questions (SEAMS.md #1), as the order book takes them -------------------------------


async def test_a_readers_question_books_only_what_is_certain_and_asks_the_rest(
        bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    await open_peach(bot)
    campaign = await bot.svc.campaigns.open_in("r1")
    assert campaign is not None
    refs = {p.name: p for p in catalog_of(await bot.svc.campaigns.products(campaign.id)).products}
    question = Question("腊肉粽两个", "「腊肉粽两个」没看懂：是要 鲜肉粽×2 吗？回「是」", (
        Choice("是", ("对",), Intent(Action.SET, items=(Item(refs["鲜肉粽"], 2),))),))
    real = parse_order_text

    def reader(text: str, catalog: Catalog, *, max_qty: int = 99) -> Intent:
        if text == "豆沙粽一个腊肉粽两个":
            return Intent(Action.ASK, items=(Item(refs["豆沙粽"], 1),), question=question)
        return real(text, catalog, max_qty=max_qty)

    monkeypatch.setattr(ordering, "parse_order_text", reader)
    await bot.say("wx_li", "豆沙粽一个腊肉粽两个")
    await bot.settle()
    assert await bot.book() == {("wx_li", "豆沙粽"): 1}
    assert said_to(bot, "李四") == ["@李四 已记录：豆沙粽×1，共¥6；「腊肉粽两个」没看懂：是要 鲜肉粽×2 吗？回「是」"]
    await bot.say("wx_li", "对")
    assert await bot.book() == {("wx_li", "豆沙粽"): 1, ("wx_li", "鲜肉粽"): 2}


async def test_a_question_from_a_private_order_is_answered_privately(bot: Harness) -> None:
    await open_peach(bot)
    await bot.say("wx_li", "水蜜桃两箱", room=None)
    assert "「水蜜桃两箱」是要哪个？A 水蜜桃大果×2 还是 B 水蜜桃小果×2？回 A 或 B" in private(bot, "wx_li")[-1]
    await bot.say("wx_li", "B", room=None)
    assert await bot.book() == {("wx_li", "水蜜桃小果"): 2}
    assert "已记录：水蜜桃小果×2" in private(bot, "wx_li")[-1]
