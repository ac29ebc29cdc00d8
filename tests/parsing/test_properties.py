"""Hostile input: property tests on the pure parsers and on the order book.

The parsers must take any text a group chat can deliver without an exception,
in time linear in its length, keep every quantity within bounds, and read the
same content the same way whatever line endings, spacing, digit widths or
emoji decorate it. The order book, driven through the real app, must agree
with a small reference model of the README's rules for any sequence of
copies, forks, self-edits, self-removals and plain orders.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import cn2an
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.clock import DEFAULT_TZ
from bot.models import MessageKind
from bot.parsing import jielong
from bot.parsing.campaign_spec import parse_jielong_drop, parse_open_command, parse_product_line
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.items import extract
from bot.parsing.jielong import parse_copy
from bot.parsing.native_solitaire import parse_native
from bot.parsing.order_text import Action, Intent, parse_order_text
from bot.parsing.quantity import NUM, to_int
from bot.parsing.textnorm import key_of, own_words
from bot.parsing.timeparse import parse_when, parse_window
from tests.harness import FRUIT, MEMBERS, Harness

NOW = datetime(2026, 11, 20, 8, 0, 37, tzinfo=DEFAULT_TZ)
TWO = Catalog([ProductRef(1, "草莓", None, "盒"), ProductRef(2, "砂糖橘", None, "箱")])
CODED = Catalog([ProductRef(1, "草莓", "A", "盒"), ProductRef(2, "砂糖橘", "B", "箱"), ProductRef(3, "鸡蛋", "C", "板")])
SINGLE = Catalog([ProductRef(1, "丹东草莓", None, "盒")])
CATALOGS = (TWO, CODED, SINGLE)

# Pieces of real and hostile group chat: numbering, quantities, prices, times,
# house and phone numbers, commands, quote rules, XML, emoji, control and
# look-alike characters. Joined at random they make texts no table would.
TOKENS = (
    "#接龙", "＃接龙", "\n", "\r\n", "\r", " ", "　", "\t", "1.", "1、", "１．", "2)", "3:", "99999.", "123456.",
    "1.1.1.", "1. 1. 1.", "3-502", "5栋1203", "12栋3单元301室", "13812345678", "+8613812345678", "张三", "草莓",
    "砂糖橘", "丹东草莓", "鸡蛋", "A", "B", "c", "a2", "x2", "×3", "*4", "+1", "加1", "两", "十", "俩", "三两",
    "九千九百九十九万", "一" * 30, "9" * 40, "0", "00", "盒", "箱", "份", "板", "元", "30元/盒", "¥30", "每箱88元",
    "限量5", "限购2", "限量九九九九九九九九九九九九", "库存99999999999999999999", "截单", "截单 11-21 20:00",
    "今晚8点", "999999999天后", "九千九百九十九万天后", "明天", "周六", "30分钟后", "24:00", "25:61", "2月30日",
    "9999-12-31", "0000-01-01", "自提", "成团 10人", "成团 九九九九九九九九九九九九份", "再来", "不要了", "取消", "改成",
    "吗", "？", "?", "- - - - - -", "------", "「", "」", "[玫瑰]", "🍓", "👍🏻", "1️⃣", "\u200d", "\ufe0f", "\u2028",
    "\x00", "\x0b", "<", ">", "&", "<![CDATA[", "]]>", "{{ x }}", "{% raw %}", "'; DROP TABLE lines;--", "例：",
    "٣", "²", "①", "Ⅻ", "İ", "ß", "\U0001d7d9", "/开团", "/截单",
)

hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.one_of(st.sampled_from(TOKENS), st.text(max_size=4), st.integers(0, 10**30).map(str)),
        max_size=60,
    ).map("".join),
)

PARSER_SETTINGS = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _native_xml(title: str, authors: list[str]) -> str:
    """The shape WeChat delivers a native 群接龙 in (appmsg type 53)."""
    inner = "".join(f"<i><u>{escape(a)}</u></i>" for a in authors)
    info = f"<solitaire><content>{inner}</content></solitaire>"
    return (f"<msg><appmsg><title>{escape(title)}</title><type>53</type><extinfo>"
            f"<solitaire_info><![CDATA[{info}]]></solitaire_info></extinfo></appmsg></msg>")


def _check_extraction_bounds(text: str, catalog: Catalog, max_qty: int, bare: bool) -> None:
    ex = extract(text, catalog, bare_number_ok=bare, max_qty=max_qty)
    assert all(1 <= item.qty <= max_qty for item in ex.items), (text, ex)
    assert len({item.product.id for item in ex.items}) == len(ex.items)
    assert {item.product for item in ex.items} <= set(catalog.products)


def _check_intent_bounds(intent: Intent, max_qty: int) -> None:
    assert all(1 <= item.qty <= max_qty for item in intent.items), intent
    if intent.action in (Action.SET, Action.ADD):
        assert intent.items
    if intent.action is Action.CANCEL:
        assert intent.products


# -- no exception escapes ------------------------------------------------------


@pytest.mark.slow
@PARSER_SETTINGS
@given(text=hostile_text, max_qty=st.integers(1, 200), bare=st.booleans())
def test_parsers_never_raise_and_quantities_stay_in_bounds(text: str, max_qty: int, bare: bool) -> None:
    for catalog in CATALOGS:
        _check_extraction_bounds(text, catalog, max_qty, bare)
        _check_intent_bounds(parse_order_text(text, catalog, max_qty=max_qty), max_qty)
    copy = parse_copy(text)
    if copy is not None:
        assert all(e.key and "\n" not in e.text and 0 <= e.number <= 99999 for e in copy.entries)
        parse_jielong_drop(copy, NOW)
        for entry in copy.entries:
            _check_extraction_bounds(entry.text, TWO, max_qty, True)
    parse_open_command(text, NOW)
    parse_open_command("周六水果团\n" + text, NOW)
    parse_product_line(text)
    when = parse_when(text, NOW)
    assert when is None or when.tzinfo is not None
    parse_window(text, NOW)
    parse_native(text)
    parse_native(_native_xml(text, ["wx_a", text]))
    own_words(text)
    key_of(text)


# Long list openings: a header only, and a header with entries (what follows is then among or after them).
LONG_OPENINGS = ("#接龙\n周六水果团\n" + "例：3-502 张三 草莓1盒\n" * 20,
                 "#接龙\n周六水果团\n" + "".join(f"{i}. {i}-502 张{i} 草莓1盒\n" for i in range(1, 21)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opening=st.sampled_from(LONG_OPENINGS), before=hostile_text, added=hostile_text)
# Found by this test: an indented line read on right under the last entry of the copy before
# carries that entry on exactly as it does in a fresh read.
@example(opening=LONG_OPENINGS[0], before="0:0", added=" 0")
def test_a_copy_read_on_from_the_copy_before_it_is_the_copy_read_whole(opening: str, before: str,
                                                                       added: str) -> None:
    # A copy that extends the one read before it is read from where that one ended
    # (bot/parsing/jielong.py): it must be exactly the list a fresh read gives. The
    # opening makes both long enough to be remembered by it.
    before = opening + before
    parse_copy(before)
    read_on = parse_copy(before + "\n" + added)
    jielong._RECENT.clear()
    assert parse_copy(before + "\n" + added) == read_on
    # The keys it carries for matching (built on from the copy before) are its entries' keys.
    if read_on is not None:
        assert read_on.keys == tuple(e.key for e in read_on.entries)
        assert read_on.key_set == frozenset(read_on.keys)


@pytest.mark.slow
@PARSER_SETTINGS
@given(token=st.one_of(st.text(max_size=40), st.from_regex(NUM, fullmatch=True)))
def test_to_int_never_raises_and_is_bounded(token: str) -> None:
    value = to_int(token)
    assert value is None or 0 <= value <= 999_999_999


@pytest.mark.parametrize(
    "xml",
    [
        # billion laughs, external entities, DTD tricks: refused, never expanded or fetched
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><msg><appmsg><title>#接龙\n1. &c;</title></appmsg></msg>',
        '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<msg><appmsg><title>#接龙\n1. &x;</title></appmsg></msg>",
        "<msg><appmsg><title>#接龙\n1. 张三 草莓2盒</title><extinfo><solitaire_info><![CDATA[<solitaire>"
        "<!DOCTYPE q [<!ENTITY y SYSTEM 'http://127.0.0.1/'>]><content><i><u>&y;</u></i></content></solitaire>"
        "]]></solitaire_info></extinfo></appmsg></msg>",
        "<msg>" * 5000 + "</msg>" * 5000,
        "<msg><appmsg><title>" + "1. 草莓1盒\n" * 1500 + "</title></appmsg></msg>",
        "<msg><appmsg><title>#接龙</title></appmsg>",  # unclosed
    ],
)
def test_hostile_native_xml_is_refused_or_read_safely(xml: str) -> None:
    native = parse_native(xml)
    assert native is None or all("passwd" not in e.text and "root:" not in e.text for e in native.copy.entries)


# -- huge and nested numbering, enormous numbers, long lists -----------------------


def _cn(n: int) -> str:
    """n in Chinese numerals; beyond what cn2an writes, a run of 九."""
    return str(cn2an.an2cn(n)) if n < 10**16 else "九" * len(str(n))


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "0" <= ch <= "9" else ch for ch in text)


@settings(max_examples=400, deadline=None)
@given(n=st.integers(1, 10**40), style=st.sampled_from(["ascii", "full", "cn", "x"]),
       max_qty=st.sampled_from([1, 5, 99, 200]))
def test_a_quantity_over_the_maximum_is_never_an_order(n: int, style: str, max_qty: int) -> None:
    number = {"ascii": str(n), "full": _fullwidth(str(n)), "cn": _cn(n), "x": f"x{n}"}[style]
    text = f"草莓{number}盒" if style != "x" else f"草莓{number}"
    intent = parse_order_text(text, TWO, max_qty=max_qty)
    if n <= max_qty:
        assert intent.action is Action.SET, (text, intent)
        assert [(i.product.name, i.qty) for i in intent.items] == [("草莓", n)]
    else:
        assert intent.action not in (Action.SET, Action.ADD) and not intent.items, (text, intent)
        if style != "cn" and not re.fullmatch(r"(?:0086|86)?1[3-9]\d{9}", str(n)):
            # The owner gets it ("数量过大"), the book never does. (cn2an cannot read
            # some numerals it writes itself, 一亿一千, and 13812345678 is a phone
            # number: those are chatter.)
            assert intent.action is Action.UNCLEAR, (text, intent)
    line = extract(f"3-502 张三 {text}", TWO, bare_number_ok=True, max_qty=max_qty)
    if n <= max_qty:
        assert [i.qty for i in line.items] == [n]
    else:
        assert not line.items


@settings(max_examples=200, deadline=None)
@given(a=st.integers(1, 99), b=st.integers(1, 99))
def test_one_product_said_twice_is_never_summed_silently(a: int, b: int) -> None:
    intent = parse_order_text(f"草莓{a}盒 草莓{b}盒", TWO)
    if a == b:
        # Restated: one order of it, never doubled.
        assert intent.action is Action.SET and [i.qty for i in intent.items] == [a]
        return
    # The last word or both? She is asked; each answer books one of them, never past the maximum.
    assert intent.action is Action.ASK and not intent.items and intent.question is not None
    totals = {i.qty for c in intent.question.choices for i in c.intent.items}
    assert totals and totals <= {b, a + b} and max(totals) <= 99


@pytest.mark.slow
def test_a_ten_thousand_line_list_with_huge_and_nested_numbering() -> None:
    lines = ["#接龙", "周六水果团", "草莓 30元/盒"]
    for i in range(1, 10_001):
        number = {0: f"{i}.", 1: f"{i}.{i}.{i}.", 2: f"{i * 10**9}.", 3: f"{_fullwidth(str(i))}、"}[i % 4]
        lines.append(f"{number} {i}号楼{i % 90 + 1}室 张{i} 草莓{i % 99 + 1}盒")
    text = "\r\n".join(lines)
    start = time.perf_counter()
    copy = parse_copy(text)
    assert copy is not None and copy.tagged
    # A 10-digit number is no entry number: that line is not an entry at all.
    assert len(copy.entries) == 7_500
    assert len({e.key for e in copy.entries}) == len(copy.entries)
    for entry in copy.entries[:: 97]:
        qtys = [i.qty for i in extract(entry.text, TWO, bare_number_ok=True).items]
        assert len(qtys) == 1 and 1 <= qtys[0] <= 99
    parse_jielong_drop(copy, NOW)
    parse_native(_native_xml(text, [f"wx_{i}" for i in range(10_000)]))
    assert parse_order_text(text, TWO).action is not Action.SET  # dozens of 草莓 in one message
    spec = parse_open_command("团\n" + "\n".join(f"{chr(65 + i % 26)}. 商品{i} {i}.5元/盒 限量{i}" for i in range(10_000)),
                              NOW)
    assert len(spec.products) == 10_000 and not spec.problems
    assert time.perf_counter() - start < 20


# Messages built to make a backtracking regex retry every position: before the
# fixes several took seconds each (see each case); the app allows 20,000
# characters, so each must stay far from that.
HOSTILE_LONG = {
    "digits then price": "草莓" + "1" * 19_990 + "元",  # items._AFTER via the phone mask: 11 s
    "unit then blanks": "2盒" + " " * 19_990 + "x草莓",  # items._BEFORE: 0.9 s
    "empty lines": "\n" * 20_000,  # textnorm._QUOTE_RULE: 5.8 s
    "digit run": "1" * 20_000,  # items._ADDRESS: 1.1 s
    "numeral run": "一" * 20_000,  # cn2an on the whole run: 2.1 s
    "digit run in a time": "截单 " + "8" * 19_990 + "点",
    "digit run days": "9" * 19_990 + "天后",
    "price digits": "草莓 " + "3" * 19_990 + "元/盒",
    "dash rule": "- " * 9_999 + "x",
    "entry spaces": "1" + " " * 19_990,
    "commission digits": "佣金 " + "1" * 19_990,  # campaign_spec.commission_bp: 8 s
}
HOSTILE_PARSERS: dict[str, Callable[[str], object]] = {
    "parse_order_text": lambda t: parse_order_text(t, TWO),
    "extract bare": lambda t: extract(t, SINGLE, bare_number_ok=True),
    "extract codes": lambda t: extract(t, CODED),
    "parse_copy": parse_copy,
    "parse_open_command": lambda t: parse_open_command("团\n" + t, NOW),
    "parse_when": lambda t: parse_when(t, NOW),
    "own_words": own_words,
}


@pytest.mark.parametrize("case", list(HOSTILE_LONG))
def test_long_hostile_messages_are_read_in_linear_time(case: str) -> None:
    text = HOSTILE_LONG[case]
    for name, parse in HOSTILE_PARSERS.items():
        start = time.perf_counter()
        parse(text)
        took = time.perf_counter() - start
        assert took < 1.0, f"{name} took {took:.2f} s on {case!r}"


@pytest.mark.parametrize("name", ["(" * 19_000 + "草莓", "草" * 6_000, "ab" * 3_000])
def test_a_hostile_product_name_does_not_slow_every_message(name: str) -> None:
    # The catalog is built for every message; all endings of a 3,000-character
    # name as aliases took 4.6 s, an unclosed bracket run was quadratic.
    start = time.perf_counter()
    catalog = Catalog([ProductRef(1, name, None, "盒"), ProductRef(2, "砂糖橘", None, "箱")])
    parse_order_text("砂糖橘2箱", catalog)
    assert time.perf_counter() - start < 1.0
    assert [(i.product.id, i.qty) for i in parse_order_text("砂糖橘2箱", catalog).items] == [(2, 2)]


def test_a_phone_number_with_country_code_is_not_a_quantity() -> None:
    # "+86" left over from masking 13812345678 read as "+86", 86 of the only product.
    for text in ("+8613812345678", "3-502 张三 +86 13812345678", "008613812345678 张三"):
        assert extract(text, SINGLE, bare_number_ok=True).items == (), text
        assert parse_order_text(text, SINGLE).action is Action.NONE, text


def test_a_deadline_past_the_calendar_is_no_deadline() -> None:
    # timedelta(days=999999999) added to now overflowed out of parse_when.
    assert parse_when("999999999天后", NOW) is None
    spec = parse_open_command("团\n草莓 30元/盒\n截单 999999999天后", NOW)
    assert spec.close_at is None and spec.problems


def test_absurd_stock_and_limits_are_not_numbers() -> None:
    # 10**20 does not fit an SQLite integer: the /开团 failed as a whole.
    spec = parse_open_command("团\n草莓 30元/盒 限量九九九九九九九九九九九九九九九九九九九九 限购99999999999999", NOW)
    (product,) = spec.products
    assert product.stock is None and product.limit is None


# -- message boundaries that do not change content -----------------------------

NAMES = ("张三", "李四", "王五", "赵六", "孙七")
DECORATIONS = ("🍓🍓🍓", "[玫瑰][玫瑰]", "👍🏻", "🎉✨", "❤️", "👨‍👩‍👧")
INVISIBLE = ("", "\u200b", "\ufeff", "\u200e", "\u2060")


@st.composite
def entry_lines(draw: st.DrawFn) -> list[str]:
    out = []
    for i in range(draw(st.integers(1, 12))):
        house = draw(st.sampled_from(["3-502", "5栋1203", "12-301", ""]))
        name = draw(st.sampled_from(NAMES)) + str(i)
        item = draw(st.sampled_from(["草莓{}盒", "砂糖橘{}箱", "草莓x{}", "砂糖橘×{}", "草莓{}盒 砂糖橘1箱", "{}"]))
        out.append(" ".join(p for p in (house, name, item.format(draw(st.integers(1, 150)))) if p))
    return out


def _render(entries: list[str], *, crlf: bool = False, trailing: str = "", full: bool = False,
            decorate: list[str] | None = None, tagged: bool = True, invisible: str = "") -> str:
    lines = (["#接龙"] if tagged else []) + ["周六水果团", "草莓 30元/盒，砂糖橘 25元/箱", "例：3-502 张三 草莓1盒", ""]
    for i, entry in enumerate(entries, 1):
        lines.append(f"{i}. {entry}")
        if decorate is not None and decorate[i % len(decorate)]:
            lines.append(decorate[i % len(decorate)])
    lines = [invisible + line for line in lines]  # a zero-width space, a BOM, a direction mark
    text = (trailing + ("\r\n" if crlf else "\n")).join(lines) + trailing
    return _fullwidth(text) if full else text


def _meaning(text: str) -> tuple[bool, list[tuple[int, str, str, dict[str, int]]]]:
    copy = parse_copy(text)
    assert copy is not None
    return copy.tagged, [
        (e.number, e.text, e.key, {i.product.name: i.qty for i in extract(e.text, TWO, bare_number_ok=True).items})
        for e in copy.entries
    ]


@pytest.mark.slow
@PARSER_SETTINGS
@given(entries=entry_lines(), crlf=st.booleans(), trailing=st.sampled_from(["", " ", "  \t", "　"]),
       full=st.booleans(), decorate=st.none() | st.lists(st.sampled_from(("", *DECORATIONS)), min_size=1, max_size=4),
       tagged=st.booleans(), invisible=st.sampled_from(INVISIBLE))
def test_a_copy_reads_the_same_whatever_its_boundaries(entries: list[str], crlf: bool, trailing: str, full: bool,
                                                      decorate: list[str] | None, tagged: bool, invisible: str) -> None:
    plain = _meaning(_render(entries, tagged=tagged))
    variant = _render(entries, crlf=crlf, trailing=trailing, full=full, decorate=decorate, tagged=tagged,
                      invisible=invisible)
    assert _meaning(variant) == plain
    xml = _native_xml(variant, [])
    native = parse_native(xml)
    assert native is not None
    assert [(e.number, e.text, e.key) for e in native.copy.entries] == [m[:3] for m in plain[1]]


ORDER_PHRASES = (
    "草莓{}盒", "{}盒草莓", "我要{}盒草莓", "砂糖橘来{}箱", "草莓{}+砂糖橘1", "草莓改成{}盒", "再来{}盒草莓", "草莓不要了",
    "取消", "草莓{}盒可以吗？", "谢谢团长", "A{} B1", "+{}", "3-502 张三 草莓{}盒",
)


@pytest.mark.slow
@PARSER_SETTINGS
@given(phrase=st.sampled_from(ORDER_PHRASES), qty=st.integers(1, 150), catalog=st.sampled_from(CATALOGS),
       # (Not 🍓 before it: a product's own emoji names it, "🍓 +1" is a strawberry more.)
       before=st.sampled_from(["", " ", "\n", "\r\n", "[玫瑰]", "🌸 ", "👍🏻\n", *INVISIBLE]),
       after=st.sampled_from(["", " ", "  \n", "\r\n", "🙏", "[抱拳]", "\n🍓🍓", " ❤️", "～", "！"]),
       full=st.booleans())
def test_a_plain_order_reads_the_same_whatever_decorates_it(phrase: str, qty: int, catalog: Catalog, before: str,
                                                           after: str, full: bool) -> None:
    text = phrase.format(qty)
    plain = parse_order_text(text, catalog)
    variant = before + (_fullwidth(text) if full else text) + after
    assert parse_order_text(variant, catalog) == plain, variant


@settings(max_examples=150, deadline=None)
@given(title=st.sampled_from(["周六水果团", "{{ 7*7 }}团"]), crlf=st.booleans(), trailing=st.sampled_from(["", " ", "\t "]),
       full=st.booleans(), decorate=st.booleans(), invisible=st.sampled_from(INVISIBLE))
def test_an_open_command_reads_the_same_whatever_its_boundaries(title: str, crlf: bool, trailing: str, full: bool,
                                                              decorate: bool, invisible: str) -> None:
    body = [title, "A. 草莓 30元/盒 限量20", "B. 砂糖橘 ¥25/箱 限购3", "截单 11-21 20:00", "自提 东门快递柜 11-22 09:00-12:00",
            "成团 10人"]

    def render(lines: list[str]) -> str:
        if decorate:
            lines = [lines[0], "🍓🍓🍓", *lines[1:3], "———————", *lines[3:]]
        lines = [invisible + line for line in lines]
        text = (trailing + ("\r\n" if crlf else "\n")).join(lines) + trailing
        return _fullwidth(text) if full else text

    plain = parse_open_command("\n".join(body), NOW)
    variant = parse_open_command(render(body), NOW)
    assert variant.products == plain.products and variant.problems == plain.problems
    assert (variant.close_at, variant.pickup, variant.min_buyers) == (plain.close_at, plain.pickup, plain.min_buyers)
    assert key_of(variant.title) == key_of(plain.title)


# -- the order book against a reference model ----------------------------------

ORDERING = ("wx_zhang", "wx_li", "wx_wang", "wx_zhao")
HOUSE = {"wx_zhang": "3-502", "wx_li": "7-1101", "wx_wang": "5-1203", "wx_zhao": "2-202"}
UNIT = {"草莓": "盒", "砂糖橘": "箱"}


@dataclass
class RefLine:
    owner: str
    live: bool
    items: dict[str, int]
    text: str = ""


@dataclass
class Reference:
    """The README's rules, written as plainly as possible.

    A 接龙 line belongs to the member who first posted it; her own lines in her
    latest copy are authoritative for her; a line missing from someone else's
    copy changes nothing; a plain order sets (or with 再来 adds to) her total of
    a product; 不要了 zeroes a product, 取消 cancels everything."""

    lines: dict[str, RefLine] = field(default_factory=dict)  # by content key
    text: dict[str, RefLine] = field(default_factory=dict)  # her plain-message line
    meaning: dict[str, dict[str, int]] = field(default_factory=dict)  # line text → items

    def _live(self, member: str) -> list[RefLine]:
        out = [ln for ln in self.lines.values() if ln.owner == member and ln.live]
        text = self.text.get(member)
        return out + ([text] if text is not None and text.live else [])

    def copy(self, sender: str, entries: list[str]) -> None:
        """Her copy. Lines the bot never saw (the copies that carried them were
        missed) belong to the member whose name they carry — unless that member
        has a line this copy lacks (someone changed her line: the owner checks) or
        already has some of those products (before or after? the owner checks).
        A line of hers new in this copy replaces what her plain messages said of
        its products: her latest statement wins."""
        if not entries:
            # A list with no entries is not taken as a copy at all (it may be
            # the bare template): her lines stay. A choice, not a README rule.
            return
        keys = {key_of(e) for e in entries}
        placed: list[tuple[str, str]] = []  # (owner, entry)
        revived: list[RefLine] = []
        for e in entries:
            line = self.lines.get(key_of(e))
            if line is not None:
                if line.owner == sender and not line.live:
                    revived.append(line)
                continue
            named = next(m for m in ORDERING if f" {MEMBERS[m]} " in f" {e} ")
            if named != sender:
                if any(ln.owner == named and ln.live and k not in keys for k, ln in self.lines.items()):
                    continue  # someone else's copy changed her line
                have = {p for ln in self._live(named) for p, q in ln.items.items() if q > 0}
                if have & set(self.meaning[e]):
                    continue  # 补记 overlapping what she has: the owner checks
            placed.append((named, e))
        for key, ln in self.lines.items():
            if ln.owner == sender and ln.live and key not in keys:
                ln.live, ln.items = False, {}
        restated = {p for owner, e in placed if owner == sender for p in self.meaning[e]}
        restated |= {p for ln in revived for p in self.meaning_of_line(ln)}
        text = self.text.get(sender)
        if text is not None and text.live:
            for product in restated:
                text.items.pop(product, None)
        for ln in revived:
            ln.live, ln.items = True, dict(self.meaning_of_line(ln))
        for owner, e in placed:
            self.lines[key_of(e)] = RefLine(owner, True, dict(self.meaning[e]), e)

    def meaning_of_line(self, line: RefLine) -> dict[str, int]:
        return self.meaning[line.text]

    def _text_line(self, member: str) -> RefLine:
        line = self.text.setdefault(member, RefLine(member, True, {}))
        line.live = True
        return line

    def set(self, member: str, product: str, qty: int) -> None:
        live = self._live(member)
        total = sum(ln.items.get(product, 0) for ln in live)
        text = self._text_line(member)
        elsewhere = total - text.items.get(product, 0)
        if elsewhere <= qty:
            text.items[product] = qty - elsewhere
        else:
            for ln in live:
                if ln is not text and ln.items.get(product):
                    ln.items[product] = 0
            text.items[product] = qty

    def add(self, member: str, product: str, qty: int) -> None:
        text = self._text_line(member)
        text.items[product] = text.items.get(product, 0) + qty

    def cancel(self, member: str, product: str) -> None:
        for ln in self._live(member):
            if ln.items.get(product, 0) > 0:
                ln.items[product] = 0

    def cancel_all(self, member: str) -> None:
        live = self._live(member)
        unreadable = any(ln.text and not self.meaning[ln.text] for ln in live)
        if not unreadable and not any(q > 0 for ln in live for q in ln.items.values()):
            return  # nothing to cancel: she is told so, and her lines stay as they are
        for ln in live:
            ln.live, ln.items = False, {}

    def book(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for ln in [*self.lines.values(), *self.text.values()]:
            if ln.live:
                for product, qty in ln.items.items():
                    out[(ln.owner, product)] = out.get((ln.owner, product), 0) + qty
        return {k: v for k, v in out.items() if v > 0}


# One step of a random group chat, resolved against the chat so far.
op_strategy = st.one_of(
    st.tuples(st.just("copy"), st.sampled_from(ORDERING), st.integers(0, 6),
              st.sampled_from(["add", "add", "add", "edit", "remove", "repost"]),
              st.sampled_from(sorted(UNIT)), st.integers(1, 9) | st.just(120), st.integers(0, 5)),
    # A copy the bot never receives (a restart, a dropped event): later copies carry its lines.
    st.tuples(st.just("missed"), st.sampled_from(ORDERING), st.integers(0, 6),
              st.sampled_from(["add", "add", "edit", "remove"]),
              st.sampled_from(sorted(UNIT)), st.integers(1, 9), st.integers(0, 5)),
    st.tuples(st.just("text"), st.sampled_from(ORDERING), st.just(0),
              st.sampled_from(["set", "set", "add", "cancel", "cancel_all", "chatter", "too_many"]),
              st.sampled_from(sorted(UNIT)), st.integers(1, 9), st.just(0)),
)


def _line_text(member: str, product: str, qty: int, extra: bool) -> str:
    text = f"{HOUSE[member]} {MEMBERS[member]} {product}{qty}{UNIT[product]}"
    return text + " 砂糖橘1箱" if extra and product == "草莓" else text


def _meaning_of(product: str, qty: int, extra: bool) -> dict[str, int]:
    if qty > 99:
        return {}  # over the maximum: the line needs the owner, it orders nothing
    return {product: qty, "砂糖橘": 1} if extra and product == "草莓" else {product: qty}


def _plain_order(ref: Reference, member: str, action: str, product: str, qty: int) -> str:
    """The text of a plain message; what it means is applied to the model."""
    unit = UNIT[product]
    if action == "set":
        ref.set(member, product, qty)
        return f"{product}{qty}{unit}"
    if action == "add":
        ref.add(member, product, qty)
        return f"再来{qty}{unit}{product}"
    if action == "cancel":
        ref.cancel(member, product)
        return f"{product}不要了"
    if action == "cancel_all":
        ref.cancel_all(member)
        return "取消"
    if action == "chatter":
        return f"{product}今天到吗？"
    return f"{product}{qty + 99}{unit}"  # over the maximum: for the owner, not the book


async def _messages_by_line(bot: Harness) -> list[tuple[str, str, str, str]]:
    rows = await bot.db.fetchall(
        "SELECT l.member_id, l.message_id, l.raw, l.source FROM lines l JOIN items i ON i.line_id = l.id "
        "WHERE l.live = 1 AND i.qty > 0")
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


async def _run_chat(ops: list[tuple[Any, ...]], folder: Path) -> None:
    bot = await Harness.create(folder / "bot.sqlite")
    try:
        ref = Reference()
        sent_by: dict[str, str] = {}
        said: list[tuple[str, str, str]] = []  # (member, text, id), to deliver again
        versions: list[list[str]] = [[]]

        async def say(member: str, text: str) -> None:
            mid = await bot.say(member, text, after=7)
            sent_by[mid] = member
            said.append((member, text, mid))

        await say("wx_owner", FRUIT)
        for kind, member, back, action, product, qty, pick in ops:
            before = await bot.book()
            if kind in ("copy", "missed"):
                base = list(versions[max(0, len(versions) - 1 - back)])
                own = [i for i, e in enumerate(base) if f" {MEMBERS[member]} " in e]
                if action == "add" or not own:
                    line = _line_text(member, product, qty, extra=pick == 0)
                    ref.meaning[line] = _meaning_of(product, qty, extra=pick == 0)
                    if line not in base:
                        base.append(line)
                elif action == "edit":
                    i = own[pick % len(own)]
                    line = _line_text(member, product, qty, extra=False)
                    ref.meaning[line] = _meaning_of(product, qty, extra=False)
                    if line not in base:
                        base[i] = line
                elif action == "remove":
                    del base[own[pick % len(own)]]
                versions.append(base)
                if kind == "copy":
                    await say(member, "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n例：楼栋-房号 姓名 商品数量\n\n"
                              + "\n".join(f"{i}. {e}" for i, e in enumerate(base, 1)))
                    ref.copy(member, base)
            else:
                text = _plain_order(ref, member, action, product, qty)
                await say(member, text)
            after = await bot.book()
            assert after == ref.book(), (kind, member, action, said[-1][1])
            if kind == "copy":
                # Someone else's copy never takes from her order, whatever it lacks; it
                # only adds the lines of hers the bot never saw.
                for key, qty in before.items():
                    if key[0] != member:
                        assert after.get(key, 0) >= qty, (key, said[-1][1])
            for owner, mid, raw, source in await _messages_by_line(bot):
                # Nobody is ever charged for a line she neither wrote nor appears in.
                if source == "copy":
                    assert MEMBERS[owner] in raw, (owner, raw)
                else:
                    assert sent_by[mid] == owner, (owner, mid, raw)
        await bot.settle()
        # Questions gathered for the owner are sent on the calendar: let that happen before counting.
        await bot.wait(bot.svc.settings.forward_every.total_seconds())
        book, posts = await bot.book(), len(bot.transport.sent)
        for member, text, mid in said:
            await bot.redeliver(member, text, mid)
        await bot.settle()
        assert await bot.book() == book
        assert len(bot.transport.sent) == posts
    finally:
        await bot.close()


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op_strategy, min_size=1, max_size=12) | st.lists(op_strategy, min_size=20, max_size=60))
def test_the_order_book_matches_the_reference_model(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_run_chat(ops, Path(folder)))


async def test_a_revived_line_over_the_maximum_orders_nothing(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    header = "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n\n"
    await bot.say("wx_li", header + "1. 7-1101 李四 草莓120盒 砂糖橘1箱")
    assert await bot.book() == {}  # over 99: the whole line goes to the owner
    await bot.say("wx_li", header + "1. 7-1101 李四 砂糖橘2箱")  # her edit drops it
    await bot.say("wx_li", header + "1. 7-1101 李四 草莓120盒 砂糖橘1箱")  # and back
    # The same line must mean the same thing: nothing in the book, one line for the owner.
    assert await bot.book() == {}


# -- hostile messages through the whole app ----------------------------------------


class _Failures(logging.Handler):
    """Collects the app's "failed and changed nothing" records: a parser or rule
    raised on a message and it was rolled back, which must never happen."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _feed(texts: list[tuple[str, str, bool]], folder: Path) -> list[str]:
    failures = _Failures()
    logging.getLogger("bot").addHandler(failures)
    bot = await Harness.create(folder / "bot.sqlite")
    try:
        await bot.say("wx_owner", FRUIT)
        for member, text, native in texts:
            kind = MessageKind.SOLITAIRE if native else MessageKind.TEXT
            await bot.say(member, _native_xml(text, [member, "wx_li"]) if native else text, kind=kind)
        await bot.settle()
        assert all(qty >= 1 for qty in (await bot.book()).values())
    finally:
        await bot.close()
        logging.getLogger("bot").removeHandler(failures)
    return [r.getMessage() + "\n" + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
            for r in failures.records]


hostile_message = st.tuples(
    st.sampled_from(["wx_owner", "wx_zhang", "wx_li"]),
    st.one_of(hostile_text, hostile_text.map(lambda t: "/开团 " + t), hostile_text.map(lambda t: HEADER_TEXT + t),
              hostile_text.map(lambda t: HEADER_TEXT + "1. 3-502 张三 草莓2盒\n2. " + t)),
    st.booleans(),
)
HEADER_TEXT = "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n\n"


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(hostile_message, min_size=1, max_size=15))
def test_hostile_messages_never_fail_in_the_app(texts: list[tuple[str, str, bool]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        assert asyncio.run(_feed(texts, Path(folder))) == []
