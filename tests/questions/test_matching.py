"""Members' questions against the owner's 质量问答: real phrasings that must match, and ones that must not."""

from __future__ import annotations

import pytest

from bot.parsing.campaign_spec import parse_open_command
from bot.parsing.question import QuestionIndex, carries_order, looks_like_question, read_pair, worth_forwarding
from tests.harness import START

PAIRS = [
    ("草莓甜吗", "丹东99草莓，糖度12以上，不甜包退"),
    ("几号到货", "周六上午到，到了群里通知"),
    ("坏了怎么办", "拍照发团长，坏一赔一"),
    ("砂糖橘甜不甜", "广西砂糖橘，很甜"),
    ("草莓保质期多久", "冷藏能放3天，尽快吃"),
    ("哪里产的", "产地直发，辽宁丹东"),
    ("可以开发票吗", "个人团购，开不了发票哦"),
]
PRODUCTS = ["丹东99草莓", "砂糖橘"]
INDEX = QuestionIndex(read_pair(i, q, a) for i, (q, a) in enumerate(PAIRS, 1))

MATCHING = [
    # 甜不甜 / 甜吗 / 甜么 / 甜不, the product by short or long name
    ("草莓甜不甜", "草莓甜吗"),
    ("草莓甜吗？", "草莓甜吗"),
    ("草莓甜么", "草莓甜吗"),
    ("草莓甜不", "草莓甜吗"),
    ("这次的丹东草莓甜不甜呀", "草莓甜吗"),
    ("丹东99草莓甜吗", "草莓甜吗"),
    ("99草莓甜嘛", "草莓甜吗"),
    ("请问团长，草莓甜吗", "草莓甜吗"),
    ("砂糖橘甜吗", "砂糖橘甜不甜"),
    ("橘子...砂糖橘甜不甜啊", "砂糖橘甜不甜"),
    # 橘子 names 砂糖橘 in a question exactly as in an order (one catalogue index for both)
    ("橘子甜吗", "砂糖橘甜不甜"),
    ("桔子甜不甜", "砂糖橘甜不甜"),
    ("砂糖橘甜唔甜？", "砂糖橘甜不甜"),
    # 几号到 / 什么时候到 / 哪天到货: a general answer fits any product
    ("几号到", "几号到货"),
    ("什么时候到货呀？", "几号到货"),
    ("哪天到货", "几号到货"),
    ("草莓什么时候到", "几号到货"),
    ("砂糖橘啥时候到？", "几号到货"),
    ("团长几时发货", "几号到货"),
    ("到货了吗", "几号到货"),
    ("明天能到吗", "几号到货"),
    ("发货了没", "几号到货"),
    ("草莓甜伐", "草莓甜吗"),
    ("丹东草莓甜吧？", "草莓甜吗"),
    # after-sales claims its words before sweetness does
    ("坏了怎么办", "坏了怎么办"),
    ("草莓烂了怎么办？", "坏了怎么办"),
    ("草莓不甜怎么办", "坏了怎么办"),
    ("草莓能放多久", "草莓保质期多久"),
    ("草莓放几天？", "草莓保质期多久"),
    ("草莓是哪里产的", "哪里产的"),
    ("产地是哪里", "哪里产的"),
    # no known topic: only nearly the same words
    ("可以开发票吗？", "可以开发票吗"),
    ("能开发票吗", "可以开发票吗"),
]

NOT_MATCHING = [
    "榴莲甜不甜",  # a product with no pair of its own
    "甜吗",  # two products on sale: which one?
    "草莓多少钱",  # another topic about the same product
    "几点截单",  # arrival and deadline share words, not meaning
    "什么时候截单？",
    "砂糖橘保质期多久",  # the shelf-life pair is about 草莓
    "今天天气怎么样",
    "你们吃饭了吗",
    "草莓到货了",  # a statement, not a question
    "草莓2盒",
    "可以开电子发票抬头写公司吗",  # only some of the words
    "哪里取货",
    "草莓酸不酸",  # sour is not sweet: the owner may answer differently
    "能送到家吗",  # delivery, not arrival
    "草莓好吃吗",
]


@pytest.mark.parametrize(("question", "expected"), MATCHING)
def test_real_phrasings_find_the_owners_answer(question: str, expected: str) -> None:
    found = INDEX.match(question, PRODUCTS)
    assert found is not None, question
    assert found.question == expected


@pytest.mark.parametrize("question", NOT_MATCHING)
def test_unrelated_questions_get_no_answer(question: str) -> None:
    assert INDEX.match(question, PRODUCTS) is None


def test_a_question_naming_no_product_is_about_the_only_one_on_sale() -> None:
    assert INDEX.match("甜吗", ["丹东99草莓"]) is not None
    assert INDEX.match("甜不甜", ["丹东99草莓"]).question == "草莓甜吗"  # type: ignore[union-attr]
    assert INDEX.match("甜吗", ["榴莲"]) is None


def test_a_short_name_shared_by_two_products_on_sale_is_not_guessed() -> None:
    index = QuestionIndex([read_pair(1, "丹东草莓甜吗", "丹东的甜"), read_pair(2, "几号到货", "周六")])
    both = ["丹东草莓", "红颜草莓"]
    assert index.match("草莓甜吗", both) is None
    assert index.match("红颜草莓甜吗", both) is None
    assert index.match("丹东草莓甜不甜", both).answer == "丹东的甜"  # type: ignore[union-attr]
    assert index.match("草莓甜吗", ["丹东草莓", "砂糖橘"]).answer == "丹东的甜"  # type: ignore[union-attr]
    assert index.match("草莓几号到", both).answer == "周六"  # type: ignore[union-attr]


def test_two_different_answers_that_fit_equally_mean_no_answer() -> None:
    index = QuestionIndex([read_pair(1, "几号到货", "周六"), read_pair(2, "什么时候到", "周日")])
    assert index.match("哪天到货", PRODUCTS) is None
    same = QuestionIndex([read_pair(1, "几号到货", "周六"), read_pair(2, "什么时候到", "周六")])
    assert same.match("哪天到货", PRODUCTS) is not None


def test_a_pair_about_a_product_wins_over_a_general_one() -> None:
    index = QuestionIndex([read_pair(1, "几号到货", "周六"), read_pair(2, "砂糖橘几号到", "砂糖橘周日到")])
    assert index.match("砂糖橘什么时候到", PRODUCTS).answer == "砂糖橘周日到"  # type: ignore[union-attr]
    assert index.match("草莓什么时候到", PRODUCTS).answer == "周六"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "asks"), [
    ("草莓甜吗", True), ("草莓甜不", True), ("甜不甜", True), ("几号到", True), ("哪天到货", True),
    ("草莓到货了", False), ("谢谢团长", False), ("草莓2盒", False), ("好的", False), ("x" * 200 + "吗", False),
])
def test_what_reads_as_a_question(text: str, asks: bool) -> None:
    assert looks_like_question(text) is asks


@pytest.mark.parametrize(("text", "forward"), [
    ("草莓有籽吗", True), ("团长在吗？", True), ("丹东草莓是大果吗", True), ("几点截单", True),
    ("今天吃啥？", False), ("你们那边下雨了吗", False), ("谢谢", False),
])
def test_which_unanswered_questions_the_owner_sees(text: str, forward: bool) -> None:
    assert worth_forwarding(text, PRODUCTS) is forward


@pytest.mark.parametrize(("text", "order"), [
    ("草莓甜吗？甜的话要2盒", True), ("甜的话来两盒", True), ("甜吗 甜就来2", True), ("好吃的话给我留一箱吗", True),
    ("草莓甜吗", False), ("能来一下吗", False), ("要不要冷藏", False), ("几号到", False),
])
def test_an_order_riding_on_a_question_is_seen(text: str, order: bool) -> None:
    assert carries_order(text) is order


def test_open_command_takes_question_and_answer_lines_as_written() -> None:
    spec = parse_open_command("周六团\n草莓 30元/盒\n问 草莓甜吗 答 丹东99草莓，不甜包退\n问：几号到货？答：周六上午\n"
                              "问号梨 10元/斤\n播报 每20单", START)
    assert spec.qa == (("草莓甜吗", "丹东99草莓，不甜包退"), ("几号到货？", "周六上午"))
    assert [p.name for p in spec.products] == ["草莓", "问号梨"]
    assert spec.broadcast_every == 20
    assert spec.problems == ()
    assert parse_open_command("周六团\n草莓 30元/盒", START).broadcast_every is None
    assert parse_open_command("周六团\n草莓 30元/盒\n播报 每零单", START).problems


def test_a_question_names_a_product_exactly_as_an_order_does() -> None:
    # One catalogue index for orders and questions (issue 25): 橘子 names 砂糖橘 in "橘子2箱", so it
    # does in "橘子酸不酸" too; so do the owner's aliases (/别名 油 = 压榨花生油) and traditional characters.
    from bot.parsing.catalog import Catalog, ProductRef
    from bot.parsing.order_text import parse_order_text

    index = QuestionIndex([read_pair(1, "砂糖橘酸吗", "不酸，很甜"), read_pair(2, "花生油保质期多久", "18个月"),
                           read_pair(3, "红心柚甜吗", "红心的甜")])
    catalog = Catalog([ProductRef(1, "砂糖橘", None, "箱"), ProductRef(2, "压榨花生油 5L", None, "桶", aliases=("油",)),
                       ProductRef(3, "红心柚", None, "个"), ProductRef(4, "白心柚", None, "个")])
    assert [(i.product.name, i.qty) for i in parse_order_text("橘子2箱", catalog).items] == [("砂糖橘", 2)]
    for asked in ("橘子酸不酸", "桔子酸吗？", "砂糖橘会酸吗"):
        assert index.match(asked, catalog).answer == "不酸，很甜", asked  # type: ignore[union-attr]
    assert index.match("油能放多久", catalog).answer == "18个月"  # type: ignore[union-attr]
    assert index.match("紅心柚甜嗎", catalog).answer == "红心的甜"  # type: ignore[union-attr]
    # 柚子 names both pomelos on sale: the pair about 红心柚 is no answer to it.
    assert index.match("柚子甜吗", catalog) is None
