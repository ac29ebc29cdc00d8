"""Members' questions against the owner's 质量问答 (pure, no I/O).

A question is read as a *topic* (sweetness, arrival, origin, shelf life, …:
each a small table of the ways members really ask it) and a *subject*: the
product, named through the same catalogue index orders are read with
(bot/parsing/catalog.py), so 橘子 means 砂糖橘 in "橘子酸不酸" exactly as in
"橘子2箱", and the owner's aliases, traditional characters and synonyms count.
An owner's pair is read the same way once, when the group's pairs are indexed. A question matches a pair when their
topics meet and their subjects agree; questions with no known topic match only
a pair that says nearly the same words. Where two pairs with different answers
fit equally well, nothing matches: no answer is better than a wrong one (the
question then goes to the owner).

Why a rule set and not a library: fuzzy string similarity (rapidfuzz) rates
"草莓甜吗" and "橘子甜吗" as near twins, and "几号到货" as close to "几号截单" —
exactly the wrong answers this must never give; jieba's segmentation would only
feed such a similarity, brings a 19 MB dictionary that loads in about a second,
and has not been released since 2020.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.quantity import NUM, UNITS
from bot.parsing.textnorm import fold, key_of, nfkc, strip_wechat_emoji

# Topic → the phrasings members use. Order matters: earlier topics claim their
# words first ("不甜怎么办" is after-sales, not sweetness).
_TOPICS: tuple[tuple[str, str], ...] = (
    ("售后", r"坏了|烂了|坏果|烂果|破损|压坏|磕坏|售后|退款|包退|包赔|包换|退换|赔付|不新鲜|"
             r"不甜怎么办|不好吃怎么办|有问题怎么办|坏的怎么办|坏的咋办"),
    ("截单", r"几点截单?|什么时候截单?|啥时候截单?|哪天截单?|截单时间|几号截单?|截止时间|什么时候截止|几点截止"),
    ("到货", r"几号到|几时到|哪天到|哪一天到|什么时候到|啥时候到|多久到|多久能到|几天到|几天能到|什么时间到|"
             r"到货|到了吗|到了没|到没到|发货|什么时候发|啥时候发|几号发|哪天发|几时发|什么时候能拿|几号能拿|"
             r"什么时候能吃|哪天能拿|能到|会到|到没到"),
    ("取货", r"哪里取|哪儿取|在哪取|去哪取|哪里拿|哪儿拿|在哪拿|去哪拿|哪里领|在哪领|自提点|取货点|取货地点|"
             r"自提地址|提货点|几点取|什么时候取|啥时候取|几点拿|什么时候可以取|取货时间|自提时间"),
    ("配送", r"送货|送上门|配送|能送|可以送|送到家|包邮|快递|邮寄"),
    ("甜", r"甜不甜|甜吗|甜么|甜嘛|甜不|甜伐|甜吧|甜的吗|甜的么|甜度|够甜|甜不甜呀|有多甜|甜吗|甜没|甜甜的吗"),
    ("酸", r"酸不酸|酸吗|酸么|酸嘛|酸不|酸的吗|会酸|酸伐"),
    ("产地", r"哪里产|哪儿产|哪产|产地|哪里的|哪儿的|哪里来的|哪来的|什么地方的|什么地方产|产自|原产"),
    ("保质期", r"保质期|放多久|放几天|能放多|能放几|可以放多|可以放几|存放多久|保存多久|能存多久|保鲜期|放得住|"
               r"能放久|耐放"),
    ("保存", r"怎么保存|如何保存|怎么存放|怎么放|要冷藏|需要冷藏|放冰箱|冷藏吗|冷冻吗"),
    ("规格", r"多大|个头|大小|几斤|多少斤|多重|规格|克重|净重|毛重|几个一|一盒几个|一箱几个|多少个|几颗|几粒|多少颗"),
    ("口感", r"好吃吗|好不好吃|好吃么|好吃不|口感|味道怎么|味道如何|脆不脆|脆吗|软吗|面吗|沙吗|多汁|水分|水多"),
    ("籽", r"有籽|有没有籽|籽多|有核|核大|核小|无籽"),
    ("价格", r"多少钱|什么价|啥价|几块|怎么卖|价格|单价|贵不贵|便宜吗"),
    ("农药", r"农药|打药|有机|无公害|绿色"),
    ("付款", r"怎么付|怎么给钱|怎么付款|付给谁|转给谁|付款方式|要先付|先付款|什么时候付|货到付款"),
)
_TOPIC_RES = tuple((name, re.compile(pattern)) for name, pattern in _TOPICS)

# Words that ask, without carrying what is asked.
_ASKS = re.compile(r"[?？]|吗|么|嘛|呢|伐|咩|几|什么|啥|哪|怎么|咋|怎样|如何|多少|多久|多大|能不能|可不可以|"
                   r"有没有|是不是|会不会|要不要|([\u4e00-\u9fff])不\1|[不没]$")
_TRAILING = re.compile(r"[\s!！,，.。~～…]+$")
# Said around a question, never its subject.
_FILLER = re.compile(
    r"怎么办|咋办|怎么样|怎么|咋样|咋|怎样|如何|多久|多少|多大|几|什么|啥|哪里|哪儿|哪|"
    r"请问一下|请问|问一下|问下|想问下|想问|我想|打听一下|团长|老板|群主|亲们|亲|你好|您好|在吗|"
    r"这次的|这次|这批的|这批|这回|这波|今年的|今年|今天的|今天|这个|那个|这种|你们家的|你们家|你们的|你们|咱们|我们|"
    r"大家|到底|究竟|真的|一般|大概|现在|还是|都是|的话|是不是|可以|能不能|有没有|一下|"
    r"吗|么|嘛|呢|呀|啊|吧|哈|哦|喔|噢|哇|啦|咧|伐|咩|的|是|会|能|有|要|都|还|也|就|很|挺|比较|[?？!！,，.。~～…]")
# A subject of one character is a leftover, not a product name.
_MIN_SUBJECT = 2
# Questions with no known topic match a pair only when they share this much of its wording.
_SAME_WORDING = 0.85
# Longer than this is a post, a copy or a story, not a quick question.
MAX_QUESTION_CHARS = 80
# An owner's pair: a question as members type it, an answer that is one message, not an essay.
MAX_PAIR_QUESTION, MAX_PAIR_ANSWER = 100, 1000


# Cantonese asks with 唔 where Mandarin says 不: 甜唔甜 is 甜不甜.
_CANTONESE_NOT = re.compile(r"([\u4e00-\u9fff])唔\1")


def _plain(text: str) -> str:
    """The question as the tables read it: simplified characters (甜嗎 is 甜吗), lower case."""
    return _CANTONESE_NOT.sub(r"\1不\1", fold(strip_wechat_emoji(nfkc(text))))


def topics_of(text: str) -> tuple[frozenset[str], str]:
    """The topics `text` asks about, and the text with their words taken out."""
    found: set[str] = set()
    rest = _plain(text)
    for name, pattern in _TOPIC_RES:
        if pattern.search(rest):
            found.add(name)
            rest = pattern.sub(" ", rest)
    return frozenset(found), rest


def looks_like_question(text: str) -> bool:
    """Cheap first test on every message: short, and asking something."""
    if not text or len(text) > MAX_QUESTION_CHARS:
        return False
    # "草莓到货了" tells, "草莓到货了吗" / "草莓甜不" ask.
    return bool(_ASKS.search(_TRAILING.sub("", _plain(text))))


# "甜的话要2盒": an order riding on a question. Never answered (the answer
# would not record the order), never guessed into the book: the owner decides.
# A number with a unit ("来两盒"), or digits alone ("来2"; "来一下" is no order).
_ORDER_WORDS = re.compile(rf"(?:要|来|订|买|拿|下单|预定|预订|给我|帮我留|留)\s*"
                          rf"(?:(?:{NUM})\s*(?:{UNITS})|(?<!\d)\d++)")


def carries_order(text: str) -> bool:
    return bool(_ORDER_WORDS.search(_plain(text)))


Products = Sequence[str] | Catalog


@lru_cache(maxsize=256)
def _catalog_of_names(names: tuple[str, ...]) -> Catalog:
    return Catalog([ProductRef(i, name) for i, name in enumerate(names)])


def catalog_for(products: Products) -> Catalog:
    """The catalogue index that names products in questions: the campaign's own (with the owner's
    aliases, the same one orders are read with), or one built from bare names."""
    return products if isinstance(products, Catalog) else _catalog_of_names(tuple(products))


def _named(text: str, catalog: Catalog) -> tuple[str, frozenset[int]]:
    """The product words in `text` the catalogue knows, and the products they name (a word two
    products share names both): 橘子 names 砂糖橘 here exactly as in an order."""
    folded = fold(text)
    found = catalog.find(folded)
    if not found:
        return "", frozenset()
    ids = frozenset(p.id for m in found for p in (m.choices or (m.product,)))
    best = max(found, key=lambda m: m.end - m.start)
    return key_of(folded[best.start : best.end]), ids


@dataclass(frozen=True)
class Subject:
    """What a question (or a pair) is about: its words, and the products of the campaign they name."""

    words: str = ""
    products: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.words or self.products)


def _subject(rest: str, catalog: Catalog) -> Subject:
    """The product a question is about: the products it names, else its words once filler is
    removed (empty for none)."""
    words, ids = _named(rest, catalog)
    if ids:
        return Subject(words, ids)
    left = key_of(_FILLER.sub(" ", rest))
    return Subject(left if len(left) >= _MIN_SUBJECT else "")


def _same_subject(pair: str, asked: Subject, catalog: Catalog) -> bool:
    """A pair's subject and a question's name the same thing: the products the question names are
    all the pair's (a pair about 柚子 answers 红心柚, one about 红心柚 never answers 柚子 while 白心柚
    is on sale too); or, where the campaign names neither, one's words hold the other's."""
    _, pair_ids = _named(pair, catalog) if pair else ("", frozenset[int]())
    if pair_ids and asked.products:
        return asked.products <= pair_ids
    return bool(asked.words) and _agree(pair, asked.words)


def _agree(a: str, b: str) -> bool:
    """Two subjects name the same thing: one holds the other (草莓 / 丹东草莓)."""
    return a in b or b in a


def _bigrams(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 2] for i in range(len(key) - 1)) if len(key) > 1 else frozenset({key})


@dataclass(frozen=True)
class Pair:
    """An owner's question as the matcher reads it. Pairs outlive campaigns: its subject is kept as
    words and read against the catalogue of the campaign a question is asked in."""

    id: int
    question: str
    answer: str
    topics: frozenset[str]
    subject: str
    key: str
    grams: frozenset[str]


def read_pair(pair_id: int, question: str, answer: str, products: Products = ()) -> Pair:
    topics, rest = topics_of(question)
    key = key_of(_FILLER.sub(" ", _plain(question)))
    return Pair(pair_id, question, answer, topics, _subject(rest, catalog_for(products)).words, key, _bigrams(key))


class QuestionIndex:
    """A group's pairs, read once; matching a question costs its own length plus
    a set lookup per pair sharing a topic with it."""

    def __init__(self, pairs: Iterable[Pair]) -> None:
        self.pairs = list(pairs)
        self._by_topic: dict[str, list[Pair]] = {}
        self._untopical: list[Pair] = []
        for p in self.pairs:
            if p.topics:
                for t in p.topics:
                    self._by_topic.setdefault(t, []).append(p)
            else:
                self._untopical.append(p)

    def match(self, text: str, products: Products = ()) -> Pair | None:
        """The pair answering `text`, or None when none fits or several could.

        `products`: the group's open campaign (its catalogue index, or its product names), so a
        question names a product exactly as an order would, and one that names none ("甜吗？")
        can be about its only product."""
        if not looks_like_question(text):
            return None
        catalog = catalog_for(products)
        topics, rest = topics_of(text)
        subject = _subject(rest, catalog)
        if not subject and len(catalog.products) == 1:
            only = catalog.products[0]
            subject = Subject(key_of(fold(only.name)), frozenset({only.id}))
        scored: list[tuple[int, Pair]] = []
        if topics:
            seen: set[int] = set()
            for t in topics:
                for p in self._by_topic.get(t, ()):
                    if p.id in seen:
                        continue
                    seen.add(p.id)
                    score = self._score_topical(p, topics, subject, catalog)
                    if score is not None:
                        scored.append((score, p))
        else:
            key = key_of(_FILLER.sub(" ", _plain(text)))
            grams = _bigrams(key)
            for p in self._untopical:
                same = key == p.key or (len(p.grams) >= 2
                                        and len(grams & p.grams) / len(p.grams | grams) >= _SAME_WORDING)
                if same and (not p.subject or not subject or _same_subject(p.subject, subject, catalog)):
                    scored.append((10, p))
        if not scored:
            return None
        best = max(s for s, _ in scored)
        answers = {p.answer.strip() for s, p in scored if s == best}
        if len(answers) != 1:
            return None  # two different answers fit equally: ask the owner
        return min((p for s, p in scored if s == best), key=lambda p: p.id)

    @staticmethod
    def _score_topical(p: Pair, topics: frozenset[str], subject: Subject, catalog: Catalog) -> int | None:
        shared = len(p.topics & topics)
        if not shared:
            return None
        if p.subject:
            if not subject or not _same_subject(p.subject, subject, catalog):
                return None
            return 20 + shared  # about this very product
        return 10 + shared  # a general answer ("几号到货") fits any product


def worth_forwarding(text: str, products: Products = ()) -> bool:
    """An unanswered question the owner should see: it asks about the goods
    (a known topic, or a product by name) or asks the 团长 herself; small talk
    ("今天吃啥？") stays in the group."""
    if not looks_like_question(text):
        return False
    topics, rest = topics_of(text)
    if topics or "团长" in text or "群主" in text:
        return True
    return bool(_named(rest, catalog_for(products))[1])
