"""A message read whole: what it changes, and exactly what is left over (pure).

The spans (bot/parsing/spans.py) are put together left to right: a quantity
belongs to the product before it (草莓2盒, 草莓来两盒, 草莓+1) or, written with a
unit, to the one after it (两盒草莓); 各 gives it to every product named before
it without a quantity of its own (苹果、香蕉各一); words between them say how it
changes her order (再来 adds, 少要 takes away, 改成 sets, 不要了 cancels, 换成 and
是X不是Y move her quantity to another product), and a correction replaces what
came just before it (来四瓶哦不三瓶 is 3).

Then coverage decides: every product mention and every quantity must belong to
something read. Whatever does not is a `Leftover` — the exact words, and the
readings a one-word answer can choose among — and the message books nothing it
is unsure of. A confirmation can then never describe less than she wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from bot.parsing.catalog import Catalog, Mention, ProductRef, unit_fits, unit_same
from bot.parsing.quantity import UNITS
from bot.parsing.reading.change import Change, Item, Op
from bot.parsing.reading.lexicon import COUNTING, GENERIC
from bot.parsing.reading.spans import CN, Qty, Spans, read_spans
from bot.parsing.textnorm import fold, lower_same_length


class Leftover(NamedTuple):
    """Part of a message no reading accounts for exactly.

    kind: "which" (one of `choices`, with `qty`), "how_many" (of `product`),
    "confirm" (the reading `proposal`, yes or no), "total" (one of the quantities of
    `proposal`, answered by the number: 一共3袋还是5袋), "unread" (no reading to name)."""

    kind: str
    text: str  # the words, as she wrote them
    choices: tuple[ProductRef, ...] = ()
    qty: int | None = None
    op: Op = Op.SET
    product: ProductRef | None = None
    why: str = ""
    proposal: tuple[Change, ...] = ()


class Reading(NamedTuple):
    """What a message says, read whole (a tuple: made for every message, kept in a cache)."""

    changes: tuple[Change, ...]  # in the order written; one per product (a product twice is summed)
    leftovers: tuple[Leftover, ...]
    mentioned: tuple[ProductRef, ...]  # products named (not decoration)
    label: str  # what a 接龙 line says besides its items and notes: house number, name
    notes: tuple[str, ...]
    too_large: bool
    lone: tuple[Qty, ...] = ()  # quantities with no product named anywhere in the message
    unnamed_edit: str | None = None  # "改成" / "再加" / "少要" before a lone quantity: the book decides
    lone_text: tuple[str, ...] = ()  # each lone quantity as written ("+1", "2盒")


# What may stand between a product and its quantity after it: 草莓2盒, 草莓：2, 草莓来两盒,
# 草莓我也要2盒, 草莓的话要2盒, 草莓改成3盒, 草莓再来1盒, 草莓各2.
_LINK_AFTER = re.compile(
    r"(?:的话|那个|改成|改为|改做|换成|追加|一共|总共|给我|帮我|俾我|留返|[ \t\u3000:：=,，、~]|的|我|俺|就|也|还|再|"
    r"都|先|另外|想|需|要|来|买|订|拿|留|改|多|少|共|各|了|给|俾|x|[】\]）)]|\ue001|应该是|是)*+"
)
# 豆浆不是三瓶是四瓶: the quantity after 不是 is the wrong one when the right one follows.
_NOT_BEFORE_QTY = re.compile(r"(?:^|[\s,，\ue000])(?:而)?不是\s*+$")
_IS_THEN = re.compile(r"^[\s,，]*+(?:而是|应该是|是|要)\s*+$")
# Never across a line break: "…1个\n香梨" is the end of one line and the start of the next.
# (2 packs of dumplings, 2 more dumplings)
_LINK_BEFORE = re.compile(r"[ \t\u3000的【\[（(\ue001]*+(?:(?:more|extra)\s++)?(?:of(?:\s++the)?\s*+)?")
_JOINER = re.compile(r"(?:还有|以及|[\s,，、/+&\ue001]|和|跟|与|及|加)*+")
_EACH = re.compile(r"各|每样|每种|每个")
_ADD = re.compile(r"再|追加|多要|多来|还要|也|另外|另加|加")
_LESS = re.compile(r"少|减|多写了|写多了|多订了|多报了|去掉")
_SET = re.compile(r"改成|改为|改做|换成|改|一共|总共")
# A correction: what follows replaces what came just before (来四瓶哦不三瓶, 草莓两盒不对三盒).
_REGRET = r"哦不|噢不|喔不|额不|呃不|啊不|诶不|不对|说错了|写错了|打错了|错了|不不|应该是|更正|我是说"
_CORRECTION = re.compile(rf"{_REGRET}|不是|改成|改为|改做|换成|改")
_REGRET_RE = re.compile(_REGRET)
_CANCEL_AFTER = re.compile(r"^[\s,，]*+(?:那个|的)?\s*+(?:也|都|就|先|还是)?\s*+"
                           r"(?:不要了|不要啦|不要|取消|删掉|删了|删除|去掉|退掉|退了|算了|不用了|不用"
                           r"|cancel(?:led)?(?![a-z])|not needed|no more(?![a-z]))")
_CANCEL_BEFORE = re.compile(r"(?:不要|取消|删掉|删除|去掉|退掉|退|别要)\s*+(?:了|那个|掉)?\s*+$"
                            r"|(?<![a-z])(?:cancel|remove|drop|no more|don'?t want)(?:\s++(?:my|the|any))?\s*+$")
# 大米照旧, rice still want: named, and staying as it is — no change, nothing left over.
_KEEP_AFTER = re.compile(r"^[\s,，]*+(?:的|那个)?\s*+(?:照旧|不变|保留|还是要|照常|still want|still|keep|stays?\b)")
_MOVE = re.compile(r"^(?:的|那个)?[\s,，]*+(?:都|全)?\s*+(?:换成|改成|改为|换|改)\s*+$")
_NOT_BETWEEN = re.compile(r"^(?:的|那个)?[\s,，]*+(?:而)?不是\s*+$")  # 是X不是Y, 是X的不是Y
_IS_BETWEEN = re.compile(r"^(?:的|那个)?[\s,，]*+(?:而)?是\s*+$")  # 不是Y是X, 不是Y的是X
# 豆浆要四瓶 不是三瓶: the quantity after 不是 is the one she did not mean.
_NOT_THIS = re.compile(r"(?:^|[\s,，])(?:而)?不是\s*+$")
_NOT_BEFORE = re.compile(r"不是\s*+$")
_ORDER_VERB = re.compile(r"要|来|订|买|拿|留|报|接龙|\+")
_SEPARATED = re.compile(r"[,，、;；。]")
_LATIN_WORD_BEFORE = re.compile(r"[a-z]{3,} ?$")
_MORE = re.compile(r"再加|再来|再要|还要|多要|多来")
_LABEL_SPLIT = re.compile(r"[\s,，、;；:：+＋]+")
_BARE_LEAD = re.compile(r"(?:要|来|订|买|拿|留|各|x)\s*+$")
# A bare Chinese numeral is a quantity only when it stands alone: 一下, 一起, 张三 are words.
_WORD_GOES_ON = re.compile(r"[\u3400-\u9fffa-z]")


class _Slot:
    """A product mention and what the message does with it, while it is put together."""

    __slots__ = ("also", "cancelled", "each_of", "end", "mention", "more", "moved_from", "moved_to", "op", "qty",
                 "shared_with", "start", "superseded")

    def __init__(self, mention: Mention) -> None:
        self.mention = mention
        self.qty: Qty | None = None
        self.op = Op.SET
        self.start, self.end = mention.start, mention.end
        self.cancelled = False
        self.superseded = False
        self.moved_to: _Slot | None = None  # 砂糖橘换成草莓: this slot's quantity goes to `moved_to`
        self.moved_from: list[_Slot] = []
        self.each_of: list[_Slot] = []  # 苹果、香蕉各一: the others given this quantity
        self.shared_with: _Slot | None = None  # 苹果香蕉2 without 各: asked
        self.also = False  # added only by 也 (X也要一份): an addition, unless the message orders others too
        self.more: list[Qty] = []  # 火龙果4个，再加2个: added to `qty` in the same message


@dataclass
class _Assembly:
    spans: Spans
    slots: list[_Slot] = field(default_factory=list)
    lone: list[Qty] = field(default_factory=list)
    used: list[Qty] = field(default_factory=list)
    spoken: list[tuple[int, int]] = field(default_factory=list)
    # Bare numbers read as no quantity (团员12, a name, a label): in a message that is not a
    # 接龙 line, coverage looks at them again (醋2 beside 米1 is an order, not a label).
    skipped: list[Qty] = field(default_factory=list)


# More products and quantities than any order message holds: read no further.
MAX_TOKENS = 60


def read(text: str, catalog: Catalog, *, max_qty: int = 99, line: bool = False, label: bool = False) -> Reading:
    """`line`: a 接龙 line (a trailing bare number is the only product's quantity, and
    every quantity is absolute: the line says what she has). `label`: read what the text
    says besides its items and notes too (a line's house number and name)."""
    return _read(text, catalog, max_qty, line, label)


# A new 接龙 line is read by several steps of the book (whose is it, is it an order, what
# does it order): the reading is kept rather than made again. Catalogues are kept per
# campaign (bot/domain/orderbook.py), so one is the same object from message to message.
@lru_cache(maxsize=1024)
def _read(text: str, catalog: Catalog, max_qty: int, line: bool, label: bool) -> Reading:
    spans = read_spans(text, catalog, max_qty)
    if any(m.choices for m in spans.mentions) and len(spans.mentions) > 1:
        spans = _without_category_words(spans)
    if len(spans.mentions) + len(spans.qtys) > MAX_TOKENS:
        # A post, a list or a flood, not an order message: nothing is read as ordered.
        return Reading((), (Leftover("unread", _text(spans, (0, min(len(spans.shown), 24)))),), (), "", (),
                       any(q.too_large for q in spans.qtys))
    built = _assemble(spans, catalog, line)
    # A bare number no product took is a label, a name, a house (张三 12): only a quantity
    # written as one (2斤, x2, +1) is worth hearing the words beside it for a product's name.
    if any(not q.bare for q in built.lone) and catalog.products:
        heard = _homophones(spans, catalog, built)
        if heard:
            mentions = tuple(sorted((*spans.mentions, *heard), key=lambda m: m.start))
            spans = Spans(spans.shown, spans.folded, mentions, spans.qtys, spans.notes, spans.masked, spans.work,
                          spans.packs)
            built = _assemble(spans, catalog, line)
    return _finish(built, catalog, line, max_qty, label)


_CATEGORY_LINK = re.compile(r"[\s:：,，]*+(?:要|来|是|就是|的|那个|选)*+[\s:：]*+")


def _without_category_words(spans: Spans) -> Spans:
    """饺子要三鲜的: 饺子 (三鲜饺子 and 猪肉饺子 share it) only says what kind the 三鲜 next to it is —
    it names one of them, so it is no second product to ask about."""
    ms = spans.mentions
    drop = []
    for i, m in enumerate(ms):
        if not m.choices or m.via != "name":
            continue
        beside = [n for n in (ms[i - 1] if i else None, ms[i + 1] if i + 1 < len(ms) else None)
                  if n is not None and not n.choices and n.via == "name" and n.product in m.choices]
        if any(_CATEGORY_LINK.fullmatch(spans.work[min(m.end, n.end) : max(m.start, n.start)]) for n in beside):
            drop.append(m)
    if not drop:
        return spans
    work = list(spans.work)
    for m in drop:
        work[m.start : m.end] = " " * (m.end - m.start)
    return Spans(spans.shown, spans.folded, tuple(m for m in ms if m not in drop), spans.qtys, spans.notes,
                 spans.masked, "".join(work), spans.packs)


# -- putting the spans together ---------------------------------------------------------------


def _tokens(spans: Spans) -> list[Mention | Qty]:
    tokens: list[Mention | Qty] = [*spans.mentions, *spans.qtys]
    tokens.sort(key=lambda t: t.start)
    return tokens


def _assemble(spans: Spans, catalog: Catalog, line: bool) -> _Assembly:
    a = _Assembly(spans)
    work = spans.work
    tokens = _tokens(spans)
    pending: Qty | None = None  # a quantity with a unit waiting for the product after it
    pending_lead = ""  # the words before it
    owner: dict[int, _Slot] = {}  # id(Qty) -> the slot it went to
    negated: _Slot | None = None  # 豆浆不是三瓶: the product whose right quantity comes next
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        lead = work[prev.end if prev is not None else 0 : tok.start]
        if isinstance(tok, Mention):
            slot = _Slot(tok)
            # An emoji takes a quantity after it only: "砂糖橘1箱🍊" is decoration, "🍊2" an order.
            # A product with its own quantity right after it ("1个 香梨1箱") leaves the one before alone.
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            beyond = tokens[i + 2] if i + 2 < len(tokens) else None
            own = isinstance(after, Qty) and _LINK_AFTER.fullmatch(work[tok.end : after.start]) is not None \
                and _fits(after, tok) and not (
                    isinstance(beyond, Mention) and beyond.via != "emoji"
                    and _LINK_BEFORE.fullmatch(work[after.end : beyond.start]) is not None
                    and (_strict(after, beyond) or (after.bare and _latin(spans, beyond)))) \
                and not (pending is not None and _strict(pending, tok) and not _strict(after, tok))
            if pending is not None and _LINK_BEFORE.fullmatch(work[pending.end : tok.start]) \
                    and _fits(pending, tok) and tok.via != "emoji" and not own:
                _give(a, slot, pending, _op_of(pending_lead, pending))
                slot.also = _ALSO_ONLY(pending_lead, slot.op)
                slot.start, slot.end = pending.start, tok.end
                owner[id(pending)] = slot
                pending = None
            elif pending is not None:
                a.lone.append(pending)
                pending = None
            _correct_product(a, slot, prev, lead, owner)
            a.slots.append(slot)
            continue
        qty = tok
        if pending is not None:
            a.lone.append(pending)
            pending = None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if negated is not None and negated.qty is None:
            _give(a, negated, qty, Op.SET)  # …是四瓶
            owner[id(qty)] = negated
            negated = None
            continue
        negated = None
        if isinstance(nxt, Qty) and _NOT_BEFORE_QTY.search(lead) and _IS_THEN.match(work[qty.end : nxt.start]):
            a.used.append(qty)  # 豆浆不是三瓶…: never her quantity
            if isinstance(prev, Mention) and a.slots and a.slots[-1].mention is prev and a.slots[-1].qty is None:
                negated = a.slots[-1]
                negated.end = qty.end
            continue
        open_before = isinstance(prev, Mention) and a.slots and a.slots[-1].mention is prev \
            and a.slots[-1].qty is None and _LINK_AFTER.fullmatch(lead) is not None
        before_next = isinstance(nxt, Mention) and qty.op is None and nxt.via != "emoji" \
            and (qty.unit is not None or qty.times or (qty.bare and not qty.chinese
                                                        and (_latin(spans, nxt) or _english(spans, qty)))) \
            and _LINK_BEFORE.fullmatch(work[qty.end : nxt.start]) is not None
        if open_before and before_next:
            assert isinstance(prev, Mention) and isinstance(nxt, Mention)
            # 草莓 2箱砂糖橘: the unit says whose it is; a tie goes to the product before it.
            if not _fits(qty, prev) and _fits(qty, nxt):
                open_before = False
        if open_before and _SEPARATED.search(lead) and _unknown_word_after(spans, qty):
            open_before = False  # 猕猴桃，1个波萝: the quantity is the word's after it, heard later or asked
        if open_before and qty.bare and qty.chinese and _WORD_GOES_ON.match(work[qty.end : qty.end + 1]):
            continue  # 草莓一样 / 草莓一起: a word, not a quantity
        if open_before:
            slot = a.slots[-1]
            _give(a, slot, qty, _op_of(lead, qty))
            slot.also = _ALSO_ONLY(lead, slot.op)
            owner[id(qty)] = slot
            if _EACH.search(lead):
                slot.each_of = _joined_open(a, slot)
            continue
        last = a.slots[-1] if a.slots else None
        if last is not None and last.qty is not None and prev is not None and last.end == prev.end \
                and _NOT_THIS.search(lead) and not _REGRET_RE.search(lead) and not before_next:
            # 豆浆要四瓶 不是三瓶: she says which quantity is wrong; hers stays.
            a.used.append(qty)
            last.end = qty.end
            owner[id(qty)] = last
            continue
        if last is not None and last.qty is not None and prev is not None and last.end == prev.end \
                and _CORRECTION.search(lead) and not (before_next and qty.unit is not None):
            # 草莓两盒哦不三盒 / 来四盒草莓哦不三盒 / 草莓2盒改成3盒: the quantity is corrected.
            slot = last
            a.used.append(qty)
            slot.qty, slot.op, slot.end = qty, Op.SET, qty.end
            owner[id(qty)] = slot
            continue
        if last is not None and last.qty is not None and prev is not None and last.end == prev.end \
                and (qty.op == "+" or _MORE.search(lead)) and not before_next and qty.value \
                and _fits(qty, last.mention):
            # 火龙果4个，再加2个: more of the product just named.
            a.used.append(qty)
            last.more.append(qty)
            last.end = qty.end
            owner[id(qty)] = last
            continue
        if isinstance(prev, Qty) and prev in a.lone and _CORRECTION.search(lead):
            # 来四瓶哦不三瓶: the lone quantity before it is corrected.
            a.lone[a.lone.index(prev)] = qty
            continue
        if before_next:
            pending, pending_lead = qty, lead
            continue
        # Beside a product (after it, or standing alone right before it: "1 香梨", never the 12 of
        # 团员12), a bare number is a quantity of something: taken, or asked about, never dropped.
        beside = (isinstance(prev, Mention) and _LINK_AFTER.fullmatch(lead) is not None) or (
            isinstance(nxt, Mention) and nxt.via != "emoji" and not qty.chinese
            and not _WORD_GOES_ON.match(work[qty.start - 1 : qty.start])
            and _LINK_BEFORE.fullmatch(work[qty.end : nxt.start]) is not None)
        if qty.bare and not beside and not _bare_counts(work, qty, lead, nxt, line, bool(spans.mentions)):
            a.skipped.append(qty)
            continue  # 团员12: a name, a label
        a.lone.append(qty)
    if pending is not None:
        a.lone.append(pending)
    _changes_between_products(a)
    return a


def _latin(spans: Spans, m: Mention) -> bool:
    """A product named in English (2 blueberry): a bare number before it is its quantity."""
    word = spans.folded[m.start : m.end].replace(" ", "")
    return word.isascii() and word.isalpha()


def _english(spans: Spans, q: Qty) -> bool:
    """A quantity written in English (two of the 豆浆): a bare number before any product is its quantity."""
    return spans.work[q.start : q.end].isalpha()


def _give(a: _Assembly, slot: _Slot, qty: Qty, op: Op) -> None:
    slot.qty, slot.op = qty, op
    slot.end = qty.end
    a.used.append(qty)


def _strict(qty: Qty, mention: Mention) -> bool:
    """The quantity is written in the product's own unit (not one like 份 or 个 that fits anything)."""
    return any(unit_same(qty.unit, p.unit) for p in (mention.choices or (mention.product,)))


def _fits(qty: Qty, mention: Mention) -> bool:
    if qty.unit is None:
        return True
    products = mention.choices or (mention.product,)
    return any(unit_fits(qty.unit, p.unit) for p in products)


def _ALSO_ONLY(lead: str, op: Op) -> bool:
    return op is Op.ADD and _ADD.findall(_ME_TOO.sub("", lead)) == ["也"]


_ME_TOO = re.compile(r"[我俺]也")


def _op_of(lead: str, qty: Qty) -> Op:
    # 我也要两串: "me too", her order like the others', not more on top of hers.
    lead = _ME_TOO.sub("", lead)
    if qty.op == "+":
        return Op.ADD
    if qty.op == "-":
        return Op.LESS
    if _LESS.search(lead):
        return Op.LESS
    if _SET.search(lead):
        return Op.SET
    if _ADD.search(lead):
        return Op.ADD
    return Op.SET


def _joined_open(a: _Assembly, slot: _Slot) -> list[_Slot]:
    """The products named just before `slot`, joined to it, with no quantity: 苹果、香蕉各一."""
    out: list[_Slot] = []
    work = a.spans.work
    end = slot.mention.start
    for other in reversed(a.slots[:-1]):
        if other.qty is not None or other.cancelled or _JOINER.fullmatch(work[other.end : end]) is None:
            break
        out.append(other)
        end = other.mention.start
    return out[::-1]


def _bare_counts(work: str, qty: Qty, lead: str, nxt: Mention | Qty | None, line: bool, named: bool) -> bool:
    """A bare number with no product before it: a quantity after 来/要/各 ("来2", "各来一份"),
    at the end of a 接龙 line ("3-502 2"), or after a word in English that names nothing here
    ("Grapes 2": asked about); otherwise a word, a name, a label (团员12)."""
    if qty.chinese and (_WORD_GOES_ON.match(work[qty.end : qty.end + 1])
                        or (_WORD_GOES_ON.match(work[qty.start - 1 : qty.start]) and not _BARE_LEAD.search(lead))):
        return False  # 一下, 一起; 张三, 王二
    if _BARE_LEAD.search(lead):
        return True
    at_end = nxt is None and not work[qty.end :].strip(" ,，。.!！~\ue001")
    if not line and not named and at_end and _LATIN_WORD_BEFORE.search(lead):
        return True
    return line and nxt is None and not work[qty.end :].strip(" ,，。.!！~\ue001")


def _correct_product(a: _Assembly, slot: _Slot, prev: Mention | Qty | None, lead: str,
                     owner: dict[int, _Slot]) -> None:
    """草莓两盒，不对，砂糖橘两箱: the product before the correction is replaced."""
    if prev is None or not a.slots:
        return
    last = owner.get(id(prev)) if isinstance(prev, Qty) else None
    if last is None or last.superseded or not _REGRET_RE.search(lead):
        return
    last.superseded = True
    # Its quantity stays hers to place when the new product gets none of its own.
    slot.moved_from.append(last)


def _changes_between_products(a: _Assembly) -> None:
    """Cancellations and moves: 砂糖橘不要了, 取消砂糖橘, 砂糖橘换成草莓, 是草莓不是砂糖橘."""
    work = a.spans.work
    slots = a.slots
    for i, slot in enumerate(slots):
        after_end = slots[i + 1].start if i + 1 < len(slots) else len(work)
        before_start = slots[i - 1].end if i else 0
        after = work[slot.end : after_end]
        before = work[before_start : slot.start]
        nxt = slots[i + 1] if i + 1 < len(slots) else None
        if slot.qty is None and (_CANCEL_AFTER.match(after) or _CANCEL_BEFORE.search(before)):
            slot.cancelled = True
            # 草莓和砂糖橘都不要了: the products joined to it go too.
            for other in _joined_open(a, slot) if _CANCEL_AFTER.match(after) else ():
                other.cancelled = True
            continue
        if nxt is None or nxt.mention.via == "emoji":
            continue
        between = work[slot.end : nxt.start]
        if slot.qty is None and _MOVE.match(between):
            slot.moved_to = nxt  # 砂糖橘换成草莓
        elif _NOT_BETWEEN.match(between) and nxt.qty is None:
            nxt.moved_to = slot  # 是草莓不是砂糖橘
        elif _IS_BETWEEN.match(between) and _NOT_BEFORE.search(before) and slot.qty is None:
            slot.moved_to = nxt  # 不是砂糖橘是草莓


def _homophones(spans: Spans, catalog: Catalog, a: _Assembly) -> list[Mention]:
    """Names heard in the words beside a quantity no product took (丽枝2斤, 来两斤丽枝)."""
    heard: list[Mention] = []
    work = spans.work
    ends = sorted([s.end for s in a.slots] + [u.end for u in a.used])
    for qty in a.lone:
        if qty.bare:
            continue
        floor = max([0, *(e for e in ends if e <= qty.start)])
        before = len(work[:qty.start].rstrip(_BETWEEN))
        run = before
        while run > floor and "\u3400" <= work[run - 1] <= "\u9fff" and before - run < 12:
            run -= 1
        windows = [(run, before)] if run < before else []
        after = _unknown_word_after(spans, qty)
        if after:
            at = work.index(after, qty.end)
            windows.append((at, at + len(after)))
        for start, end in windows:
            heard += [m for m in catalog.sounds_like(work, start, end)
                      if all(m.end <= h.start or m.start >= h.end for h in heard)]
    return heard


# -- coverage -------------------------------------------------------------------------------


def _finish(a: _Assembly, catalog: Catalog, line: bool, max_qty: int, with_label: bool) -> Reading:
    spans = a.spans
    changes: dict[int, Change] = {}
    order: list[int] = []
    where: dict[int, int] = {}  # product id -> where in the message it was first changed
    here = 1 << 30  # where the slot being read starts
    leftovers: list[Leftover] = []
    mentioned: list[ProductRef] = []
    too_large = any(q.too_large for q in (*a.used, *a.lone))
    unsized: list[_Slot] = []  # products named with no quantity and no change
    totals: dict[int, list[int]] = {}  # product id -> the different quantities she set it to

    def put(change: Change, pos: int = -1) -> None:
        nonlocal too_large
        pos = here if pos < 0 else pos
        pid = change.product.id
        known = changes.get(pid)
        if known is None:
            changes[pid] = change
            order.append(pid)
            where[pid] = pos
        elif known.op == change.op == Op.SET and not line:
            # 要两袋橘子 就是那个砂糖橘两袋: the same product with the same quantity said again is one
            # order of it, restated. Another quantity may be a correction or more: she is asked,
            # never summed silently.
            if known.qty != change.qty:
                totals.setdefault(pid, [known.qty]).append(change.qty)
        elif known.op == change.op and change.op in (Op.SET, Op.ADD, Op.LESS):
            # 草莓50盒 草莓60盒 is 110: the sum is bounded too (and never booked past it).
            if known.qty + change.qty > max_qty:
                too_large = True
            else:
                changes[pid] = Change(known.op, known.product, known.qty + change.qty)
        elif known.op is Op.CANCEL or change.op is Op.CANCEL:
            changes[pid] = change if change.op is not Op.CANCEL else known
        else:
            leftovers.append(Leftover("unread", _text(spans, change_span(pid))))

    def change_span(pid: int) -> tuple[int, int]:
        hits = [(s.start, s.end) for s in a.slots if s.mention.product.id == pid]
        return (min(h[0] for h in hits), max(h[1] for h in hits)) if hits else (0, 0)

    for slot in a.slots:
        m = slot.mention
        if m.via != "emoji" and m.via != "all" and not m.choices and m.product not in mentioned:
            mentioned.append(m.product)
    # 面粉要一袋油也来两瓶: 也 joins two products of one order; only alone (X也要一份) does it add.
    if any(s.also for s in a.slots) and any(s.qty is not None and s.op is Op.SET for s in a.slots):
        for s in a.slots:
            if s.also:
                s.op = Op.SET
    for slot in a.slots:
        m = slot.mention
        here = slot.start
        if slot.superseded:
            continue
        if slot.qty is None and not slot.cancelled and slot.moved_to is None and not slot.moved_from \
                and _KEEP_AFTER.match(spans.work[slot.end : slot.end + 16]):
            continue
        if slot.qty is None:
            text = _text(spans, (slot.start, slot.end))
            if slot.moved_from and not slot.cancelled:
                gone = slot.moved_from[0]
                if gone.qty is not None and gone.qty.value is not None and not m.choices:
                    leftovers.append(Leftover("confirm", _text(spans, (gone.start, slot.end)),
                                              proposal=(Change(Op.SET, m.product, gone.qty.value),)))
                    continue
            if slot.cancelled:
                if m.choices:
                    leftovers.append(Leftover("which", text, m.choices, None, Op.CANCEL))
                elif m.via != "all":
                    put(Change(Op.CANCEL, m.product))
                continue
            if slot.moved_to is not None:
                target = slot.moved_to
                if m.choices or target.mention.choices:
                    leftovers.append(Leftover("unread", _text(spans, (slot.start, target.end))))
                elif target.qty is None:
                    put(Change(Op.MOVE, target.mention.product, source=m.product))
                else:
                    put(Change(Op.CANCEL, m.product))
                continue
            if any(s.moved_to is slot for s in a.slots):
                continue  # the product a quantity moves to (换成草莓): its change is the move
            if m.via == "emoji":
                continue  # decoration: 砂糖橘1箱🍊
            if m.via == "all":
                if _ORDER_VERB.search(spans.work[max(0, m.start - 2) : m.end + 3]) or (m.end - m.start >= 2 and \
                        spans.folded[m.start : m.end].endswith("要")):
                    for p in catalog.products:
                        put(Change(Op.SET if line else Op.ADD, p, 1))
                continue
            if any(slot in s.each_of for s in a.slots):
                continue
            shared = next((s for s in a.slots if s.qty is not None and slot in _joined_before(a, s)), None)
            if shared is not None and shared.qty is not None and shared.qty.value and not m.choices \
                    and not shared.mention.choices:
                value = shared.qty.value
                leftovers.append(Leftover("confirm", _text(spans, (slot.start, shared.end)),
                                          proposal=(Change(Op.SET, m.product, value),
                                                    Change(Op.SET, shared.mention.product, value))))
                shared.shared_with = slot
                continue
            unsized.append(slot)
            continue
        qty = slot.qty
        if slot.shared_with is not None:
            continue
        targets = [*slot.each_of, slot]
        if qty.too_large:
            continue
        if m.via == "all":
            targets_products: list[ProductRef] = list(catalog.products)
        else:
            targets_products = []
        for t in targets:
            tm = t.mention
            if tm.choices and tm.via != "all":
                choices = tm.choices
                if tm.via in ("position", "price") and qty.unit not in GENERIC:
                    # 第七个来一盒 of six, 38.8的来1盒 with nothing at 38.8: among those sold by the 盒.
                    choices = tuple(p for p in choices if unit_fits(qty.unit, p.unit)) or choices
                leftovers.append(Leftover("which", _text(spans, (t.start, slot.end)), choices, qty.value, slot.op))
                continue
            products = targets_products or [tm.product]
            for p in products:
                every = m.via == "all" and qty.unit in GENERIC and not qty.fraction
                problem = None if every else _quantity_problem(qty, p, line, slot.op) or _other_pack(spans, t, slot, p)
                if problem is not None:
                    leftovers.append(Leftover("how_many", _text(spans, (t.start, slot.end)), product=p, why=problem))
                    continue
                assert qty.value is not None
                op = Op.SET if line and slot.op is Op.ADD else slot.op
                if m.via == "all" and op is Op.SET and not line and not _SET.search(spans.work[t.start : slot.end]):
                    # 全都各来一个 after 2号+1: one more of each, like any later order — never her 2号
                    # set back to 1 (全部改成一份 still sets).
                    op = Op.ADD
                if line and op is Op.LESS:
                    leftovers.append(Leftover("unread", _text(spans, (t.start, slot.end))))
                    continue
                value = qty.value + sum(q.value or 0 for q in slot.more)
                if value > max_qty:
                    too_large = True  # 草莓2盒，再加1盒 past the maximum: never booked past it
                elif value == 0:
                    leftovers.append(_zero(spans, (t.start, slot.end), p, op))
                else:
                    put(Change(op, p, value), t.start)
        for source in slot.moved_from:
            source.superseded = True
    lone = tuple(q for q in a.lone if not q.too_large)
    # An emoji with no quantity of its own is decoration: a message of "1箱 🍓🍓" names no product.
    named = [s for s in a.slots if s.mention.via != "emoji" or s.qty is not None]
    unnamed = None
    if lone and not named:
        unnamed = _unnamed_edit(spans.work, lone[0])
        if unnamed is None or line:
            lone = _place_lone(spans, lone, catalog, line, put, leftovers)
    if lone and named:
        for q in lone:
            edit = _unnamed_edit(spans.work, q)
            if edit is not None and len(unsized) == 1 and not unsized[0].mention.choices and q.value is not None:
                # 刚才苹果写多了，改成1个: the one product she named, changed.
                p = unsized[0].mention.product
                op = UNNAMED_OPS.get(edit, Op.LESS)
                problem = _quantity_problem(q, p, line, op)
                if problem is not None:
                    leftovers.append(Leftover("how_many", _text(spans, (unsized[0].start, q.end)), product=p,
                                              why=problem))
                elif q.value == 0:
                    leftovers.append(_zero(spans, (unsized[0].start, q.end), p, op))
                else:
                    put(Change(Op.SET if line else op, p, q.value))
            else:
                ends = [s.end for s in a.slots] + [u.end for u in a.used]
                floor = max([0, *(e for e in ends if e <= q.start)])
                word = _unknown_word_before(spans.work, q.start, floor) or _unknown_word_after(spans, q)
                found, plain = _by_word_and_unit(q, word, catalog)
                op = Op.LESS if q.op == "-" and not line else Op.ADD if q.op == "+" and not line else Op.SET
                problem = _quantity_problem(q, found[0], line, op) if plain else "?"
                if plain and not unsized and problem is None and q.value:
                    # 大米一袋油两桶: 油 is the 菜籽油, the one sold by the 桶.
                    put(Change(op, found[0], q.value), q.start)
                else:
                    leftovers.append(_lone_leftover(spans, q, catalog, floor, unsized))
            unsized = []
    if not line:
        floors = sorted([s.end for s in a.slots] + [u.end for u in a.used])
        for q in a.skipped:
            if _order_number(spans, q, bool(named), max_qty):
                floor = max([0, *(e for e in floors if e <= q.start)])
                leftovers.append(_lone_leftover(spans, q, catalog, floor, []))
    for slot in unsized:
        m, text = slot.mention, _text(spans, (slot.start, slot.end))
        if not m.choices and m.product.id in changes:
            continue  # 汤圆2袋 黑芝麻的: the same product again, said of what she ordered
        if m.choices:
            leftovers.append(Leftover("which", text, m.choices, None, why="noqty"))
        else:
            # 第三个 / 最后一个 / 38.8的: pointing at a product is wanting it; how many is asked.
            why = "noqty" if m.via in ("name", "emoji", "sound") else "noqty-pointed"
            leftovers.append(Leftover("how_many", text, product=m.product, why=why))
    for pid, said in totals.items():
        # 砂糖橘2袋 砂糖橘3袋: 3 (the last word) or 5 (both)? Asked, in a number.
        product = changes.pop(pid).product
        order.remove(pid)
        options = tuple(dict.fromkeys(v for v in (said[-1], sum(said)) if v <= max_qty))
        leftovers.append(Leftover("total", _text(spans, change_span(pid)), product=product,
                                  proposal=tuple(Change(Op.SET, product, v) for v in options)))
    label = _label(a, spans) if with_label else ""
    notes = tuple(spans.shown[s:e].strip() for s, e in spans.notes if spans.shown[s:e].strip())
    return Reading(
        changes=tuple(changes[pid] for pid in sorted(order, key=lambda pid: where[pid])),
        leftovers=tuple(leftovers),
        mentioned=tuple(mentioned),
        label=label,
        notes=notes,
        too_large=too_large,
        lone=lone if not named else (),
        unnamed_edit=unnamed,
        lone_text=tuple(_lone_text(spans, q) for q in lone) if not named else (),
    )


# A terse list item: a short word and its number, at an item's boundaries (醋2, 盐：1).
_ITEM_WORD_BEFORE = re.compile(r"(?:^|(?<=[\s,，、;；。/|｜+\d\ue000\ue001]))[\u3400-\u9fff]{1,4}[:：]?[ \t]{0,2}$")
UNIT_WORDS = frozenset(UNITS.split("|"))
_LABEL_WORD = re.compile(r"(?:[号码牌室房楼栋层机话群]|团员|邻居)[:：]?\s*$")
_ITEM_END = re.compile(r"$|[\s,，、;；。/|｜+\ue000\ue001!！~]|[\u3400-\u9fff]{1,4}\d")


def _order_number(spans: Spans, q: Qty, named: bool, max_qty: int) -> bool:
    """Is a bare number read as no quantity (not beside a product) still one she ordered by? In a
    message that names products, every number that is not a house number, a price, a time … belongs
    to something booked (米1 醋2: the 醋2 is asked about, never dropped); in one naming none, a short
    word with its number as a list item (醋2 盐1) is an order of something not sold here, asked about."""
    if q.chinese or (q.value is None and not q.fraction) or (q.value or 0) > max_qty:
        return False  # 1203, 尾号8899: a room, a phone, never an order of that many
    work = spans.work
    word = _ITEM_WORD_BEFORE.search(work, 0, q.start)
    if word is None or _ITEM_END.match(work, q.end) is None or _LABEL_WORD.search(word.group(0)) \
            or word.group(0).strip(" \t:：") in UNIT_WORDS:
        return False  # 房号12: a label; 草莓2盒 2: 盒 is the unit before it, no word
    return named or len(work.strip()) <= 40


def _place_lone(spans: Spans, lone: tuple[Qty, ...], catalog: Catalog, line: bool, put: Callable[[Change, int], None],
                leftovers: list[Leftover]) -> tuple[Qty, ...]:
    """Quantities in a message that names no product: the only product's (+1, 2盒), the one
    product sold by that unit (2箱 when only 砂糖橘 comes by the box), or every product's
    (各来一份). What stays is for the member to say which."""
    left: list[Qty] = []
    for q in lone:
        before = spans.work[: q.start]
        # +1 alone is the 接龙 "count me in": her quantity, not one more (草莓+1 adds).
        op = Op.LESS if q.op == "-" and not line else Op.SET
        if line and q.op == "-":
            leftovers.append(Leftover("unread", _text(spans, (q.start, q.end))))
            continue
        every = _EACH.search(before[-4:]) is not None and len(catalog.products) > 1
        if every:
            targets: tuple[ProductRef, ...] = catalog.products
        elif catalog.single is not None:
            targets = (catalog.single,)
        else:
            unknown = _unknown_word_before(spans.work, q.start, 0)
            found, plain = _by_word_and_unit(q, unknown, catalog)
            if unknown and not plain:
                # 丽枝2斤 when only 土豆 is sold by the 斤, 腊肠两袋 at a fruit stall: the word names
                # nothing the bot knows; what it may be is asked.
                text = _text(spans, (q.start - len(unknown), q.end))
                if q.value and not q.fraction and found:
                    leftovers.append(Leftover("confirm", text, proposal=(Change(op, found[0], q.value),))
                                     if len(found) == 1 else Leftover("which", text, found, q.value, op))
                else:
                    leftovers.append(Leftover("unread", text))
                continue
            if len(found) != 1:
                left.append(q)
                continue
            targets = found
        if every and op is Op.SET and not line and not _SET.search(before[-6:]):
            op = Op.ADD  # 各来一份: one more of each, never what she holds set back to 1
        for p in targets:
            problem = None if every and q.unit in GENERIC and q.value is not None \
                else _quantity_problem(q, p, line, op)
            if problem is not None or q.value is None:
                leftovers.append(Leftover("how_many", _text(spans, (q.start, q.end)), product=p, why=problem or ""))
            elif q.value == 0:
                leftovers.append(_zero(spans, (q.start, q.end), p, op))
            else:
                put(Change(op, p, q.value), q.start)
    return tuple(left)


def _zero(spans: Spans, span: tuple[int, int], product: ProductRef, op: Op) -> Leftover:
    """草莓0盒 / 草莓改成0: does she cancel it? Asked, never guessed (a stray 0 must not cancel an order)."""
    text = _text(spans, span)
    if op is Op.SET:
        return Leftover("confirm", text, proposal=(Change(Op.CANCEL, product),))
    return Leftover("unread", text)


def _joined_before(a: _Assembly, slot: _Slot) -> list[_Slot]:
    i = a.slots.index(slot)
    out: list[_Slot] = []
    work = a.spans.work
    end = slot.mention.start
    for other in reversed(a.slots[:i]):
        if other.qty is not None or other.cancelled or _JOINER.fullmatch(work[other.end : end]) is None:
            break
        out.append(other)
        end = other.mention.start
    return out


def _quantity_problem(qty: Qty, product: ProductRef, line: bool, op: Op) -> str | None:
    """Why a quantity cannot be booked as written for `product`: a fraction, another unit (鸡蛋30个
    of a 30枚装 box counts eggs, not boxes)."""
    unit = product.unit or "份"
    if qty.fraction or qty.value is None:
        return f"只能按整{unit}订"
    if not unit_fits(qty.unit, product.unit) or (
            qty.unit in COUNTING and product.unit not in COUNTING and _COUNTED_PACK.search(fold(product.name))):
        return f"{product.name}按{unit}卖"
    return None


def _other_pack(spans: Spans, t: _Slot, slot: _Slot, product: ProductRef) -> str | None:
    """大米5斤装两袋 when the rice comes in 10斤 bags: the pack she wrote is not the one on sale."""
    if not spans.packs:
        return None
    sold = _PACK.search(fold(product.name).replace(" ", ""))
    if sold is None:
        return None
    for start, end in spans.packs:
        if t.start - 3 <= start and end <= slot.end:
            written = spans.folded[start:end].replace(" ", "")
            if written != sold.group(0):
                return f"这次是{sold.group(0)}的"
    return None


_PACK = re.compile(r"\d+(?:\.\d+)?(?:斤|公斤|kg|千克|克|g|l|升|ml|毫升|个|只|枚|颗|粒|包|袋|片|支|瓶|盒)?装")
# A pack counted in pieces (30枚装, 6只装, 6個裝): pieces are not packs.
_COUNTED_PACK = re.compile(r"\d+\s*(?:枚|只|个|颗|粒)装")


_UNNAMED = re.compile(r"(改成|改为|改做|换成|改|再来|再加|再要|加|还要|少要|少来|少|减|多写了|写多了|多订了)\s*+$")
UNNAMED_OPS = {"改成": Op.SET, "改为": Op.SET, "改做": Op.SET, "换成": Op.SET, "改": Op.SET, "再来": Op.ADD,
               "再加": Op.ADD, "再要": Op.ADD, "加": Op.ADD, "还要": Op.ADD}
# Words around a quantity that name nothing: 我要2斤, 帮我留2盒, 唔该留返一盒俾我.
_FILLER = re.compile(r"(?:唔该|麻烦|团长|老板|谢谢|多谢|一下|一共|总共|我|俺|也|还|再|就|先|想|需|要|来|买|订|拿|留|"
                     r"给|俾|帮|请|返|吧|哦|啊|呀|哈|了|的|好|嗯|亲|共|各|都|加|减)++")


# What may stand between a word and its quantity: 波萝：1个.
_BETWEEN = " :：=~～"
_FILLER_WORD = "我|俺|也|还|再|就|先|想|需|要|来|买|订|拿|留|给|俾|帮|请|了|的|都|各|共|唔该|麻烦"
_FILLER_START = re.compile(rf"^(?:{_FILLER_WORD})++")
_FILLER_END = re.compile(rf"(?:{_FILLER_WORD})++$")


def _unnamed_edit(work: str, qty: Qty) -> str | None:
    m = _UNNAMED.search(work[: qty.start])
    if m:
        return m.group(1)
    if qty.op == "+" and work[: qty.start].rstrip().endswith(("再", "还")):
        return "再加"  # 再加一袋
    if qty.op == "-":
        return "减"
    return None


def _unknown_word_after(spans: Spans, q: Qty) -> str:
    """The Chinese word just after a quantity written with its unit, when it is not filler: 油 in
    再加一桶油 (up to the next product named)."""
    if q.unit is None:
        return ""
    ceiling = min([len(spans.work), *(m.start for m in spans.mentions if m.start >= q.end)])
    begin = q.end
    while begin < ceiling and spans.work[begin] in _BETWEEN:
        begin += 1
    i = begin
    while i < ceiling and "\u3400" <= spans.work[i] <= "\u9fff" and i - begin < 12:
        i += 1
    word = spans.work[begin:i]
    if not word or _FILLER.fullmatch(word):
        return ""
    return _FILLER_END.sub("", _FILLER_START.sub("", word)) or word


def _unknown_word_before(work: str, start: int, floor: int) -> str:
    """The Chinese word just before a quantity (after `floor`, the end of the token before it), when
    it is not filler: 腊肠 in 腊肠两袋."""
    head = work[:start].rstrip(_BETWEEN)
    i = len(head)
    while i > floor and "\u3400" <= head[i - 1] <= "\u9fff" and len(head) - i < 12:
        i -= 1
    word = head[i:]
    if not word or _FILLER.fullmatch(word):
        return ""
    # 我要油也来两桶: the word is 油; what is around it is how she asks.
    return _FILLER_END.sub("", _FILLER_START.sub("", word)) or word


def _lone_leftover(spans: Spans, qty: Qty, catalog: Catalog, floor: int, unsized: list[_Slot]) -> Leftover:
    """A quantity no product took, in a message that names products: 草莓2盒，腊肠两袋; or
    红心柚和香梨写错了，改成3个, where it is one of the products named without a quantity."""
    word = _unknown_word_before(spans.work, qty.start, floor)
    # (生抽 3: the word may stand apart from its number)
    start = len(spans.work[: qty.start].rstrip(_BETWEEN)) - len(word) if word else qty.start
    if unsized:
        start = min(start, unsized[0].start)
    text = _text(spans, (start, qty.end))
    if qty.value is None or qty.fraction:
        return Leftover("unread", text)
    op = Op.ADD if qty.op == "+" else Op.LESS if qty.op == "-" else Op.SET
    named = [s.mention for s in unsized if _fits(qty, s.mention)]
    choices = tuple(dict.fromkeys(p for m in named for p in (m.choices or (m.product,))))
    if not choices:
        choices = _by_word_and_unit(qty, word, catalog)[0]
    if len(choices) == 1:
        return Leftover("confirm", text, proposal=(Change(op, choices[0], qty.value),))
    if choices:
        return Leftover("which", text, choices, qty.value, op)
    return Leftover("unread", text)


def _by_word_and_unit(qty: Qty, word: str, catalog: Catalog) -> tuple[tuple[ProductRef, ...], bool]:
    """The products a quantity no product took may be for, from its unit and the unknown word before
    it; and whether the word plainly names the one it found (油 for 菜籽油 when only it comes by the 桶).
    A word sharing no character with a product is no product of this campaign (腊肠 at a fruit stall)."""
    fits = tuple(p for p in catalog.products if qty.unit is not None and qty.unit not in GENERIC
                 and unit_fits(qty.unit, p.unit))
    if not word:
        return fits, False
    chars = set(word)
    related = tuple(p for p in (fits or catalog.products) if chars & set(fold(p.name)))
    plain = len(related) == 1 and bool(fits) and chars <= set(fold(related[0].name))
    return related, plain


def _lone_text(spans: Spans, q: Qty) -> str:
    """A lone quantity as she wrote it, with the word before it: 改成3盒, 腊肠两袋, 再加一袋."""
    word = _UNNAMED.search(spans.work[: q.start])
    start = word.start() if word else q.start - len(_unknown_word_before(spans.work, q.start, 0))
    latin = None if word else _LATIN_WORD_BEFORE.search(spans.work[: q.start])
    if latin is not None:
        start = latin.start()  # Grapes 2
    if not word and spans.work[: q.start].rstrip().endswith(("再", "还")):
        start = spans.work[: q.start].rstrip().__len__() - 1
    return _text(spans, (start, q.end))


def _text(spans: Spans, span: tuple[int, int]) -> str:
    return " ".join(spans.shown[span[0] : span[1]].split())


def _label(a: _Assembly, spans: Spans) -> str:
    """What the line says besides its items and notes."""
    spoken = sorted([*((s.start, s.end) for s in a.slots), *((q.start, q.end) for q in (*a.used, *a.lone)),
                     *spans.notes])
    shown = lower_same_length(spans.shown)
    pieces: list[str] = []
    pos = 0
    for start, end in spoken:
        if start > pos:
            pieces.append(shown[pos:start])
        pos = max(pos, end)
    pieces.append(shown[pos:])
    return " ".join(w for w in _LABEL_SPLIT.split(" ".join(pieces)) if w)


def items_of(reading: Reading) -> tuple[Item, ...]:
    """The SET and ADD changes as items (what a 接龙 line holds)."""
    return tuple(Item(c.product, c.qty) for c in reading.changes if c.op in (Op.SET, Op.ADD) and c.qty > 0)


__all__ = ["CN", "Leftover", "Reading", "items_of", "read"]
