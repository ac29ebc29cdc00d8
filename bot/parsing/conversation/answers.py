"""A member's reply to a question the bot (or the owner) asked her, read in a word (pure).

`A`, `b`, `选B`, `大的`, `红心的`, `是`, `对`, `2`, `两箱`, `大的 两箱`, `不要了`, `不是`: each
settles the question or says what to ask next. Anything with more in it than an
answer is not one (None): it is read as a new message. The question itself is
the reader's (bot/parsing/intent.py, `Question`; bot/parsing/asking.py builds
them): its choices book what she picks (a choice's last item is the product
picked, any before it the rest of her message), with the quantity she names in
place of the one read; a number answers `number_for`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.parsing.asking import Reading, choose, name_words
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.intent import Action, Choice, Intent, Question
from bot.parsing.items import Item, extract
from bot.parsing.order_text import parse_order_text
from bot.parsing.quantity import NUM, UNITS, to_int
from bot.parsing.textnorm import nfkc, strip_wechat_emoji


class Reply(StrEnum):
    CHOICE = "choice"  # a reading picked: `intent` books it
    DECLINE = "decline"  # 不要了: nothing is booked, the question is closed
    NOT_THAT = "not_that"  # 不是: the reading offered is wrong; she is asked to write it
    WHICH = "which"  # 是 to a question with several choices: which one?
    HOW_MANY = "how_many"  # a product picked, no quantity anywhere: how many?


@dataclass(frozen=True)
class Answer:
    reply: Reply
    intent: Intent | None = None  # for CHOICE
    product: ProductRef | None = None  # for HOW_MANY


YES = frozenset((
    "是", "是的", "是啊", "是呀", "是滴", "对", "对的", "对啊", "对呀", "对滴", "就是", "没错",
    "嗯", "嗯嗯", "恩", "恩恩", "好", "好的", "好啊", "好呀", "要", "要的", "要啊", "要呀",
    "可以", "行", "确认", "确定", "ok", "okay", "yes", "y",
    "係", "係呀", "啱", "冇錯", "好嘅", "要嘅", "對", "對的", "沒錯", "確認", "👍", "👌", "✅", "🙆",
))
DECLINE = frozenset((
    "不要了", "不要啦", "不要", "不用了", "不用", "算了", "取消", "不买了", "不订了", "不要了谢谢", "算了不要了",
    "唔要", "唔要喇", "唔使",
))
NOT_THAT = frozenset(("不是", "不是的", "不对", "错了", "都不是", "不是这个", "唔係", "不是啊", "不系"))

# Politeness around an answer: 选A吧, 就要大的呀, 我要2盒哈.
_LEAD = re.compile(r"^(?:我要|我选|我|就要|就|选|要|那就|那)")
_TAIL = re.compile(r"(?:吧|啊|呀|哈|哦|噢|喔|啦|嘛|呢|哟|谢谢|谢谢团长|thx|thanks)+$")
_PUNCT = re.compile(r"[\s,.!~。，！～、…:：;；'\"“”‘’()（）]+")
_DECORATION = frozenset(("So", "Sk", "Cf", "Mn", "Me", "Co"))
# A quantity alone or beside the answer: 2, 两箱, x3.
_QTY = re.compile(rf"(?:[x×*]\s*)?({NUM})\s*({UNITS})?")
_CJK = re.compile(r"^[\u4e00-\u9fff]{1,4}$")
# Answers are short; a longer message is a new one.
MAX_ANSWER = 24


def _plain(text: str) -> str:
    text = strip_wechat_emoji(nfkc(text)).lower()
    return _PUNCT.sub("", text)


def _bare(text: str) -> str:
    """The answer without decoration: emoji gone unless they are all it is (👍 is a yes)."""
    plain = _plain(text)
    without = "".join(ch for ch in plain if unicodedata.category(ch) not in _DECORATION)
    return without or plain


def _core(word: str) -> str:
    word = _LEAD.sub("", word, count=1)
    return _TAIL.sub("", word)


def read_answer(text: str, question: Question, asked_about: str, catalog: Catalog, *,
                max_qty: int = 99) -> Answer | None:
    """What `text` answers, or None when it is not an answer to this question.

    `asked_about`: what she wrote that was asked about (a quantity or a product in it
    completes an answer that names only the other)."""
    if len(text) > MAX_ANSWER * 3 or "\n" in text.strip():
        return None
    word = _bare(text)
    if not word or len(word) > MAX_ANSWER:
        return None
    core = _core(word)
    # A choice that books nothing is the reader's "不是": the reading offered is not hers.
    choices = tuple(c for c in question.choices if c.intent.action is not Action.NONE)
    refusals = tuple(c for c in question.choices if c.intent.action is Action.NONE)
    if word in DECLINE or core in DECLINE:
        return Answer(Reply.DECLINE)
    if word in NOT_THAT or _exact_choice(word, refusals) is not None:
        return Answer(Reply.NOT_THAT)
    picked = _exact_choice(core, choices)
    if picked is None and (word in YES or core in YES):
        if len(choices) == 1:
            picked = 0
        elif not choices and question.number_for is not None:
            return Answer(Reply.HOW_MANY, product=question.number_for)
        else:
            return Answer(Reply.WHICH)
    if picked is not None:
        return _with_quantity(choices[picked].intent, None, asked_about)
    # The products she names, then one quantity, then what is left: nothing, or a choice's word.
    named = [m for m in catalog.find(core) if not m.choices]
    masked = _blank(core, [(m.start, m.end) for m in named])
    found = list(_QTY.finditer(masked))
    if len(found) > 1:
        return None
    qty: int | None = None
    if found:
        qty = to_int(found[0].group(1))
        if qty is None or qty <= 0 or qty > max_qty:
            return None
        masked = _blank(masked, [found[0].span()])
    rest = _core(masked.replace(" ", "").removesuffix("的"))
    if named:
        if rest and rest not in _FILLER:
            return None
        return _product_answer({m.product.id: m.product for m in named}, qty, question, choices, asked_about)
    if not rest:
        return _quantity_answer(qty, question, choices, asked_about, catalog) if qty is not None else None
    picked = _exact_choice(rest, choices)
    if picked is None:
        picked = _by_distinct_part(rest.removesuffix("那个"), choices)
    if picked is None:
        return None
    return _with_quantity(choices[picked].intent, qty, asked_about)


# What may stand beside a product in an answer: 要草莓, 草莓的.
_FILLER = frozenset(("的", "要", "要的", "来", "买"))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _exact_choice(word: str, choices: tuple[Choice, ...]) -> int | None:
    """The choice whose key or one of whose words `word` is (大的 and 大 both for a word 大的)."""
    for candidate in dict.fromkeys((word, word.removesuffix("的"), _core(word.removesuffix("的")))):
        if not candidate:
            continue
        hits = [i for i, c in enumerate(choices)
                if candidate == c.key.lower() or candidate in {w.lower() for w in c.words}
                or candidate in {w.lower().removesuffix("的") for w in c.words}]
        if len(hits) == 1:
            return hits[0]
    return None


def picked(intent: Intent) -> ProductRef | None:
    """The product a choice picks: its last item (the ones before it are the rest of her message)."""
    return intent.items[-1].product if intent.items else None


def asked_products(question: Question) -> set[int]:
    """The products a question is about: those its choices pick between, or its number's."""
    out = {p.id for c in question.choices if (p := picked(c.intent)) is not None}
    out |= {p.id for c in question.choices for p in c.intent.products}
    if question.number_for is not None:
        out.add(question.number_for.id)
    return out


def _products(intent: Intent) -> set[int]:
    """What a choice is about: the product it picks, or those it cancels."""
    p = picked(intent)
    return {p.id} if p is not None else {q.id for q in intent.products}


def _by_distinct_part(word: str, choices: tuple[Choice, ...]) -> int | None:
    """红心 for 红心柚 beside 白心柚, 大 for 大果 beside 小果: every character is in its
    product's name, and one of them in no other choice's."""
    if not _CJK.match(word) or len(choices) < 2:
        return None
    names = [set(p.name) if (p := picked(c.intent)) is not None else set() for c in choices]
    hits = []
    for i, chars in enumerate(names):
        others: set[str] = set().union(*(n for j, n in enumerate(names) if j != i))
        if set(word) <= chars and set(word) - others:
            hits.append(i)
    return hits[0] if len(hits) == 1 else None


def _with_quantity(intent: Intent, qty: int | None, asked_about: str) -> Answer:
    """The choice, with the quantity she named (or, for a choice without one, the one she wrote)."""
    if not intent.items:
        return Answer(Reply.CHOICE, intent)
    *rest, item = intent.items
    if qty is None and item.qty <= 0:
        qty = quantity_for(item.product, asked_about)
        if qty is None:
            return Answer(Reply.HOW_MANY, product=item.product)
    if qty is None:
        return Answer(Reply.CHOICE, intent)
    return Answer(Reply.CHOICE, replace(intent, items=(*rest, Item(item.product, qty))))


def quantity_for(product: ProductRef, text: str) -> int | None:
    """The quantity `text` gives `product` when it is the only product there could be
    ("柚子两个" for 红心柚, "+1", "三个"), or None."""
    ex = extract(text, Catalog([product]), bare_number_ok=True)
    items = [i for i in ex.items if i.product.id == product.id]
    return items[0].qty if len(items) == 1 and not ex.too_large else None


def _product_answer(named: dict[int, ProductRef], qty: int | None, question: Question,
                    choices: tuple[Choice, ...], asked_about: str) -> Answer | None:
    """An answer naming products ("大果", "草莓2盒"): the one choice with them, or for an
    open question the one product, with her quantity."""
    if choices:
        hits = [i for i, c in enumerate(choices) if set(named) & _products(c.intent)]
        return _with_quantity(choices[hits[0]].intent, qty, asked_about) if len(hits) == 1 else None
    if len(named) != 1:
        return None
    product = next(iter(named.values()))
    if question.number_for is not None and product.id != question.number_for.id:
        return None
    if qty is None:
        qty = quantity_for(product, asked_about)
    if qty is None:
        return Answer(Reply.HOW_MANY, product=product)
    return Answer(Reply.CHOICE, Intent(Action.SET, items=(*question.with_items, Item(product, qty))))


def _quantity_answer(qty: int, question: Question, choices: tuple[Choice, ...], asked_about: str,
                     catalog: Catalog) -> Answer | None:
    """A bare quantity: the question's number, the choice with that quantity, or the one product
    asked about."""
    numbered = question.with_number(qty)
    if numbered is not None:
        return Answer(Reply.CHOICE, numbered)
    products = {pid for c in choices for pid in _products(c.intent)}
    if choices and len(products) == 1:
        same = [c for c in choices if c.intent.items and c.intent.items[-1].qty == qty]
        intent = (same[0] if same else choices[0]).intent
        return _with_quantity(intent, qty, asked_about) if intent.items else None
    if choices:
        return None
    named = {m.product.id: m.product for m in catalog.find(_plain(asked_about)) if not m.choices}
    if len(named) != 1:
        return None
    product = next(iter(named.values()))
    return Answer(Reply.CHOICE, Intent(Action.SET, items=(Item(product, qty),)))


def read_together(asked_about: str, text: str, catalog: Catalog, *, max_qty: int = 99) -> Intent | None:
    """Two messages that only make sense together ("要豆沙粽" … "三个", "三个" … "豆沙粽"): the
    order they make, when `text` alone orders nothing and both together read exactly."""
    alone = parse_order_text(text, catalog, max_qty=max_qty)
    if alone.action is not Action.NONE and alone.action is not Action.UNCLEAR:
        return None
    for joined in (f"{asked_about} {text}", f"{text} {asked_about}"):
        intent = parse_order_text(joined, catalog, max_qty=max_qty)
        if intent.action in (Action.SET, Action.ADD) and intent.items:
            return intent
    return None


# The owner asking a member in her own words: "@张三 要大果还是小果？", "@李四 柚子要红心的吗".
_ASKING = re.compile(r"[?？]|还是|吗|么|哪|几|要不要|是不是|对不对|多少")


def owner_asks(text: str, catalog: Catalog) -> tuple[ProductRef, ...] | None:
    """The products the owner's question offers (possibly none), or None when it is not a question."""
    plain = nfkc(text).lower()
    if not _ASKING.search(plain):
        return None
    seen: dict[int, ProductRef] = {}
    for m in catalog.find(plain):
        for product in m.choices or (m.product,):
            seen.setdefault(product.id, product)
    return tuple(seen.values())


# "要豆沙粽", "我要鲜肉粽哈", "来点蛋黄粽", or the product alone ("年糕", "粽子"): she wants a product and
# has not said how many (yet).
_WANTS = re.compile(r"^(?:我也要|我要|也要|还要|再要|想要|来点|帮我留|给我留|要|来|订|买|留)?(.+?)"
                    r"(?:吧|哈|呀|啊|哦|呢)?$")
# A noun suffix that is no part of a product's name: 粽子 for 蛋黄肉粽, 桔子 for 砂糖桔.
_SUFFIX = ("子", "儿")


def wanted_products(text: str, catalog: Catalog) -> tuple[ProductRef, ...]:
    """The products a message that is only a product's name asks for without a quantity: one, or
    the several a part of a name fits ("粽子" with 豆沙粽 and 蛋黄肉粽); () when it is not that.
    The first half of a message in two ("要豆沙粽" … "三个"): she is asked, and her next word answers."""
    word = _bare(text)
    if len(word) > MAX_ANSWER or any(ch.isdigit() for ch in word):
        return ()
    m = _WANTS.match(word)
    if m is None:
        return ()
    named = m.group(1)
    found = catalog.find(named)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(named):
        return found[0].choices or (found[0].product,)
    if found or not _CJK.match(named):
        return ()
    # A part of a name with a noun suffix ("粽子"): the products whose names hold the part.
    stem = named[:-1] if len(named) > 1 and named.endswith(_SUFFIX) else ""
    return tuple(p for p in catalog.products if stem and stem in p.name) if stem else ()


def which_of(leftover: str, products: tuple[ProductRef, ...]) -> Question:
    """「粽子」是要哪个？A 蛋黄肉粽 还是 B 豆沙粽？— no quantity yet: her pick is asked how many next,
    unless she names it with the letter ("A 2")."""
    return choose(leftover, [Reading(Intent(Action.SET, items=(Item(p, 0),)), name_words(p, products), p.code, p.name)
                             for p in products])


def wants_without_quantity(text: str, catalog: Catalog) -> ProductRef | None:
    """The one product a message asks for without a quantity, or None (see wanted_products)."""
    products = wanted_products(text, catalog)
    return products[0] if len(products) == 1 else None
