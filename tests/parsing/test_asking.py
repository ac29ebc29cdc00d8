"""What the reader asks when a message cannot be read exactly: one short question, answerable in a word,
whose choices book exactly what she meant."""

from __future__ import annotations

import pytest

from bot.parsing.asking import which_product
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.order_text import Action, Intent, parse_order_text

RED, WHITE, PEAR = ProductRef(1, "红心柚", None, "个"), ProductRef(2, "白心柚", None, "个"), ProductRef(3, "库尔勒香梨", None, "箱")
POMELOS = Catalog([RED, WHITE, PEAR])
CODED = Catalog([ProductRef(1, "阳光玫瑰", "A", "串"), ProductRef(2, "麒麟西瓜", "B", "个")])


def booked(intent: Intent) -> dict[str, int]:
    return {i.product.name: i.qty for i in intent.items}


@pytest.mark.parametrize(("text", "leftover"), [("柚子2个", "柚子2个"), ("香梨1箱 柚子来两个", "柚子来两个")])
def test_a_word_two_products_share_asks_which_and_books_nothing_yet(text: str, leftover: str) -> None:
    intent = parse_order_text(text, POMELOS)
    assert intent.action is Action.ASK and intent.items == ()
    q = intent.question
    assert q is not None and q.leftover == leftover
    assert q.text.startswith(f"「{leftover}」是要哪个？A 红心柚×") and q.text.endswith("回 A 或 B")
    red = q.choice("A")
    assert red is not None and q.choice("红") is red and q.choice("红的") is red and q.choice("a") is red
    white = q.choice("白心柚")
    assert white is not None and white is q.choice("B")
    # The rest of her message is part of each reading: her answer books all of it.
    rest = {"库尔勒香梨": 1} if "香梨" in text else {}
    assert booked(red.intent) == {**rest, "红心柚": 2} and booked(white.intent) == {**rest, "白心柚": 2}
    assert q.choice("C") is None


def test_plus_one_with_several_products_asks_which_by_their_codes() -> None:
    intent = parse_order_text("+1", CODED)
    assert intent.action is Action.ASK and intent.question is not None
    q = intent.question
    assert q.text == "「+1」是要哪个？A 阳光玫瑰×1 还是 B 麒麟西瓜×1？回 A 或 B"
    b = q.choice("B")
    assert b is not None and booked(b.intent) == {"麒麟西瓜": 1} and q.choice("麒麟西瓜") is b


def test_a_quantity_with_a_unit_asks_only_among_the_products_sold_by_it() -> None:
    catalog = Catalog([ProductRef(1, "阳光玫瑰", None, "串"), ProductRef(2, "巨峰葡萄", None, "串"),
                       ProductRef(3, "麒麟西瓜", None, "个")])
    intent = parse_order_text("2串", catalog)
    assert intent.action is Action.ASK and intent.question is not None
    assert [booked(c.intent) for c in intent.question.choices] == [{"阳光玫瑰": 2}, {"巨峰葡萄": 2}]


def test_an_edit_naming_no_product_leaves_the_choice_to_what_she_holds() -> None:
    intent = parse_order_text("改成3个", POMELOS)
    assert intent.action is Action.EDIT_UNNAMED and (intent.qty, intent.unit) == (3, "个")
    assert intent.question is not None and intent.question.leftover == "改成3个"
    # The book asks among the products she holds, with the same words.
    q = which_product(intent.question.leftover, [RED, PEAR], intent.qty)
    assert q.text == "「改成3个」是要哪个？A 红心柚×3 还是 B 库尔勒香梨×3？回 A 或 B"
    pear = q.choice("B")
    assert pear is not None and booked(pear.intent) == {"库尔勒香梨": 3} and pear.intent.action is Action.SET


def test_an_edit_naming_two_products_asks_which() -> None:
    intent = parse_order_text("红心柚和香梨写错了，改成3个", POMELOS)
    assert intent.action is Action.ASK and intent.items == () and intent.question is not None
    assert [booked(c.intent) for c in intent.question.choices] == [{"红心柚": 3}, {"库尔勒香梨": 3}]


def test_a_single_reading_is_a_yes_or_no_question() -> None:
    q = which_product("来一个", [PEAR], 1)
    assert q.text == "「来一个」没看懂：是要 库尔勒香梨×1 吗？回 是 或 不是"
    yes, no = q.choice("对"), q.choice("不是")
    assert yes is not None and booked(yes.intent) == {"库尔勒香梨": 1}
    assert no is not None and no.intent.action is Action.NONE
