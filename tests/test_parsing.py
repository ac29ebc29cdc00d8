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
        ("草莓2盒可以吗？", Action.UNCLEAR, {"草莓": 2}),
        ("+1", Action.UNCLEAR, {}),  # two products: which one?
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
