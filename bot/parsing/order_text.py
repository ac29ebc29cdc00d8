"""What a plain chat message means for the order book (pure).

"草莓2盒" sets her quantity of 草莓 to 2 — a re-sent message never doubles an
order; "再来1盒"/"草莓+1" add, "草莓-1"/"少要一盒" take away; "草莓不要了" cancels
one product, "取消" all; "砂糖橘换成草莓" moves her quantity. The message is read
whole (bot/parsing/reader.py): when any product or quantity in it is left over,
nothing is booked and she is asked about exactly that (`Action.ASK`, see
bot/parsing/intent.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.parsing.asking import Reading as Option
from bot.parsing.asking import choose, confirm, how_many, in_all, name_words, quoted, which_product
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.intent import Action, Choice, Intent, Question, Reason, asking, intent_of
from bot.parsing.items import Extraction
from bot.parsing.quantity import to_int
from bot.parsing.reading.assembly import UNNAMED_OPS, Leftover, Reading, read
from bot.parsing.reading.change import Change, Item, Op
from bot.parsing.reading.spans import CN
from bot.parsing.textnorm import fold, nfkc, strip_wechat_emoji

_CANCEL_ALL = re.compile(
    r"^(?:我|本人)?(?:的)?(?:订单)?(?:全部|都|全)?(?:取消|不要了|不要啦|退单|退团)(?:订单|了|吧|啦|哈|全部|我的订单)?$"
)
# 我的那份取消吧, 我那份不要了, 全部取消, 我的订单都退了吧: her whole order, in words. A clause of its own;
# the others may say why (这周不在家) or thank, but name no product and no quantity.
_CANCEL_MINE = re.compile(
    r"^(?:团长|麻烦|那|那么|还是)*(?:帮我|请)?(?:把)?(?:我|本人|俺)?(?:的)?(?:这次的?|这周的?)?"
    r"(?:那份|这份|那单|这单|订单|单子|全部订单|所有订单|全部的?|所有的?|都|全)*"
    r"(?:都|全|也)?(?:帮我)?(?:取消|不要了|不要啦|退单|退团|撤单|撤了|退了|删掉|删了|作废|不参加了|不跟了|不跟团了)"
    r"(?:掉|订单|了|吧|啦|哈|呀|哦|全部|我的订单)*$")
_EN_REQUEST = re.compile(r"\b(?:could|can|may)\s+(?:i|we)\s+(?:have|get|order|take|grab|book)\b"
                         r"|\bi(?:'?d| would) like\b|\bi(?:'?ll| will) take\b|\bi want\b")
_EN_TOO = re.compile(r"\b(?:too|as well|also|more|extra)\b")
_CLAUSES = re.compile(r"[\s,，。.!！~～、;；]+")
_NUMBER = re.compile(rf"[\d{CN}]")
_QUESTION = re.compile(r"[?？]|吗|么|呢|嘛|多少|几点|什么|怎么|有没有|还有没")
_TRAILING_NOISE = re.compile(r"[\s,.!~。，！～、…]+")
# Reviews, thanks and reports about an earlier order carry quantities too:
# "上次买的苹果2箱特别脆", "前天那3瓶牛奶收到了".
_PAST = re.compile(r"上次|上回|上周|上个月|上礼拜|前天|昨天|昨晚|之前|以前|那次|前几天"
                   r"|收到了|已收到|吃完了|拿到了|已经到了")
# ...unless she also says she wants some now.
_NOW = re.compile(r"这次|这回|今天要|再来|再要|还要|还想要|帮我|给我|我要|想要|订(?!的|了)|加(?!的|了)")
_SAME_AS_ABOVE = re.compile(r"^(?:我也|我)?(?:同上|跟上面一样|和上面一样)")

# Emoji and their modifiers, joiners and variation selectors decorate a
# message without changing it: "取消🙏" cancels like "取消".
_DECORATION = frozenset(("So", "Sk", "Cf", "Mn", "Me", "Co"))


def _compact(text: str) -> str:
    plain = "".join(ch for ch in strip_wechat_emoji(nfkc(text))
                    if unicodedata.category(ch) not in _DECORATION)
    return _TRAILING_NOISE.sub("", plain)


@lru_cache(maxsize=1024)
def parse_order_text(text: str, catalog: Catalog, *, max_qty: int = 99) -> Intent:
    """What `text` does to the sender's order. Kept for the same text and catalogue: a message
    may be read by more than one handler (a question that might be an order, then the order)."""
    compact = _compact(text)
    if not compact:
        return _emoji_only(text, catalog, max_qty)
    if _CANCEL_ALL.match(compact):
        return Intent(Action.CANCEL_ALL)
    whole = _cancels_all_in_words(text, catalog)
    if whole == "yes":
        return Intent(Action.CANCEL_ALL)
    if whole == "ask":
        # 我也不要了: her whole order, or agreeing with someone about one thing? Asked.
        return asking(Intent(Action.UNCLEAR, reason=Reason.UNREADABLE),
                      confirm(text, Intent(Action.CANCEL_ALL), label="取消你的全部订单"))
    if len(compact) <= 8 and _SAME_AS_ABOVE.match(compact):
        return Intent(Action.UNCLEAR, reason=Reason.SAME_AS_ABOVE)
    # "Could I have 2 packs of dumplings?" is an order asked politely, not a question.
    asks = bool(_QUESTION.search(compact)) and _EN_REQUEST.search(text.lower()) is None
    r = read(text, catalog, max_qty=max_qty)
    past = _PAST.search(compact)
    if past is not None and (r.changes or r.leftovers or r.lone or r.mentioned):
        # About an earlier order: chatter, unless she also asks for more now.
        if _NOW.search(compact[past.end():]) is None:
            return Intent(Action.NONE)
        unclear = Intent(Action.UNCLEAR, reason=Reason.PAST_OR_NOW)
        if r.leftovers:
            return asking(unclear, question_for(r.leftovers, r.changes, catalog))
        if r.changes:
            return asking(unclear, confirm(compact, intent_of(r.changes)))
        return unclear
    if r.too_large:
        return Intent(Action.UNCLEAR, reason=Reason.TOO_LARGE)
    if (r.changes or r.leftovers) and ("人" in compact or "各" in compact):
        each = per_person(text, r, catalog, max_qty)
        if each is not None:
            return each
    if not r.changes and not r.leftovers:
        return _lone(r, compact, catalog, asks, max_qty)
    if r.leftovers:
        # 草莓甜吗？ / 草莓真好吃 / 要草莓: a product named with no quantity and nothing else is no
        # order read here (the conversation asks "要几盒" when she plainly wants it).
        if all(lo.why == "noqty" for lo in r.leftovers) and not r.changes:
            return Intent(Action.NONE)
        if asks and not r.changes and not any(lo.kind == "which" and lo.qty for lo in r.leftovers):
            # 草莓甜吗？甜的话要2盒: a question first; the question handler answers it or
            # forwards it, and the order riding on it goes to the owner.
            return Intent(Action.NONE)
        return _ask(r, catalog)
    if whole == "mixed" and all(c.op is Op.SET for c in r.changes):
        # 我那份不要了 丑橘2箱: the rest of her order goes and this stays? Asked, never half done.
        keep = {c.product.id for c in r.changes}
        rest = [Change(Op.CANCEL, p) for p in catalog.products if p.id not in keep]
        label = "、".join(c.label() for c in r.changes)
        return asking(Intent(Action.UNCLEAR, reason=Reason.UNREADABLE),
                      confirm(text, intent_of([*rest, *r.changes]), label=f"取消其余的，只要 {label}"))
    intent = intent_of(r.changes)
    if intent.action is Action.SET and _EN_TOO.search(text.lower()):
        intent = Intent(Action.ADD, items=intent.items)  # "two of the 豆浆 too": more, like 豆浆也要两瓶
    if asks:
        # "草莓2盒可以吗？" is probably an order, but a guess is worse than asking: the reading is
        # kept for her to confirm (the conversation asks "是要 草莓×2 吗？").
        if intent.action in (Action.SET, Action.ADD):
            return Intent(Action.UNCLEAR, items=intent.items, reason=Reason.QUESTION)
        return asking(Intent(Action.UNCLEAR, reason=Reason.QUESTION), confirm(compact, intent))
    return intent


# 一人一杯, 每人两瓶, 人手一份; 各 only after the people it is for (我和我老公各一杯).
_EACH_PERSON = re.compile(rf"(?:一人|每人|每个人|人手|各人|一个人|每位)(?=\s*+(?:都|各)?\s*+(?:要|来|拿)?\s*+[{CN}\d])"
                          rf"|(?P<each>各)(?=\s*+(?:要|来|拿)?\s*+[{CN}\d])")
_PERSON = (r"(?:我的?|你的?)?(?:老公|老婆|爱人|媳妇|对象|妈妈|妈|爸爸|爸|婆婆|公公|岳母|丈母娘|姐姐|姐|哥哥|哥|弟弟|弟|"
           r"妹妹|妹|儿子|女儿|闺女|孩子|宝宝|小孩|朋友|同事|邻居|室友|家人|老人|奶奶|爷爷|外婆|外公)|我|你|他|她")
_PEOPLE_LIST = re.compile(rf"(?:{_PERSON})(?:\s*+(?:和|跟|与|同|还有|以及|加上|、|,|，)\s*+(?:{_PERSON}))+"
                          r"\s*+(?:都|俩|两个)?\s*+$")
_PERSON_ONE = re.compile(_PERSON)
_PEOPLE_COUNT = re.compile(rf"(?:我们|咱们|俺们|我家|我们家)?\s*+(俩|仨|[{CN}\d]+)\s*+"
                           r"(?:个人|口人|口|个|位|人)?\s*+(?:都)?\s*+$")
_CLAUSE_END = re.compile(r"[,，。;；!！\n]")


def _people(head: str) -> int | None:
    """How many people the words before 一人/每人/各 name: 我和我老公 → 2, 我们三个 → 3; None: not said."""
    listed = _PEOPLE_LIST.search(head)
    if listed is not None:
        return len(_PERSON_ONE.findall(listed.group(0)))
    counted = _PEOPLE_COUNT.search(head)
    if counted is not None and (counted.group(0).strip().startswith(("我", "咱", "俺"))
                                or any(w in counted.group(0) for w in ("人", "口", "位"))):
        word = counted.group(1)
        n = {"俩": 2, "仨": 3}.get(word) or to_int(word.replace("俩", "两"))
        return n if n is not None and n >= 1 else None
    return None


def per_person(text: str, r: Reading, catalog: Catalog, max_qty: int) -> Intent | None:
    """我和我老公一人一杯酸奶: one each for the people she names is their number (2), never 1. When she
    does not say how many people (一人一杯酸奶), she is asked how many in all. None: no such words."""
    said = fold(strip_wechat_emoji(nfkc(text))).strip()
    marks = list(_EACH_PERSON.finditer(said))
    if not marks:
        return None
    found = [m for m in catalog.find(said) if not m.choices]
    people: dict[int, int | None] = {}  # product id -> for how many people
    named: dict[int, ProductRef] = {}
    n: int | None = None
    floor = 0
    for each in marks:
        clause_start = max([floor, *(m.end() for m in _CLAUSE_END.finditer(said, 0, each.start()))])
        # 我和老公一人一瓶豆浆 一人两个馒头: the second 一人 is for the same two people.
        n = _people(said[clause_start : each.start()]) or n
        if n is None and (each.group("each") or _QUESTION.search(said)):
            return None  # 苹果香蕉各一: each product, not each person; 限购一人一杯吗: a question
        ends = [m.start() for m in _CLAUSE_END.finditer(said, each.end())]
        # Hers for each person: the products named in the clause before 一人 (酸奶 我们俩一人一杯), and
        # the first one after it (一人一杯酸奶 牛奶1瓶: the milk is hers alone).
        stop = ends[0] if ends else len(said)
        before = [m.product for m in found if clause_start <= m.start and m.end <= each.start()]
        after = [m.product for m in found if each.end() <= m.start < stop][:1]
        for p in (*before, *after):
            named.setdefault(p.id, p)
            people.setdefault(p.id, n)
        floor = each.end()
    sized = [c for c in r.changes if c.op in (Op.SET, Op.ADD)]
    targets = [c for c in sized if c.product.id in named] or (sized if len(r.changes) == 1 else [])
    if not targets and not named and not (r.leftovers and len(catalog.products) == 1):
        return None
    if len(r.changes) == 1 and targets:
        people.setdefault(targets[0].product.id, n)
    times = {c.product.id: people.get(c.product.id) for c in targets}
    if targets and not r.leftovers and all(times.values()):
        if any(c.qty * (times[c.product.id] or 1) > max_qty for c in targets):
            return Intent(Action.UNCLEAR, reason=Reason.TOO_LARGE)
        return intent_of([Change(c.op, c.product, c.qty * (times[c.product.id] or 1), c.source) if c in targets
                          else c for c in r.changes])
    rest = [c for c in r.changes if c not in targets]
    asked = [c.product for c in targets] or list(named.values()) or list(catalog.products)
    if len(asked) == 1 and len(r.leftovers) <= 1 and all(c.op is Op.SET for c in rest):
        p = asked[0]
        return asking(Intent(Action.UNCLEAR, reason=Reason.UNREADABLE),
                      Question(said, f"{quoted(said)}没看懂：几个人？{p.name}一共要几{p.unit or '份'}？回数字", (),
                               number_for=p, with_items=tuple(Item(c.product, c.qty) for c in rest)))
    return asking(Intent(Action.UNCLEAR, reason=Reason.UNREADABLE),
                  Question(said, f"{quoted(said)}没看懂：一共要几{_unit(catalog)}？请写明商品和一共的数量", ()))


def _cancels_all_in_words(text: str, catalog: Catalog) -> str | None:
    """One clause cancels her order as a whole (我的那份取消吧), and nothing else names a product or a
    quantity: her whole order goes (这周不在家 says why) — "yes". "ask": 我也不要了 (too may agree
    with someone about one product). None: not such a message."""
    clauses = [c for c in _CLAUSES.split(_compact_keep_spaces(text)) if c]
    if not clauses or len(clauses) > 4:
        return None
    cancel = [c for c in clauses if _CANCEL_MINE.match(c)]
    if len(cancel) != 1:
        return None
    rest = "".join(c for c in clauses if c is not cancel[0])
    if _QUESTION.search("".join(clauses)):
        return None
    if any(m.via != "all" for m in catalog.find(fold("".join(clauses)))):
        return "mixed"
    if _NUMBER.search(rest):
        return None
    return "ask" if "也" in cancel[0] else "yes"


def _emoji_only(text: str, catalog: Catalog, max_qty: int) -> Intent:
    """🥥🥥🥥 where one product is the coconut: three of it, or a cheer? She is asked (one emoji alone
    is a reaction, left alone)."""
    marks = [ch for ch in nfkc(text) if not ch.isspace() and unicodedata.category(ch) not in ("Mn", "Cf", "Sk")]
    if len(marks) < 2 or len(set(marks)) != 1 or marks[0] not in catalog.emoji or len(marks) > max_qty:
        return Intent(Action.NONE)
    found = catalog.find(marks[0])
    if len(found) != 1 or found[0].choices:
        return Intent(Action.NONE)
    want = Intent(Action.SET, items=(Item(found[0].product, len(marks)),))
    return asking(Intent(Action.UNCLEAR, reason=Reason.NO_PRODUCT),
                  confirm(text.strip(), want, label=f"{found[0].product.name}×{len(marks)}"))


def _compact_keep_spaces(text: str) -> str:
    return "".join(ch for ch in strip_wechat_emoji(nfkc(text)) if unicodedata.category(ch) not in _DECORATION)


def _lone(r: Reading, compact: str, catalog: Catalog, asks: bool, max_qty: int) -> Intent:
    """A quantity with no product named: 改成3盒 (the book decides), or +1 / 2盒 with several products."""
    if not r.lone:
        return Intent(Action.NONE)
    qty = r.lone[0]
    value = qty.value
    if r.unnamed_edit is not None and value is not None and 0 < value <= max_qty and not asks:
        op = UNNAMED_OPS.get(r.unnamed_edit, Op.LESS)
        # Which product she means depends on what she holds: the book decides, and asks
        # `which_product(question.leftover, <what she holds>, qty)` when she holds several.
        return Intent(Action.EDIT_UNNAMED, qty=value, unit=qty.unit, op=op,
                      question=which_product(r.lone_text[0], catalog.products, value))
    if asks or len(compact) > 20 or r.unnamed_edit is not None:
        return Intent(Action.NONE)
    unclear = Intent(Action.UNCLEAR, reason=Reason.NO_PRODUCT)
    if value is None or not 0 < value <= max_qty:
        return unclear
    fitting = [p for p in catalog.products if qty.unit is None or p.unit in (None, qty.unit)]
    return asking(unclear, which_product(r.lone_text[0], fitting or catalog.products, value))


def _ask(r: Reading, catalog: Catalog) -> Intent:
    """Nothing booked; one question about exactly what was left over."""
    shared = [lo for lo in r.leftovers if lo.kind == "which" and len(lo.choices) > 1 and lo.why != "noqty"]
    reason = Reason.AMBIGUOUS if shared else Reason.UNREADABLE
    unclear = Intent(Action.UNCLEAR, reason=reason, words=tuple(lo.text for lo in shared))
    return asking(unclear, question_for(r.leftovers, r.changes, catalog))


def question_for(leftovers: tuple[Leftover, ...], certain: tuple[Change, ...], catalog: Catalog) -> Question:
    """The one question about what was left over; each answer books it with the rest (`certain`)."""
    if len(leftovers) != 1:
        shown = "".join(quoted(lo.text) for lo in leftovers[:3])
        return Question(" ".join(lo.text for lo in leftovers), f"{shown}没看懂：请重新发一遍要哪个、几{_unit(catalog)}",
                        ())
    lo = leftovers[0]
    if lo.kind == "which" and lo.choices and (lo.qty is not None or lo.op is Op.CANCEL):
        options = []
        for p in lo.choices:
            change = Change(Op.CANCEL, p) if lo.op is Op.CANCEL else Change(lo.op, p, lo.qty or 0)
            options.append(Option(intent_of([*certain, change]), name_words(p, lo.choices), p.code, change.label()))
        return choose(lo.text, options)
    if lo.kind == "how_many" and lo.product is not None and all(c.op is Op.SET for c in certain):
        because = "" if lo.why.startswith("noqty") else lo.why
        return how_many(lo.text, lo.product, [Item(c.product, c.qty) for c in certain], because=because)
    if lo.kind == "total" and lo.product is not None and lo.proposal:
        return in_all(lo.text, lo.product, [c.qty for c in lo.proposal], certain)
    if lo.kind == "confirm" and lo.proposal:
        label = "、".join(c.label() for c in lo.proposal)
        return confirm(lo.text, intent_of([*certain, *lo.proposal]), label=label)
    if lo.kind == "which" and lo.choices and lo.qty is None:
        return Question(lo.text, f"{quoted(lo.text)}没看懂：是要哪个？要几{_unit(catalog)}？", ())
    example = f"，例如 {catalog.products[0].name}2{catalog.products[0].unit or '份'}" if catalog.products else ""
    return Question(lo.text, f"{quoted(lo.text)}没看懂：请写明要哪个商品、几{_unit(catalog)}{example}", ())


def line_question(ex: Extraction, catalog: Catalog) -> Question | None:
    """The question about what a 接龙 line says that was not read exactly (None: nothing left over,
    or only a word two products share, which the conversation asks about from its words)."""
    if not ex.leftovers or ex.ambiguous or ex.reading is None:
        return None
    return question_for(ex.leftovers, ex.reading.changes, catalog)


def _unit(catalog: Catalog) -> str:
    units = {p.unit or "份" for p in catalog.products}
    return next(iter(units)) if len(units) == 1 else "份"


__all__ = ["Action", "Choice", "Intent", "Question", "Reason", "line_question", "parse_order_text", "question_for"]
