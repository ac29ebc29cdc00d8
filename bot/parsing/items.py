"""Products and quantities in one piece of text (pure).

Used for 接龙 lines and plain order messages alike. House numbers (3-502,
5栋1203) and phone numbers are masked first so they are never quantities; what
was masked becomes the line's label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.parsing.catalog import Catalog, Mention, ProductRef
from bot.parsing.privacy import HOUSE, PHONE
from bot.parsing.quantity import CN_DIGITS, NUM, UNITS, to_int, too_big
from bot.parsing.textnorm import key_of_nfkc, nfkc, strip_wechat_emoji

# House numbers and phone numbers, never quantities (one set of patterns with the masking).
_ADDRESS = re.compile(f"{HOUSE}|{PHONE}")

_UNIT = rf"(?:{UNITS})"
_FILLER = r"(?:[:=]|来|要|买|订|改成|改为|换成|改|共|各|再来|再要|再)?"
# A number followed by 元/块/点 is a price or a time, never a quantity.
_NOT_QTY = r"(?![\d.]*\s*(?:元|块|毛|角|%|点|:\d|号|日|月))"
# Possessive spaces: with plain \s* on both sides of the optional filler, a
# long run of blanks (a masked phone number, say) was split every possible way.
_AFTER = re.compile(rf"^\s*+{_FILLER}\s*+(?:[x×*]\s*+)?({NUM}){_NOT_QTY}\s*({_UNIT})?", re.IGNORECASE)
# "2盒" then blanks then not the end: two \s* around an optional 的 were tried in
# every split of the blanks, quadratic; the possessive form reads the same text.
_BEFORE = re.compile(rf"({NUM})\s*+({_UNIT})\s*+(?:的\s*+)?$")
_CODE = re.compile(rf"(?<![a-z])([a-z])\s*(?:[x×*]\s*)?({NUM}){_NOT_QTY}\s*({_UNIT})?(?!\d)")
# "+1", alone or with closing punctuation ("+1！", "+1~"), never "+1.5" or "+1楼".
_PLUS = re.compile(rf"(?:^|\s)(?:\+|加)\s*({NUM})\s*({_UNIT})?(?=[,.!~。、…]*(?:\s|$))")
_UNIT_QTY = re.compile(rf"(?<![\d{CN_DIGITS}])({NUM})\s*({_UNIT})")
_BARE_TAIL = re.compile(rf"(?:^|\s)(?:[x×*]\s*)?({NUM})\s*$")


@dataclass(frozen=True)
class Item:
    product: ProductRef
    qty: int


@dataclass(frozen=True)
class Shared:
    """A word naming two or more products (柚子 for 红心柚 and 白心柚), with its quantity."""

    word: str
    choices: tuple[ProductRef, ...]
    qty: int | None  # None: no quantity, or none that can be read
    text: str  # the word and its quantity as written ("柚子2个")


@dataclass(frozen=True)
class Lone:
    """A quantity with no product ("+1", "2盒") that no product could be given."""

    qty: int | None
    unit: str | None
    text: str


@dataclass(frozen=True)
class Extraction:
    items: tuple[Item, ...]
    label: str  # house number / name part, what the line says besides the items
    mentioned: tuple[ProductRef, ...]  # products named, with or without a quantity
    quantity_without_product: bool  # "+1" or "2盒" where no product could be chosen
    too_large: bool = False  # a quantity over the sane maximum was written
    # Words naming two or more products (柚子 for 红心柚 and 白心柚), with a quantity:
    # the member must say which.
    ambiguous: tuple[str, ...] = ()
    shared: tuple[Shared, ...] = ()  # the ambiguous words, with their quantities
    lone: Lone | None = None  # the quantity behind quantity_without_product


# Emoji, their skin tones, joiners and variation selectors decorate a line
# without changing it: "+1🙏" is "+1". They become blanks, so positions (and
# the label cut from them) stay aligned.
_DECORATION = frozenset(("So", "Sk", "Cf", "Mn", "Me", "Co"))


def _blank_decorations(text: str) -> str:
    return "".join(" " if unicodedata.category(ch) in _DECORATION else ch for ch in text)


def _mask(text: str) -> str:
    return _ADDRESS.sub(lambda m: " " * len(m.group(0)), text)


def extract(
    text: str,
    catalog: Catalog,
    *,
    bare_number_ok: bool = False,
    max_qty: int = 99,
) -> Extraction:
    """Items named in `text`.

    `bare_number_ok`: a trailing bare number is a quantity of the only product
    (a 接龙 line like "3-502 2"), which in free chat would be too much of a guess.
    """
    norm = _blank_decorations(strip_wechat_emoji(nfkc(text)).lower())
    reading = _Reading(_mask(norm), max_qty)
    reading.read_mentions(catalog.find(reading.masked))
    if catalog.has_codes:
        reading.read_codes(catalog)
    qty_without_product = False
    if not reading.items and not reading.mentioned and not reading.ambiguous:
        qty_without_product = reading.read_lone_quantity(catalog, bare_number_ok)
    return Extraction(
        items=tuple(reading.items[i] for i in reading.order),
        label=reading.label(norm),
        mentioned=tuple(reading.mentioned),
        quantity_without_product=qty_without_product,
        too_large=reading.too_large,
        ambiguous=tuple(reading.ambiguous),
        shared=tuple(reading.shared),
        lone=reading.lone,
    )


class _Reading:
    """One extraction under way: what the masked text has given so far, and
    which of its characters are spoken for (the rest is the label)."""

    def __init__(self, masked: str, max_qty: int) -> None:
        self.masked = masked
        self.max_qty = max_qty
        self.items: dict[int, Item] = {}
        self.order: list[int] = []  # product ids, first named first
        self.mentioned: list[ProductRef] = []
        self.ambiguous: list[str] = []
        self.shared: list[Shared] = []
        self.lone: Lone | None = None
        self.too_large = False
        self.spoken: list[tuple[int, int]] = []  # spans of the items (and names) read
        # Where the text after the last mention (and its quantity) begins.
        self.prev_end = 0
        # Products named one after another with no quantity yet: "苹果、香蕉各一"
        # gives each of them the quantity after 各.
        self.waiting: list[ProductRef] = []

    def add(self, product: ProductRef, token: str | None, span: tuple[int, int]) -> None:
        """`span` is spoken for; `token`, when given, is a quantity of `product`."""
        if span[1] > span[0]:
            self.spoken.append(span)
        if token is None:
            return
        qty = to_int(token)
        if qty is None and too_big(token):
            # 草莓1234567890盒 is a quantity, an absurd one: the owner must see it,
            # exactly like 草莓100盒, rather than it being taken for chatter.
            self.too_large = True
            return
        if qty is None or qty <= 0:
            return
        # The sum counts too: 草莓50盒 草莓60盒 is 110, over the maximum.
        known = self.items.get(product.id)
        total = qty + (known.qty if known is not None else 0)
        if total > self.max_qty:
            self.too_large = True
            return
        if known is None:
            self.order.append(product.id)
        self.items[product.id] = Item(product, total)

    def mention(self, product: ProductRef) -> None:
        if product not in self.mentioned:
            self.mentioned.append(product)

    def read_mentions(self, mentions: list[Mention]) -> None:
        """Each product named, with the quantity after it, before it, or shared."""
        for i, m in enumerate(mentions):
            next_start = mentions[i + 1].start if i + 1 < len(mentions) else len(self.masked)
            gap = self.masked[m.end : next_start]
            after = _AFTER.match(gap)
            if m.choices:
                self._shared_word(m, after)
            elif after:
                self._quantity_after(m, gap, after)
            else:
                self._no_quantity_after(m, gap)

    def _shared_word(self, m: Mention, after: re.Match[str] | None) -> None:
        # A shared word with a quantity needs the member to say which product.
        before = None if after else _BEFORE.search(self.masked[self.prev_end : m.start])
        if after or before:
            word = self.masked[m.start : m.end]
            self.ambiguous.append(word)
            if after:
                qty, text = to_int(after.group(1)), self.masked[m.start : m.end + after.end()]
            else:
                assert before is not None
                qty, text = to_int(before.group(1)), self.masked[self.prev_end + before.start() : m.end]
            self.shared.append(Shared(word, m.choices, qty, text.strip()))
        self.waiting = []
        self.prev_end = m.end + (after.end() if after else 0)

    def _quantity_after(self, m: Mention, gap: str, after: re.Match[str]) -> None:
        self.mention(m.product)
        if _EACH.match(gap):
            for product in self.waiting:
                self.add(product, after.group(1), (m.start, m.start))
        self.waiting = []
        self.add(m.product, after.group(1), (m.start, m.end + after.end()))
        self.prev_end = m.end + after.end()

    def _no_quantity_after(self, m: Mention, gap: str) -> None:
        self.mention(m.product)
        before = _BEFORE.search(self.masked[self.prev_end : m.start])
        if before:
            self.waiting = []
            self.add(m.product, before.group(1), (self.prev_end + before.start(), m.end))
        else:
            joined = _JOINER.fullmatch(gap) is not None
            self.add(m.product, None, (m.start, m.end + (len(gap) if joined else 0)))
            self.waiting = [*self.waiting, m.product] if joined else []
        self.prev_end = m.end

    def rest(self) -> str:
        """The masked text with what is spoken for blanked."""
        return self.blank_spoken(self.masked)

    def blank_spoken(self, text: str) -> str:
        """`text` (as long as the masked text) with the spans spoken for blanked."""
        pieces: list[str] = []
        pos = 0
        for start, end in sorted(self.spoken):
            if end <= pos:
                continue
            start = max(start, pos)
            pieces += (text[pos:start], " " * (end - start))
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces)

    def read_codes(self, catalog: Catalog) -> None:
        """Product codes with quantities ("a2 b1") in what the names left."""
        for cm in _CODE.finditer(self.rest()):
            coded = catalog.by_code(cm.group(1))
            if coded is None:
                continue
            self.mention(coded)
            self.add(coded, cm.group(2), cm.span())

    def read_lone_quantity(self, catalog: Catalog, bare_number_ok: bool) -> bool:
        """A quantity with no product named ("+1", "2盒") is the only product's when
        it fits. True when there is one but no product it can be given to."""
        rest = self.rest()
        qty_match = _PLUS.search(rest) or _UNIT_QTY.search(rest)
        if qty_match is None and bare_number_ok:
            qty_match = _BARE_TAIL.search(rest)
        if qty_match is None:
            return False
        single = catalog.single
        unit = qty_match.group(2) if qty_match.lastindex and qty_match.lastindex >= 2 else None
        fits = unit is None or not catalog.units or unit in catalog.units or unit in _GENERIC_UNITS
        if single is None or not fits:
            self.lone = Lone(to_int(qty_match.group(1)), unit, qty_match.group(0).strip())
            return True
        self.add(single, qty_match.group(1), qty_match.span())
        return False

    def label(self, norm: str) -> str:
        """What the line says besides its items: house number, name."""
        words = _LABEL_SPLIT.split(self.blank_spoken(norm))
        return " ".join(w for w in words if w).strip()


# What stands between products that share one quantity: 苹果、香蕉 / 苹果和香蕉 / 苹果香蕉.
_JOINER = re.compile(r"\s*(?:[、,/+&]|和|跟|与|及|还有)?\s*")
_EACH = re.compile(r"^\s*各")

_GENERIC_UNITS = {"份", "个", "件", "单", "人份"}
_LABEL_SPLIT = re.compile(r"[\s,，、;；:：+＋]+")


# A house number in a label: 3-502, 5栋1203, 12栋3单元301室, 8号楼1102.
_HOUSE = re.compile(r"(?<!\d)(\d{1,4})\s*(?:[-_/—~#]|栋|幢|号楼|座)\s*(\d{1,5})"
                    r"(?:\s*(?:[-_/—~]|单元)\s*(\d{1,5}))?(?!\d)(?:\s*(?:室|号))?")


def house_numbers(label: str) -> tuple[str, ...]:
    """The house numbers a line's label carries, written one way ("5-1203"),
    so "5栋1203" and "5-1203" are the same house."""
    if not any(ch.isdigit() for ch in label):
        return ()
    return tuple("-".join(g for g in m.groups() if g) for m in _HOUSE.finditer(nfkc(label)))


def name_words(label: str) -> tuple[str, ...]:
    """The words of a label besides its house numbers, as keys: the names a line may carry."""
    rest = _HOUSE.sub(" ", nfkc(label))
    return tuple(k for k in (key_of_nfkc(w) for w in _LABEL_SPLIT.split(rest)) if k and not k.isdigit())
