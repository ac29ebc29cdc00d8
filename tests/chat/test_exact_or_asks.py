"""Exact or asks: every message touching an order is applied whole and confirmed, or it goes
to the owner's check list with a specific hint to the member — never a part, never silently,
never to the wrong member. Driven through the real app, as the group and the owner see it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.domain.services import Settings
from bot.models import MessageKind
from bot.render.export import order_book
from tests.harness import FRUIT, Harness, OpenBot, copy

MARKET = "/开团 周末菜团\n苹果 5元/个\n香蕉 8元/把\n青菜 3元/斤\n土豆 2元/斤\n牛排套餐 58元/份\n红心柚 15元/个"
MARKET_HEAD = "#接龙\n周末菜团\n\n"


def market(*lines: str) -> str:
    return MARKET_HEAD + "\n".join(lines)


def private(bot: Harness, to: str) -> list[str]:
    return [o.text for _, o in bot.transport.sent if o.to == to]


# -- numbering styles -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "member", "expected"),
    [
        ("(2) 5-702 李四 青菜2斤 土豆1斤", "wx_li", {"青菜": 2, "土豆": 1}),
        ("（2）5-702 李四 青菜2斤", "wx_li", {"青菜": 2}),
        ("2️⃣ 2-101 李四 苹果2个", "wx_li", {"苹果": 2}),
        ("1️⃣2️⃣ 2-101 李四 香蕉1把", "wx_li", {"香蕉": 1}),
        ("🔟 2-101 李四 苹果3个", "wx_li", {"苹果": 3}),
        ("2-101 李四 苹果1个", "wx_li", {"苹果": 1}),  # no number at the end
    ],
)
async def test_every_numbering_style_orders(bot: Harness, line: str, member: str, expected: dict[str, int]) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 3-502 张三 苹果1个"))
    await bot.say(member, market("1. 3-502 张三 苹果1个", line))
    await bot.settle()
    book = await bot.book()
    assert {p: q for (m, p), q in book.items() if m == member} == expected
    assert book[("wx_zhang", "苹果")] == 1


async def test_an_unnumbered_line_in_the_middle_is_read_and_kept_in_the_merged_list(bot: Harness) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 3-502 张三 苹果1个"))
    await bot.say("wx_li", market("1. 3-502 张三 苹果1个", "7-1101 李四 香蕉1把"))
    await bot.say("wx_wang", market("1. 3-502 张三 苹果1个", "7-1101 李四 香蕉1把", "3. 5-1203 王五 青菜2斤",
                                    "", "今晚8点截单，明天自提"))
    assert await bot.book() == {("wx_zhang", "苹果"): 1, ("wx_li", "香蕉"): 1, ("wx_wang", "青菜"): 2}
    # A fork: the merged list carries the unnumbered line too, and never the footer.
    await bot.say("wx_zhao", market("1. 3-502 张三 苹果1个", "2. 2-202 赵六 土豆3斤"))
    await bot.wait(10 * 60)  # the fork lasted: the merged list is said
    merged = [t for t in bot.texts() if "最新的接龙" in t]
    assert merged and "7-1101 李四 香蕉1把" in merged[-1] and "截单，明天自提" not in merged[-1]
    assert ("wx_li", "香蕉") in await bot.book()


# -- distributive quantities and 同上 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("苹果、香蕉各一", {"苹果": 1, "香蕉": 1}), ("苹果香蕉各1份", {"苹果": 1, "香蕉": 1}),
     ("青菜土豆各两斤", {"青菜": 2, "土豆": 2}), ("3-502 张三 苹果和香蕉各2", {"苹果": 2, "香蕉": 2})],
)
async def test_each_product_of_a_distributive_quantity_is_booked_and_confirmed(
        bot: Harness, text: str, expected: dict[str, int]) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", text)
    await bot.say("wx_li", market(f"1. 7-1101 李四 {text}"))
    await bot.settle()
    book = await bot.book()
    for member in ("wx_zhang", "wx_li"):
        assert {p: q for (m, p), q in book.items() if m == member} == expected
    ack = bot.texts()[-1]
    assert all(f"{p}×{q}" in ack for p, q in expected.items())


async def test_same_as_above_copies_the_line_above_when_it_is_clear(bot: Harness) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 3-502 张三 青菜2斤 土豆1斤"))
    await bot.say("wx_li", market("1. 3-502 张三 青菜2斤 土豆1斤", "2. 7-1101 李四 同上"))
    await bot.say("wx_wang", market("1. 3-502 张三 青菜2斤 土豆1斤", "2. 7-1101 李四 同上", "3. 5-1203 王五 同上"))
    await bot.settle()
    book = await bot.book()
    for member in ("wx_li", "wx_wang"):
        assert (book[(member, "青菜")], book[(member, "土豆")]) == (2, 1)
    # Taken exactly as the list shows it: the quiet group needs no acknowledgement.
    assert not any("李四" in t for t in bot.texts())


async def test_same_as_above_with_nothing_readable_above_is_asked(bot: Harness) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 3-502 张三 同上"))
    await bot.say("wx_li", "同上")
    await bot.settle()
    assert await bot.book() == {}
    texts = "\n".join(bot.texts())
    assert "@张三 「3-502 张三 同上」没看懂，没有记录" in texts and "@李四 「同上」看不出指哪一条" in texts


# -- short names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [("牛排2份 苹果3个", {"牛排套餐": 2, "苹果": 3}), ("柚子1个 香蕉1把", {"红心柚": 1, "香蕉": 1}),
     ("套餐1份、柚子2个、青菜1斤", {"牛排套餐": 1, "红心柚": 2, "青菜": 1})],
)
async def test_short_names_in_a_multi_product_line(bot: Harness, line: str, expected: dict[str, int]) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market(f"1. 3-502 张三 {line}"))
    await bot.say("wx_li", line)
    book = await bot.book()
    for member in ("wx_zhang", "wx_li"):
        assert {p: q for (m, p), q in book.items() if m == member} == expected


@pytest.mark.parametrize("line", ["柚子1个 苹果2个", "心柚2个", "苹果1个 柚子来一个"])
async def test_a_short_name_two_products_share_is_asked_and_nothing_is_half_booked(bot: Harness, line: str) -> None:
    await bot.say("wx_owner", "/开团 柚子团\n红心柚 15元/个\n白心柚 12元/个\n苹果 5元/个")
    await bot.say("wx_zhang", "#接龙\n柚子团\n\n1. 3-502 张三 " + line)
    await bot.say("wx_li", line)
    await bot.settle()
    assert await bot.book() == {}
    texts = "\n".join(bot.texts())
    assert "@张三 「" in texts and "是要哪个？A 红心柚" in texts and "还是 B 白心柚" in texts
    assert "@李四 「" in texts
    # Asked in the group first: the owner's list is the last resort.
    assert private(bot, "wx_owner") == []


# -- chatter ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["上次买的苹果2个特别脆👍", "前天那3斤土豆收到了", "昨天的香蕉1把很甜，谢谢团长",
                                  "之前订的牛排2份已收到"])
async def test_past_tense_chatter_is_not_booked_or_answered(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", MARKET)
    bot.take()
    await bot.say("wx_zhang", text)
    await bot.settle()
    assert await bot.book() == {}
    assert bot.take() == []


@pytest.mark.parametrize("text", ["这批个头大，一箱大概12个", "苹果100个的话我得问问供应商", "大家要几份？两份起送吗",
                                  "+1"])
async def test_the_owners_and_admins_own_chatter_is_never_put_to_the_owner(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    bot.take()
    await bot.say("wx_owner", text)
    await bot.say("wx_li", text)
    await bot.settle()
    assert bot.take() == []
    await bot.say("wx_owner", "/汇总")
    assert "需要团长确认" not in private(bot, "wx_owner")[-1]


# -- edits written as sentences, and her latest statement winning ----------------------------------


@pytest.mark.parametrize("text", ["@王姐(团长) 刚才苹果写多了，改成1个", "刚才苹果写多了，改成1个", "苹果写错了 改为1个"])
async def test_an_edit_written_as_a_sentence_is_applied_and_confirmed(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 8-101 张三 苹果3个 香蕉1把"))
    await bot.say("wx_zhang", text, mentions=("wx_owner",) if "@" in text else ())
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "苹果"): 1, ("wx_zhang", "香蕉"): 1}
    assert "@张三 已记录：苹果×1、香蕉×1，共¥13" in bot.texts()[-1]


@pytest.mark.parametrize("text", ["改成3个", "@团长 改成3个", "我的改为三个"])
async def test_an_edit_naming_no_product_is_her_only_product(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 8-101 张三 苹果1个"))
    await bot.say("wx_zhang", text)
    assert await bot.book() == {("wx_zhang", "苹果"): 3}


async def test_an_edit_naming_no_product_with_several_products_asks_which(bot: Harness) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 8-101 张三 苹果1个 香蕉1把"))
    await bot.say("wx_zhang", "改成3个")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "苹果"): 1, ("wx_zhang", "香蕉"): 1}
    assert "@张三 「改成3个」是要哪个？A 苹果×3 还是 B 香蕉×3？回 A 或 B" in bot.texts()[-1]
    # Her next message says which: it is applied and her question is settled.
    await bot.say("wx_zhang", "苹果改成3个")
    assert await bot.book() == {("wx_zhang", "苹果"): 3, ("wx_zhang", "香蕉"): 1}
    await bot.say("wx_owner", "/待确认")
    assert private(bot, "wx_owner")[-1] == "没有需要确认的订单。"


@pytest.mark.parametrize(
    "edit", ["苹果改成2个", "苹果2个", "刚才苹果写少了，改成2个"])
async def test_her_latest_statement_wins_across_a_plain_edit_and_her_copy(bot: Harness, edit: str) -> None:
    await bot.say("wx_owner", MARKET)
    await bot.say("wx_zhang", market("1. 8-101 Amy 苹果1个"))
    await bot.say("wx_zhang", edit)
    assert await bot.book() == {("wx_zhang", "苹果"): 2}
    await bot.say("wx_zhang", market("1. 8-101 Amy 苹果2个 香蕉1把"))
    assert await bot.book() == {("wx_zhang", "苹果"): 2, ("wx_zhang", "香蕉"): 1}
    await bot.say("wx_zhang", market("1. 8-101 Amy 苹果1个 香蕉1把"))
    assert await bot.book() == {("wx_zhang", "苹果"): 1, ("wx_zhang", "香蕉"): 1}


# -- lines the bot never saw ------------------------------------------------------------------


async def test_unseen_lines_go_to_the_members_they_name_never_to_the_poster(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"))
    # 李四's and 王五's copies were never delivered (a restart); 赵六 copies the latest list.
    await bot.say("wx_zhao", copy("3-502 张三 草莓1盒", "7-1101 李四 砂糖橘1箱", "5-1203 王五 草莓2盒",
                                  "2-202 赵六 草莓1盒"))
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1, ("wx_wang", "草莓"): 2,
                                ("wx_zhao", "草莓"): 1}
    ack = bot.texts()[-1]
    assert "@赵六" not in ack  # her own line, taken as written: the list shows it
    assert "@李四 已记录：砂糖橘×1，共¥25；从接龙中补记「7-1101 李四 砂糖橘1箱」" in ack
    assert "@王五 已记录：草莓×2，共¥60；从接龙中补记「5-1203 王五 草莓2盒」" in ack


async def test_an_unseen_line_goes_by_house_number_of_her_earlier_line(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_li", copy("7-1101 小李 草莓1盒"))
    await bot.say("wx_zhang", copy("7-1101 小李 草莓1盒", "3-502 张三 砂糖橘1箱"))
    # 李四 adds a second line in a copy the bot missed; 王五 then copies it.
    await bot.say("wx_wang", copy("7-1101 小李 草莓1盒", "3-502 张三 砂糖橘1箱", "7-1101 小李妈妈 砂糖橘2箱",
                                  "5-1203 王五 草莓1盒"))
    assert await bot.book() == {("wx_li", "草莓"): 1, ("wx_li", "砂糖橘"): 2, ("wx_zhang", "砂糖橘"): 1,
                                ("wx_wang", "草莓"): 1}


@pytest.mark.parametrize("stranger", ["9-909 邻居老陈 草莓3盒", "老陈 砂糖橘1箱", "草莓2盒"])
async def test_an_unseen_line_naming_nobody_goes_to_the_owners_check_list(bot: Harness, stranger: str) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"))
    bot.take()
    await bot.say("wx_li", copy("3-502 张三 草莓1盒", stranger, "7-1101 李四 砂糖橘1箱"))
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1}
    assert not any("李四" in t or "张三" in t for t in bot.texts())
    note = private(bot, "wx_owner")
    assert len(note) == 1 and stranger in note[0] and "接龙里这行对不上是谁的" in note[0]
    assert all(stranger not in t for t in bot.texts())  # the check list is never posted in the group


async def test_her_own_line_appended_at_the_end_is_hers_without_her_name(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"))
    await bot.say("wx_li", copy("3-502 张三 草莓1盒", "7-1101 Lily 砂糖橘1箱"))
    await bot.say("wx_wang", copy("3-502 张三 草莓1盒", "7-1101 Lily 砂糖橘1箱", "草莓2盒"))
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1, ("wx_wang", "草莓"): 2}


async def test_an_unseen_line_overlapping_her_order_is_checked_not_doubled(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_li", "草莓2盒")
    # Her 接龙 line was missed: is it the same order, or more? Only she knows.
    await bot.say("wx_zhao", copy("7-1101 李四 草莓2盒", "2-202 赵六 草莓1盒"))
    assert await bot.book() == {("wx_li", "草莓"): 2, ("wx_zhao", "草莓"): 1}
    assert "从接龙补记的行和她已有的订单重叠" in private(bot, "wx_owner")[-1]


# -- native 群接龙 --------------------------------------------------------------------------------


def _native(*entries: tuple[str, str], cut: int | None = None) -> str:
    title = "#接龙\n周六水果团\n\n" + "\n".join(f"{i}. {t}" for i, (_, t) in enumerate(entries, 1))
    authors = "".join(f"<i><u>{a}</u></i>" for a, _ in entries)
    xml = (f"<msg><appmsg><title>{title}</title><type>53</type><extinfo><solitaire_info><![CDATA["
           f"<solitaire><content>{authors}</content></solitaire>]]></solitaire_info></extinfo></appmsg></msg>")
    return xml[:cut] if cut is not None else xml


@pytest.mark.parametrize("cut", [60, 120, 200, -40, -5])
async def test_a_malformed_native_list_changes_nothing_and_the_next_intact_one_counts(
        bot: Harness, cut: int, caplog: pytest.LogCaptureFixture) -> None:
    await bot.say("wx_owner", FRUIT)
    entries = (("wx_zhang", "3-502 张三 草莓2盒"), ("wx_li", "7-1101 李四 砂糖橘1箱"))
    bot.take()
    with caplog.at_level(logging.WARNING):
        await bot.say("wx_li", _native(*entries, cut=cut), kind=MessageKind.SOLITAIRE)
    await bot.settle()
    assert await bot.book() == {}
    assert bot.take() == []
    assert any("does not parse" in r.getMessage() for r in caplog.records)
    await bot.say("wx_li", _native(*entries), kind=MessageKind.SOLITAIRE)
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}


# -- the waitlist ---------------------------------------------------------------------------------


async def test_freed_stock_goes_to_the_waitlist_in_order_and_shows_everywhere(bot: Harness, tmp_path: Path) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量4\n砂糖橘 25元/箱")
    await bot.say("wx_zhang", "草莓3盒")
    await bot.say("wx_li", "草莓2盒")  # 1 granted, 1 waiting
    await bot.say("wx_wang", "草莓2盒")  # 2 waiting
    await bot.say("wx_zhao", "草莓1盒")  # 1 waiting
    await bot.say("wx_owner", "/汇总")
    assert "⏳ 草莓候补：4盒（3人）" in private(bot, "wx_owner")[-1]
    await bot.say("wx_wang", "我的订单")
    assert "候补中：草莓×2" in bot.texts()[-1]
    data = await order_book(bot.db)
    assert data is not None
    from bot.domain.reports import supplier_list

    (strawberry, _) = (await supplier_list(bot.db, 1)).rows
    assert (strawberry.qty, strawberry.waiting) == (4, 4)
    bot.take()
    await bot.say("wx_zhang", "草莓1盒")  # frees 2: 李四 first, then 1 of 王五's 2
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 2, ("wx_wang", "草莓"): 1}
    ack = bot.texts()[-1]
    assert "@李四 已记录：草莓×2，共¥60；候补到了：草莓补上1盒" in ack
    assert "@王五 已记录：草莓×1，共¥30；候补到了：草莓补上1盒，还候补1盒" in ack
    await bot.say("wx_owner", "/汇总")
    assert "⏳ 草莓候补：2盒（2人）" in private(bot, "wx_owner")[-1]
    # She changes her mind: she leaves the waitlist, and 赵六 is next.
    await bot.say("wx_wang", "草莓不要了")
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 2, ("wx_zhao", "草莓"): 1}


async def test_resending_a_sold_out_order_keeps_one_place_in_the_waitlist(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量1")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_li", "草莓2盒")
    await bot.say("wx_wang", "草莓1盒")
    await bot.say("wx_li", "草莓2盒")  # sent again: still first in line, still 2
    await bot.say("wx_owner", "/汇总")
    assert "⏳ 草莓候补：3盒（2人）" in private(bot, "wx_owner")[-1]
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {("wx_li", "草莓"): 1}



async def test_editing_a_waiting_jielong_line_keeps_her_place_in_the_queue(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量1")
    await bot.say("wx_zhang", "草莓1盒")  # takes the only box
    await bot.say("wx_li", copy("李四 草莓1盒"))  # sold out: first in the queue
    await bot.say("wx_wang", copy("李四 草莓1盒", "王五 草莓1盒"))  # second
    # 李四 only adds a note to her own line: she still wants the same box, first.
    await bot.say("wx_li", copy("李四 草莓1盒 周六取", "王五 草莓1盒"))
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {("wx_li", "草莓"): 1}


async def test_editing_a_waiting_native_jielong_line_keeps_her_place_in_the_queue(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量1")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_li", _native(("wx_li", "李四 草莓1盒")), kind=MessageKind.SOLITAIRE)
    await bot.say("wx_wang", _native(("wx_li", "李四 草莓1盒"), ("wx_wang", "王五 草莓1盒")),
                  kind=MessageKind.SOLITAIRE)
    await bot.say("wx_li", _native(("wx_li", "李四 草莓1盒 周六取"), ("wx_wang", "王五 草莓1盒")),
                  kind=MessageKind.SOLITAIRE)
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {("wx_li", "草莓"): 1}


async def test_editing_a_partly_held_jielong_line_keeps_her_place_for_the_rest(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量3")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", copy("李四 草莓3盒"))  # 1 box now, 2 waiting: first in the queue
    await bot.say("wx_wang", copy("李四 草莓3盒", "王五 草莓1盒"))  # 1 waiting, behind her
    # A note added to her line: the same 3 boxes, the box she holds and her place.
    await bot.say("wx_li", copy("李四 草莓3盒 周六取", "王五 草莓1盒"))
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "草莓"): 1}
    await bot.say("wx_owner", "/汇总")
    assert "⏳ 草莓候补：3盒（2人）" in private(bot, "wx_owner")[-1]  # her 2 and his 1, each once
    await bot.say("wx_zhang", "取消")  # frees 2: both are hers
    assert await bot.book() == {("wx_li", "草莓"): 3}


async def test_editing_a_partly_held_native_jielong_line_keeps_her_place_for_the_rest(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量3")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", _native(("wx_li", "李四 草莓3盒")), kind=MessageKind.SOLITAIRE)
    await bot.say("wx_wang", _native(("wx_li", "李四 草莓3盒"), ("wx_wang", "王五 草莓1盒")),
                  kind=MessageKind.SOLITAIRE)
    await bot.say("wx_li", _native(("wx_li", "李四 草莓3盒 周六取"), ("wx_wang", "王五 草莓1盒")),
                  kind=MessageKind.SOLITAIRE)
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {("wx_li", "草莓"): 3}


async def test_a_jielong_line_restating_her_plain_order_keeps_her_place_for_the_rest(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量3")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓3盒")  # 1 box now, 2 waiting
    await bot.say("wx_wang", "草莓1盒")  # 1 waiting, behind her
    await bot.say("wx_li", copy("李四 草莓3盒"))  # the same 3 boxes, now on the 接龙
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "草莓"): 1}
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {("wx_li", "草莓"): 3}


@pytest.mark.parametrize(("edited", "book"), [
    ("李四 草莓1盒", {("wx_li", "草莓"): 1, ("wx_wang", "草莓"): 1}),  # she waits for nothing now
    (None, {("wx_wang", "草莓"): 1}),  # her line gone: her box and her place both go
])
async def test_reducing_a_partly_held_jielong_line_gives_up_her_place(
        bot: Harness, edited: str | None, book: dict[tuple[str, str], int]) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量3")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", copy("李四 草莓3盒"))
    await bot.say("wx_wang", copy("李四 草莓3盒", "王五 草莓1盒"))
    await bot.say("wx_li", copy(*([edited] if edited else []), "王五 草莓1盒"))
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == book

# -- replies that say the right thing -------------------------------------------------------------


@pytest.mark.parametrize("text", ["取消", "我的订单取消", "草莓不要了", "全部不要了"])
async def test_cancelling_without_an_order_says_so(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "砂糖橘1箱" if text == "草莓不要了" else "收到")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", text)
    await bot.settle()
    assert bot.texts() == ["@张三 你还没有这个订单，不用取消"]


@pytest.mark.parametrize(
    ("text", "hint"),
    [("草莓2盒可以吗？", "带问句，还没有记录：是要 草莓×2 吗？回「是」就记上"), ("草莓2盒还有吗", "是要 草莓×2 吗？"),
     ("草莓100盒", "数量超过99，没有记录，已转给团长确认"), ("砂糖橘一百箱", "数量超过99"),
     ("+1", "「+1」是要哪个？A 草莓×1 还是 B 砂糖橘×1？回 A 或 B")],
)
async def test_each_hint_names_the_actual_reason(bot: Harness, text: str, hint: str) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", text)
    await bot.settle()
    (ack,) = bot.texts()
    assert ack.startswith("@张三 ") and hint in ack
    if "数量超过" in hint:
        # Past the maximum the owner decides: she hears of it privately, with how to settle it.
        assert f"张三：{text}" in private(bot, "wx_owner")[-1]
    else:
        # A reading she can confirm in a word: she is asked first, the owner is not bothered.
        assert private(bot, "wx_owner") == []


async def test_the_owner_settles_the_check_list_with_confirm_and_dismiss(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒可以吗？")
    await bot.say("wx_li", copy("7-1101 李四 老样子"))
    # Neither answers her question: after the wait both reach the owner, in one message.
    await bot.wait(31 * 60)
    (gathered,) = private(bot, "wx_owner")
    assert "有2条问了团员、没有回复，已放进待确认" in gathered and "张三：草莓2盒可以吗？" in gathered
    await bot.say("wx_owner", "/待确认")
    listing = private(bot, "wx_owner")[-1]
    assert "张三：草莓2盒可以吗？（带问句，她没有回复）" in listing
    assert "李四：7-1101 李四 老样子（没认出商品或数量，她没有回复）" in listing
    first, second = (int(n) for n in __import__("re").findall(r"#(\d+)（", listing))
    bot.take()
    await bot.say("wx_owner", f"/确认 {first} 草莓2盒")
    await bot.say("wx_owner", f"/忽略 {second}")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert "@张三 团长已确认，已记录：草莓×2，共¥60" in "\n".join(bot.texts()).split("\n")
    assert private(bot, "wx_owner")[:2] == [f"已确认 #{first}：张三 现在是 草莓×2",
                                            f"已忽略 #{second}：李四：7-1101 李四 老样子"]
    await bot.say("wx_owner", "/待确认")
    assert private(bot, "wx_owner")[-1] == "没有需要确认的订单。"
    await bot.say("wx_owner", f"/忽略 {second}")
    assert private(bot, "wx_owner")[-1] == f"待确认 #{second} 已经处理过了。"
    await bot.say("wx_zhang", f"/忽略 {first}")  # a member cannot settle anything
    assert private(bot, "wx_zhang")[-1] == f"没有待确认 #{first}。发 /待确认 查看清单。"


async def test_a_member_who_fixes_her_message_leaves_the_check_list(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒可以吗？")
    await bot.say("wx_li", "+1")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.say("wx_owner", "/汇总")
    assert "需要团长确认" not in private(bot, "wx_owner")[-1]
    await bot.say("wx_owner", "/待确认")
    assert private(bot, "wx_owner")[-1] == "没有需要确认的订单。"


@pytest.mark.parametrize("order", ["草莓2盒", "3-502 张三 砂糖橘1箱"])
async def test_an_over_long_order_is_answered(open_bot: OpenBot, order: str) -> None:
    bot = await open_bot(settings=Settings(max_message_chars=1000))
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", order + " " * 2000)
    await bot.say("wx_li", "哈" * 2000)  # no product: chatter, not answered
    await bot.settle()
    assert await bot.book() == {}
    assert bot.texts() == ["@张三 这条消息超过1000字，没有读取，订单没有记录。请只发自己的一行，或分几条发"]


@pytest.mark.parametrize("text", ["草莓不要了", "取消"])
async def test_cancelling_what_she_only_waited_for_leaves_the_waitlist(bot: Harness, text: str) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量1")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_li", "草莓2盒")
    await bot.say("wx_wang", "草莓1盒")
    await bot.settle()
    bot.take()
    await bot.say("wx_li", text)
    await bot.settle()
    assert bot.texts() == ["@李四 草莓的候补已取消"]
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {("wx_wang", "草莓"): 1}
