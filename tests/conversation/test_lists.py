"""A list is a list whatever its decoration: bullets, table rows, dividers, a member's own header in
【】, products separated by ｜, entries wrapping onto the next line, no #接龙 at all — read by its
lines. Notes in lines stay notes."""

from __future__ import annotations

import pytest

from bot.parsing.jielong import parse_copy
from tests.conversation.people import with_people
from tests.harness import Harness

ZONGZI = "/开团 端午粽子团\n豆沙粽 6元/个\n鲜肉粽 8元/个\n蛋黄粽 9元/个\n截单 11-20 20:00"
MORE = {"wx_he": "小何", "wx_liu": "刘姐"}


@pytest.fixture
async def group(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    await with_people(bot, monkeypatch, MORE, "阳光花园水果团购群", ZONGZI)
    await bot.say("wx_he", "#接龙\n端午粽子团\n\n1. 6-301 小何 蛋黄粽1个")
    bot.take()
    return bot


@pytest.mark.parametrize("decorated", [
    "【端午粽子团】\n————————\n• 6-301 小何 蛋黄粽1个\n• 5-1203 王五 豆沙粽2个｜鲜肉粽1个",
    "端午粽子\n- 6-301 小何 蛋黄粽1个\n- 5-1203 王五 豆沙粽2个、鲜肉粽1个\n==========",
    "◆ 6-301 小何 蛋黄粽1个\n◆ 5-1203 王五 豆沙粽2个 鲜肉粽1个",
    "* 6-301 小何 蛋黄粽1个\n* 5-1203 王五 豆沙粽2个 鲜肉粽1个",
    "｜楼号｜名字｜订单｜\n｜---｜---｜---｜\n｜6-301｜小何｜蛋黄粽1个｜\n｜5-1203｜王五｜豆沙粽2个 鲜肉粽1个｜",
    # A row with empty cells carries on the row above it.
    "｜楼号｜名字｜订单｜\n｜---｜---｜---｜\n｜6-301｜小何｜蛋黄粽1个｜\n｜5-1203｜王五｜豆沙粽2个｜\n｜ ｜ ｜鲜肉粽1个｜",
    "6-301 小何 蛋黄粽1个\n5-1203 王五 豆沙粽2个 鲜肉粽1个",
    "#接龙 端午粽子团\n1. 6-301 小何 蛋黄粽1个\n2. 5-1203 王五 豆沙粽2个、\n   鲜肉粽1个\n\n下午3点后取",
])
async def test_a_decorated_list_without_the_tag_is_read_line_by_line(group: Harness, decorated: str) -> None:
    bot = group
    await bot.say("wx_wang", decorated)
    await bot.settle()
    # 小何's line stays hers, once; the poster's own line is his, whole.
    assert await bot.book() == {("wx_he", "蛋黄粽"): 1, ("wx_wang", "豆沙粽"): 2, ("wx_wang", "鲜肉粽"): 1}


async def test_a_list_of_other_households_is_never_the_posters(group: Harness) -> None:
    bot = group
    await bot.say("wx_zhao", "9-909 老陈 豆沙粽2个\n9-910 老王 鲜肉粽1个")
    await bot.settle()
    assert ("wx_zhao", "豆沙粽") not in await bot.book()


async def test_her_own_lines_without_a_list_are_her_order(group: Harness) -> None:
    bot = group
    await bot.say("wx_li", "7-1101 李四 豆沙粽1个\n蛋黄粽2个")
    await bot.settle()
    assert await bot.book() == {("wx_he", "蛋黄粽"): 1, ("wx_li", "豆沙粽"): 1, ("wx_li", "蛋黄粽"): 2}


@pytest.mark.parametrize(("line", "note", "booked"), [
    ("2-202 赵六 豆沙粽2个（少放糖）", "少放糖", {"豆沙粽": 2}),
    ("2-202 赵六 豆沙粽2个 备注：多放2个袋子", "多放2个袋子", {"豆沙粽": 2}),
    ("2-202 赵六 鲜肉粽3个 下午3点后取", "下午3点后取", {"鲜肉粽": 3}),
    ("2-202 赵六 蛋黄粽1个 备注:5点到", "5点到", {"蛋黄粽": 1}),
    ("2-202 赵六 豆沙粽2个 备注：鲜肉粽2个明天再说", "鲜肉粽2个明天再说", {"豆沙粽": 2}),
])
async def test_a_note_in_a_line_is_kept_and_never_an_order(group: Harness, line: str, note: str,
                                                           booked: dict[str, int]) -> None:
    bot = group
    await bot.say("wx_zhao", f"#接龙\n端午粽子团\n\n1. 6-301 小何 蛋黄粽1个\n2. {line}")
    await bot.settle()
    assert {p: q for (m, p), q in (await bot.book()).items() if m == "wx_zhao"} == booked
    # The line as she wrote it, note and all, is what the merged list shows.
    await bot.say("wx_li", "#接龙\n端午粽子团\n\n1. 7-1101 李四 豆沙粽1个")
    await bot.wait(10 * 60)  # the fork lasted: the merged list is said
    merged = [t for t in bot.texts() if "最新的接龙" in t]
    assert merged and note in merged[-1].split("2-202 赵六")[1].split("\n")[0]


def test_an_owners_bulleted_drop_keeps_its_price_lines_in_the_header() -> None:
    copy = parse_copy("#接龙\n端午粽子团\n◆ 豆沙粽 6元/个\n◆ 鲜肉粽 8元/个\n\n1. 6-301 小何 蛋黄粽1个")
    assert copy is not None
    assert "◆ 豆沙粽 6元/个" in copy.header and [e.text for e in copy.entries] == ["6-301 小何 蛋黄粽1个"]


def test_a_divider_line_is_not_a_quote_reply() -> None:
    from bot.parsing.textnorm import own_words

    listing = "• 6-301 小何 蛋黄粽1个\n-----------\n• 5-1203 王五 豆沙粽2个"
    assert own_words(listing) == listing
    assert own_words("「张三：豆沙粽2个」\n- - - - - - - - - - - - - - -\n我也要，鲜肉粽1个") == "我也要，鲜肉粽1个"


# -- a decorated copy whose poster's own entry wraps onto the next line ----------------------------------

HARVEST = "/开团 周五果蔬拼单\n赣南脐橙 39元/箱\n烟薯 18元/袋\n水果玉米 25元/袋\n截单 11-21 20:00"
NEIGHBOURS = {"wx_ning": "阿宁", "wx_qiao": "乔乔", "wx_wu": "武哥"}


@pytest.fixture
async def harvest(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return await with_people(bot, monkeypatch, NEIGHBOURS, "枫林苑团购群", HARVEST)


@pytest.mark.parametrize("copy", [
    "【枫林苑·周五拼单】\n脐橙39/箱  烟薯18/袋  玉米25/袋\n————————\n• 5-302 乔乔 脐橙1箱\n• 9-1101 武哥 玉米2袋\n"
    "• 3-1202 阿宁 烟薯1袋\n   玉米1袋\n————————\n周六上午北门自提",
    "接龙 枫林苑团👇\n脐橙39/箱｜烟薯18/袋｜玉米25/袋\n- 5-302｜乔乔｜脐橙1箱\n* 9-1101｜武哥｜玉米2袋\n"
    "◆ 3-1202｜阿宁｜烟薯1袋\n  玉米1袋",
    "【枫林苑】\n• 乔乔 脐橙1箱\n• 武哥 玉米2袋\n• 阿宁 烟薯1袋、\n  玉米1袋\n======\n周六上午北门自提",
])
async def test_her_own_entry_wrapping_onto_the_next_line_is_booked_whole_and_confirmed(
        harvest: Harness, copy: str) -> None:
    bot = harvest
    await bot.say("wx_ning", copy)
    await bot.settle()
    book = await bot.book()
    # Her entry with its continuation line is hers, whole; the footer books nothing.
    assert {p: q for (m, p), q in book.items() if m == "wx_ning"} == {"烟薯": 1, "水果玉米": 1}
    # The other rows are the members they name, never hers.
    assert book.get(("wx_qiao", "赣南脐橙")) == 1 and book.get(("wx_wu", "水果玉米")) == 2
    assert any("@阿宁 已记录：烟薯×1、水果玉米×1" in t for t in bot.texts())


async def test_rows_naming_people_not_in_the_group_are_never_the_posters(harvest: Harness) -> None:
    bot = harvest
    # 小乔 and 阿武 are nobody here: their rows go to the owner, never to the poster (not even the last one).
    await bot.say("wx_ning", "【枫林苑·周五拼单】\n• 3-1202 阿宁 烟薯1袋\n  玉米1袋\n• 5-302 小乔 脐橙1箱\n"
                             "• 9-1101 阿武 玉米2袋\n————————\n周六上午北门自提")
    await bot.settle()
    assert await bot.book() == {("wx_ning", "烟薯"): 1, ("wx_ning", "水果玉米"): 1}
    checks = "\n".join(bot.private())
    assert "小乔 脐橙1箱" in checks and "阿武 玉米2袋" in checks


async def test_a_price_line_in_a_decorated_copy_is_never_a_quantity(harvest: Harness) -> None:
    bot = harvest
    # Without house numbers and with names that are nobody here, the copy is still a list: "脐橙39/箱"
    # is a price, never 39 boxes for the poster.
    await bot.say("wx_ning", "接龙 枫林苑团👇\n脐橙39/箱｜烟薯18/袋｜玉米25/袋\n- 小乔｜脐橙1箱\n* 阿武｜玉米2袋\n"
                             "- 阿宁｜烟薯1袋\n  玉米1袋")
    await bot.settle()
    assert await bot.book() == {("wx_ning", "烟薯"): 1, ("wx_ning", "水果玉米"): 1}


@pytest.mark.parametrize(("copy", "asked"), [
    # Her row has a quantity that cannot be taken as written: she is asked about it.
    ("【枫林苑】\n• 小乔 脐橙1箱\n• 阿武 玉米2袋\n• 阿宁 烟薯一袋半", "「烟薯一袋半」"),
    # Every row names someone else: she is told nothing was booked for her.
    ("【枫林苑】\n• 5-302 乔乔 脐橙1箱\n• 9-1101 武哥 玉米2袋", "看不出哪一行是你的"),
    ("【枫林苑】\n• 5-302 阿宁妈 脐橙1箱\n• 9-1101 小乔 玉米2袋\n• 9-1102 阿武 玉米1袋", "看不出哪一行是你的"),
])
async def test_a_copy_that_cannot_be_read_as_hers_asks_her(harvest: Harness, copy: str, asked: str) -> None:
    bot = harvest
    await bot.say("wx_ning", copy)
    await bot.settle()
    assert not {p for (m, p) in await bot.book() if m == "wx_ning"}
    assert any(part.startswith("@阿宁 ") and asked in part for t in bot.texts() for part in t.split("\n"))


async def test_a_line_wrapping_under_another_members_row_stays_hers(harvest: Harness) -> None:
    bot = harvest
    await bot.say("wx_ning", "【枫林苑】\n• 5-302 乔乔 脐橙1箱\n   玉米1袋\n• 3-1202 阿宁 烟薯2袋")
    await bot.settle()
    book = await bot.book()
    assert {p: q for (m, p), q in book.items() if m == "wx_ning"} == {"烟薯": 2}
    assert {p: q for (m, p), q in book.items() if m == "wx_qiao"} == {"赣南脐橙": 1, "水果玉米": 1}


async def test_a_row_with_only_her_name_takes_the_products_on_the_line_under_it(harvest: Harness) -> None:
    bot = harvest
    # 小乔 is nobody here: her row goes to the owner; the poster's row is only her name, her products under it.
    await bot.say("wx_ning", "【枫林苑】\n• 5-302 小乔 脐橙1箱\n• 3-1202 阿宁\n   烟薯1袋 玉米1袋")
    await bot.settle()
    assert await bot.book() == {("wx_ning", "烟薯"): 1, ("wx_ning", "水果玉米"): 1}
    assert "小乔 脐橙1箱" in "\n".join(bot.private())


def test_a_bulleted_copy_read_on_carries_its_last_row_on_as_a_fresh_read_does() -> None:
    from bot.parsing import jielong

    # Long enough to be remembered by its opening: the next copy is read on from where this one ended.
    before = "【枫林苑·周五拼单】" + "周六上午北门自提，" * 40 + "\n• 5-302 乔乔 脐橙1箱"
    parse_copy(before)
    read_on = parse_copy(before + "\n   玉米1袋")
    jielong._RECENT.clear()
    fresh = parse_copy(before + "\n   玉米1袋")
    assert read_on == fresh and fresh is not None and fresh.loose[-1][1].follows


@pytest.mark.parametrize("copy", [
    "【枫林苑】\n• 5-302 乔乔 脐橙1箱\n• 3-1202 阿宁 烟薯1袋\n   2袋",
    "【枫林苑】\n• 3-1202 阿宁 烟薯1袋\n   2袋\n• 5-302 乔乔 脐橙1箱",
])
async def test_a_quantity_alone_under_her_row_is_asked_about(harvest: Harness, copy: str) -> None:
    bot = harvest
    await bot.say("wx_ning", copy)
    await bot.settle()
    said = [part for t in bot.texts() for part in t.split("\n") if part.startswith("@阿宁 ")]
    # "2袋" under her row is hers to explain: never dropped while her row is confirmed as if whole.
    assert said and all("2袋" in part for part in said)
