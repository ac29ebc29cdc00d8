"""The pure parsers, on tables of real-looking lines."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import DEFAULT_TZ
from bot.parsing.campaign_spec import parse_jielong_drop, parse_open_command, parse_product_line
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.items import extract
from bot.parsing.jielong import parse_copy
from bot.parsing.native_solitaire import parse_native
from bot.parsing.order_text import Action, parse_order_text
from bot.parsing.privacy import mask
from bot.parsing.textnorm import own_words
from bot.parsing.timeparse import parse_when

FRUIT = Catalog([ProductRef(1, "草莓", None, "盒"), ProductRef(2, "砂糖橘", None, "箱")])
CODED = Catalog([ProductRef(1, "草莓", "A", "盒"), ProductRef(2, "砂糖橘", "B", "箱"), ProductRef(3, "鸡蛋", "C", "板")])
SINGLE = Catalog([ProductRef(1, "丹东草莓", None, "盒")])
NOW = datetime(2026, 11, 20, 8, 0, 37, tzinfo=DEFAULT_TZ)


def items(text: str, catalog: Catalog = FRUIT, **kw: bool) -> dict[str, int]:
    return {i.product.name: i.qty for i in extract(text, catalog, **kw).items}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("3-502 张三 草莓2盒", {"草莓": 2}),
        ("5-1203 王五 草莓1盒 砂糖橘2箱", {"草莓": 1, "砂糖橘": 2}),
        ("张三 草莓两盒", {"草莓": 2}),
        ("李四 砂糖橘x3", {"砂糖橘": 3}),
        ("王五 草莓×1", {"草莓": 1}),
        ("赵六 砂糖橘*2", {"砂糖橘": 2}),
        ("孙七 草莓２", {"草莓": 2}),
        ("周八 草莓十盒", {"草莓": 10}),
        ("5栋1203 草莓1盒", {"草莓": 1}),
        ("7-1101 李四 砂糖橘1箱🍊", {"砂糖橘": 1}),
        ("１２栋３０１　草莓３盒", {"草莓": 3}),
        ("草莓2盒，砂糖橘1箱", {"草莓": 2, "砂糖橘": 1}),
        ("草莓2+砂糖橘1", {"草莓": 2, "砂糖橘": 1}),
        ("我要两盒草莓", {"草莓": 2}),
        ("砂糖橘来一箱", {"砂糖橘": 1}),
        ("草莓 30元/盒", {}),  # a price is not a quantity
        ("草莓8点到吗", {}),  # a time is not a quantity
    ],
)
def test_items_in_a_line(line: str, expected: dict[str, int]) -> None:
    assert items(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [("A2 B1", {"草莓": 2, "砂糖橘": 1}), ("c3", {"鸡蛋": 3}), ("A1+C1", {"草莓": 1, "鸡蛋": 1}),
     ("A2B1", {"草莓": 2, "砂糖橘": 1}), ("ax2", {"草莓": 2})],
)
def test_product_codes(line: str, expected: dict[str, int]) -> None:
    assert items(line, CODED) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [("3-502 2盒", 2), ("5-1203 三盒", 3), ("3-502 2", 2), ("+1", 1), ("加2", 2), ("8栋1102 草莓2盒", 2)],
)
def test_single_product_lines(line: str, expected: int) -> None:
    assert items(line, SINGLE, bare_number_ok=True) == {"丹东草莓": expected}


def test_house_number_is_the_label_never_the_quantity() -> None:
    ex = extract("3-502 张三 草莓2盒", FRUIT)
    assert ex.label == "3-502 张三"
    assert items("3-502", SINGLE, bare_number_ok=True) == {}


@pytest.mark.parametrize(
    ("text", "action", "expected"),
    [
        ("草莓2盒", Action.SET, {"草莓": 2}),
        ("2盒草莓", Action.SET, {"草莓": 2}),
        ("草莓改成3盒", Action.SET, {"草莓": 3}),
        ("再来1盒草莓", Action.ADD, {"草莓": 1}),
        ("草莓2盒，砂糖橘1箱", Action.SET, {"草莓": 2, "砂糖橘": 1}),
        ("取消", Action.CANCEL_ALL, {}),
        ("不要了", Action.CANCEL_ALL, {}),
        ("全部取消！", Action.CANCEL_ALL, {}),
        ("草莓不要了", Action.CANCEL, {}),
        ("取消砂糖橘", Action.CANCEL, {}),
        ("今天的草莓甜吗？", Action.NONE, {}),
        ("收到", Action.NONE, {}),
        ("谢谢团长[玫瑰]", Action.NONE, {}),
        ("明天几点到？", Action.NONE, {}),
        ("草莓2盒可以吗？", Action.UNCLEAR, {"草莓": 2}),  # kept for her to confirm: 是要 草莓×2 吗？
        ("+1", Action.ASK, {}),  # two products: which one?
        ("草莓500盒", Action.UNCLEAR, {}),  # over the sane maximum
    ],
)
def test_plain_messages(text: str, action: Action, expected: dict[str, int]) -> None:
    intent = parse_order_text(text, FRUIT)
    assert intent.action is action
    assert {i.product.name: i.qty for i in intent.items} == expected


def test_plus_one_orders_the_only_product() -> None:
    intent = parse_order_text("+1", SINGLE)
    assert intent.action is Action.SET
    assert [(i.product.name, i.qty) for i in intent.items] == [("丹东草莓", 1)]


def test_product_named_by_its_ending() -> None:
    assert items("草莓2盒", SINGLE) == {"丹东草莓": 2}


def test_quoted_reply_keeps_only_own_words() -> None:
    text = "「王姐(团长)：/截单」\n- - - - - - - - - - - - - - -\n草莓2盒"
    assert own_words(text) == "草莓2盒"
    assert own_words("草莓2盒") == "草莓2盒"


def test_copy_splits_header_entries_footer() -> None:
    copy = parse_copy("#接龙\n明天到货：丹东草莓 30元一盒\n例：楼号-房号 数量\n\n1. 3-502 2盒\n2、7-1101 1盒\n\n晚上八点截单")
    assert copy is not None
    assert copy.tagged and copy.title == "明天到货：丹东草莓 30元一盒"
    assert [e.text for e in copy.entries] == ["3-502 2盒", "7-1101 1盒"]
    assert copy.footer == ("晚上八点截单",)


def test_copy_key_ignores_numbering_spacing_and_emoji() -> None:
    a = parse_copy("#接龙\n1. 3-502 张三 草莓2盒")
    b = parse_copy("#接龙\n7）3-502  张三　草莓2盒🍓")
    assert a is not None and b is not None
    assert a.entries[0].key == b.entries[0].key


def test_plain_text_is_not_a_list() -> None:
    assert parse_copy("草莓2盒") is None


def test_native_solitaire_authors_in_entry_order() -> None:
    xml = (
        "<msg><appmsg><title>#接龙\n周六水果团\n\n1. 张三 草莓2盒\n2. 李四 砂糖橘1箱</title><type>53</type>"
        "<extinfo><solitaire_info><![CDATA[<solitaire><content><i><u>wx_zhang</u></i><i><u>wx_li</u></i>"
        "</content></solitaire>]]></solitaire_info></extinfo></appmsg></msg>"
    )
    native = parse_native(xml)
    assert native is not None
    assert native.authors == ("wx_zhang", "wx_li")
    assert [e.text for e in native.copy.entries] == ["张三 草莓2盒", "李四 砂糖橘1箱"]


@pytest.mark.parametrize("text", ["not xml", "<msg><appmsg>", "<!DOCTYPE x [<!ENTITY a 'b'>]><msg>&a;</msg>"])
def test_native_solitaire_rejects_broken_xml(text: str) -> None:
    assert parse_native(text) is None


@pytest.mark.parametrize(
    ("line", "name", "cents", "unit", "stock", "limit", "code"),
    [
        ("草莓 30元/盒", "草莓", 3000, "盒", None, None, None),
        ("A. 草莓 30元/盒", "草莓", 3000, "盒", None, None, "A"),
        ("砂糖橘 ¥25", "砂糖橘", 2500, None, None, None, None),
        ("草莓 30/盒", "草莓", 3000, "盒", None, None, None),
        ("草莓 30元一盒 限量5 限购2", "草莓", 3000, "盒", 5, 2, None),
        ("鸡蛋 15.5元/板", "鸡蛋", 1550, "板", None, None, None),
        ("明天到货：丹东草莓 30元一盒", "丹东草莓", 3000, "盒", None, None, None),
    ],
)
def test_product_lines(line: str, name: str, cents: int, unit: str | None, stock: int | None,
                       limit: int | None, code: str | None) -> None:
    p = parse_product_line(line)
    assert p is not None
    assert (p.name, p.price_cents, p.unit, p.stock, p.limit, p.code) == (name, cents, unit, stock, limit, code)


def test_open_command_with_options() -> None:
    spec = parse_open_command(
        "周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n截单 11-21 20:00\n自提 东门快递柜 11-22 09:00-12:00\n成团 10人\n限购3",
        NOW)
    assert spec.title == "周六水果团"
    assert [p.name for p in spec.products] == ["草莓", "砂糖橘"]
    assert spec.close_at == datetime(2026, 11, 21, 20, 0, tzinfo=DEFAULT_TZ)
    assert spec.pickup == "东门快递柜 11-22 09:00-12:00"
    assert spec.min_buyers == 10
    assert all(p.limit == 3 for p in spec.products)
    assert spec.problems == ()


def test_open_command_reports_unreadable_lines() -> None:
    spec = parse_open_command("周六水果团\n草莓 30元/盒\n好吃的苹果", NOW)
    assert [p.name for p in spec.products] == ["草莓"]
    assert spec.problems == ("这行没有价格：好吃的苹果",)


def test_jielong_drop_reads_header_prices_and_deadline() -> None:
    copy = parse_copy("#接龙\n明天到货：丹东草莓 30元一盒\n例：楼号-房号 数量\n\n晚上八点截单")
    assert copy is not None
    spec = parse_jielong_drop(copy, NOW)
    assert [(p.name, p.price_cents, p.unit) for p in spec.products] == [("丹东草莓", 3000, "盒")]
    assert spec.close_at == datetime(2026, 11, 20, 20, 0, tzinfo=DEFAULT_TZ)


def test_jielong_drop_without_names_takes_the_title() -> None:
    copy = parse_copy("#接龙\n周日砂糖橘\n每箱88元")
    assert copy is not None
    spec = parse_jielong_drop(copy, NOW)
    assert [(p.name, p.price_cents, p.unit) for p in spec.products] == [("周日砂糖橘", 8800, "箱")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11-21 20:00", datetime(2026, 11, 21, 20, 0)),
        ("11月21日 20点", datetime(2026, 11, 21, 20, 0)),
        ("20:00", datetime(2026, 11, 20, 20, 0)),
        ("7:00", datetime(2026, 11, 21, 7, 0)),  # already past today: tomorrow
        ("今晚8点", datetime(2026, 11, 20, 20, 0)),
        ("明天 8:00", datetime(2026, 11, 21, 8, 0)),
        ("明早8点半", datetime(2026, 11, 21, 8, 30)),
        ("周六 10:00", datetime(2026, 11, 21, 10, 0)),
        ("晚上八点", datetime(2026, 11, 20, 20, 0)),
        ("30分钟后", datetime(2026, 11, 20, 8, 30, 37)),  # to the second
        ("11-19 10:00", datetime(2026, 11, 19, 10, 0)),  # no year: this year, even past (callers refuse it)
        ("2027-11-19 10:00", datetime(2027, 11, 19, 10, 0)),  # next year only when written
    ],
)
def test_times(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected.replace(tzinfo=DEFAULT_TZ)


def test_nonsense_time_is_none() -> None:
    assert parse_when("随便", NOW) is None


@pytest.mark.parametrize("phone", ["13800138000", "138-0013-8000", "138 0013 8000", "+86 138 0013 8000",
                                   "0086 13800138000", "138　0013　8000"])
def test_one_phone_pattern_masks_and_guards_quantities(phone: str) -> None:
    # Masking and the quantity guard read phone numbers with the same pattern (bot/parsing/privacy.py).
    shown = mask(f"3-502 张三 {phone} 草莓2盒")
    assert "0013" not in shown and "138****8000" in shown
    one = Catalog([ProductRef(1, "草莓", None, "盒")])
    assert [(i.product.id, i.qty) for i in extract(f"3-502 张三 {phone} 草莓2盒", one).items] == [(1, 2)]
    assert extract(f"3-502 张三 {phone}", one, bare_number_ok=True).items == ()


def test_numbers_that_are_no_mobile_number_are_left_alone() -> None:
    for text in ("12345678901", "1380013800", "138001380001", "订单 2026-1130-2000"):
        assert mask(text) == text


# -- exact or asks: what real 接龙 posts write --------------------------------------

MARKET = Catalog([ProductRef(1, "苹果", None, "个"), ProductRef(2, "香蕉", None, "把"), ProductRef(3, "青菜", None, "斤"),
                  ProductRef(4, "土豆", None, "斤"), ProductRef(5, "牛排套餐", None, "份"), ProductRef(6, "红心柚", None, "个"),
                  ProductRef(7, "牛奶", None, "瓶")])
TWO_POMELOS = Catalog([ProductRef(1, "红心柚", None, "个"), ProductRef(2, "白心柚", None, "个"),
                       ProductRef(3, "苹果", None, "箱")])


@pytest.mark.parametrize(
    ("line", "number", "text"),
    [
        ("(3) 5-702 周姐 青菜2斤 土豆1斤", 3, "5-702 周姐 青菜2斤 土豆1斤"),
        ("（12）8-101 Amy 苹果1个", 12, "8-101 Amy 苹果1个"),
        ("⑶ 钱 苹果2个", 3, "钱 苹果2个"),
        ("4️⃣ 2-101 钱 苹果2个", 4, "2-101 钱 苹果2个"),
        ("4⃣ 2-101 钱 苹果2个", 4, "2-101 钱 苹果2个"),
        ("1️⃣2️⃣ 6-303 孙 香蕉1把", 12, "6-303 孙 香蕉1把"),
        ("🔟 7-707 吴 牛奶3瓶", 10, "7-707 吴 牛奶3瓶"),
        ("4️⃣2-101 钱 苹果2个", 4, "2-101 钱 苹果2个"),
        ("⑤ 王 土豆3斤", 5, "王 土豆3斤"),
        ("14） 赵 青菜1斤", 14, "赵 青菜1斤"),
    ],
)
def test_every_numbering_style_is_an_entry(line: str, number: int, text: str) -> None:
    copy = parse_copy(f"#接龙\n周末菜团\n\n1. 3-502 张三 苹果1个\n{line}\n")
    assert copy is not None
    assert [(e.number, e.text) for e in copy.entries][1:] == [(number, text)]


def test_unnumbered_lines_among_the_entries_are_kept_in_place() -> None:
    copy = parse_copy("#接龙\n周末菜团\n\n1. 张三 苹果1个\n李四 香蕉1把\n2. 王五 青菜2斤\n赵六 土豆1斤\n\n晚上8点截单")
    assert copy is not None
    assert [e.text for e in copy.entries] == ["张三 苹果1个", "王五 青菜2斤"]
    assert [(i, e.text, e.numbered) for i, e in copy.loose] == [
        (1, "李四 香蕉1把", False), (2, "赵六 土豆1斤", False), (2, "晚上8点截单", False)]
    kept = copy.with_loose(lambda e: "截单" not in e.text)
    assert [e.text for e in kept] == ["张三 苹果1个", "李四 香蕉1把", "王五 青菜2斤", "赵六 土豆1斤"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("苹果、香蕉各一", {"苹果": 1, "香蕉": 1}),
        ("苹果香蕉各1份", {"苹果": 1, "香蕉": 1}),
        ("3-502 张三 苹果和香蕉各两份", {"苹果": 2, "香蕉": 2}),
        ("青菜，土豆各2斤", {"青菜": 2, "土豆": 2}),
        ("苹果/香蕉/牛奶各1", {"苹果": 1, "香蕉": 1, "牛奶": 1}),
        ("苹果2个 香蕉各1", {"苹果": 2, "香蕉": 1}),  # 各 reaches back only over products without a quantity
        ("苹果 香蕉2把", {}),  # no 各: is it both? She is asked (tests/parsing/test_reader_table.py)
    ],
)
def test_distributive_quantities(line: str, expected: dict[str, int]) -> None:
    assert items(line, MARKET, bare_number_ok=True) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("牛排2份", {"牛排套餐": 2}),  # the start of the name
        ("柚子1个", {"红心柚": 1}),  # the everyday word
        ("心柚1个", {"红心柚": 1}),  # the middle
        ("5-702 周姐 牛排1份 苹果3个 柚子2个", {"牛排套餐": 1, "苹果": 3, "红心柚": 2}),
        ("套餐2份", {"牛排套餐": 2}),  # the end
    ],
)
def test_short_names_match_a_unique_part(line: str, expected: dict[str, int]) -> None:
    assert items(line, MARKET, bare_number_ok=True) == expected


@pytest.mark.parametrize("text", ["柚子1个", "心柚2个", "8-101 Amy 柚子1个 苹果1箱", "柚子来一个"])
def test_a_name_two_products_share_is_asked_about(text: str) -> None:
    ex = extract(text, TWO_POMELOS, bare_number_ok=True)
    assert ex.ambiguous and not any(i.product.name.endswith("柚") for i in ex.items)
    intent = parse_order_text(text, TWO_POMELOS)
    assert intent.action is Action.ASK and intent.reason == "商品名对应多个商品"


@pytest.mark.parametrize(
    "text",
    ["上次买的苹果2箱特别脆👍", "前天那3瓶牛奶收到了", "昨天拿的2斤土豆很新鲜", "之前订的香蕉1把已收到，谢谢团长",
     "牛奶3瓶收到了", "上周的牛排2份好吃"],
)
def test_past_tense_chatter_is_not_an_order(text: str) -> None:
    assert parse_order_text(text, MARKET).action is Action.NONE


@pytest.mark.parametrize("text", ["上次的苹果很好吃，这次再来2个", "昨天的牛奶不错，我要3瓶"])
def test_a_review_that_also_orders_is_asked_about(text: str) -> None:
    intent = parse_order_text(text, MARKET)
    assert intent.action is Action.ASK and intent.reason == "分不清是以前的订单还是这次要"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@王姐(团长) 刚才苹果写多了，改成1个", [("苹果", 1)]),
        ("刚才苹果写多了，改成1个", [("苹果", 1)]),
        ("不好意思 牛奶写错了 改为2瓶", [("牛奶", 2)]),
        ("@团长 香蕉那个换成3把吧", [("香蕉", 3)]),
    ],
)
def test_an_edit_written_as_a_sentence(text: str, expected: list[tuple[str, int]]) -> None:
    intent = parse_order_text(text, MARKET)
    assert intent.action is Action.SET
    assert [(i.product.name, i.qty) for i in intent.items] == expected


@pytest.mark.parametrize(("text", "qty"), [("改成3盒", 3), ("@团长 改成两箱", 2), ("我的改为1份", 1)])
def test_an_edit_naming_no_product_is_for_the_book_to_place(text: str, qty: int) -> None:
    intent = parse_order_text(text, MARKET)
    assert (intent.action, intent.qty) == (Action.EDIT_UNNAMED, qty)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("苹果2个可以吗？", "带问句"), ("草莓2盒还有吗", "带问句"), ("苹果100个", "数量过大"), ("牛奶一千瓶", "数量过大"),
     ("+1", "没写明商品"), ("同上", "同上指哪条不清楚"), ("我也同上", "同上指哪条不清楚")],
)
def test_each_unclear_message_names_its_reason(text: str, reason: str) -> None:
    catalog = Catalog([*MARKET.products, ProductRef(8, "草莓", None, "盒")])
    intent = parse_order_text(text, catalog)
    assert intent.action in (Action.UNCLEAR, Action.ASK) and intent.reason == reason


@pytest.mark.parametrize(
    ("label", "houses", "names"),
    [("3-502 张三", ("3-502",), ("张三",)), ("5栋1203 王五", ("5-1203",), ("王五",)), ("2-101钱", ("2-101",), ("钱",)),
     ("12栋3单元301室 周", ("12-3-301",), ("周",)), ("Amy 8-101", ("8-101",), ("amy",)), ("张三", (), ("张三",))],
)
def test_house_numbers_and_names_in_a_label(label: str, houses: tuple[str, ...], names: tuple[str, ...]) -> None:
    from bot.parsing.items import house_numbers, name_words

    assert house_numbers(label) == houses
    assert name_words(label) == names
