"""Products and quantities in one piece of text (pure).

Used for 接龙 lines and plain order messages alike. House numbers (3-502,
5栋1203) and phone numbers are masked first so they are never quantities; what
was masked becomes the line's label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.parsing.catalog import Catalog, ProductRef
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
class Extraction:
    items: tuple[Item, ...]
    label: str  # house number / name part, what the line says besides the items
    mentioned: tuple[ProductRef, ...]  # products named, with or without a quantity
    quantity_without_product: bool  # "+1" or "2盒" where no product could be chosen
    too_large: bool = False  # a quantity over the sane maximum was written
    # Words naming two or more products (柚子 for 红心柚 and 白心柚), with a quantity:
    # the member must say which.
    ambiguous: tuple[str, ...] = ()


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
    masked = _mask(norm)
    items: dict[int, Item] = {}
    order: list[int] = []
    mentioned: list[ProductRef] = []
    used = [False] * len(masked)
    too_large = False

    def add(product: ProductRef, token: str | None, span: tuple[int, int]) -> None:
        nonlocal too_large
        for i in range(span[0], span[1]):
            used[i] = True
        if token is None:
            return
        qty = to_int(token)
        if qty is None and too_big(token):
            # 草莓1234567890盒 is a quantity, an absurd one: the owner must see it,
            # exactly like 草莓100盒, rather than it being taken for chatter.
            too_large = True
            return
        if qty is None or qty <= 0:
            return
        # The sum counts too: 草莓50盒 草莓60盒 is 110, over the maximum.
        total = qty + (items[product.id].qty if product.id in items else 0)
        if total > max_qty:
            too_large = True
            return
        if product.id in items:
            items[product.id] = Item(product, total)
        else:
            items[product.id] = Item(product, qty)
            order.append(product.id)

    mentions = catalog.find(masked)
    prev_end = 0
    ambiguous: list[str] = []
    # Products named one after another with no quantity yet: "苹果、香蕉各一"
    # gives each of them the quantity after 各.
    waiting: list[ProductRef] = []
    for i, m in enumerate(mentions):
        next_start = mentions[i + 1].start if i + 1 < len(mentions) else len(masked)
        gap = masked[m.end : next_start]
        after = _AFTER.match(gap)
        if m.choices:
            # A shared word with a quantity needs the member to say which product.
            if after or _BEFORE.search(masked[prev_end : m.start]):
                ambiguous.append(masked[m.start : m.end])
            waiting = []
            prev_end = m.end + (after.end() if after else 0)
            continue
        if m.product not in mentioned:
            mentioned.append(m.product)
        if after:
            if _EACH.match(gap):
                for product in waiting:
                    add(product, after.group(1), (m.start, m.start))
            waiting = []
            add(m.product, after.group(1), (m.start, m.end + after.end()))
            prev_end = m.end + after.end()
            continue
        before = _BEFORE.search(masked[prev_end : m.start])
        if before:
            waiting = []
            add(m.product, before.group(1), (prev_end + before.start(), m.end))
        else:
            joined = _JOINER.fullmatch(gap) is not None
            add(m.product, None, (m.start, m.end + (len(gap) if joined else 0)))
            waiting = [*waiting, m.product] if joined else []
        prev_end = m.end

    if catalog.has_codes:
        rest = "".join(" " if used[i] else ch for i, ch in enumerate(masked))
        for cm in _CODE.finditer(rest):
            coded = catalog.by_code(cm.group(1))
            if coded is None:
                continue
            if coded not in mentioned:
                mentioned.append(coded)
            add(coded, cm.group(2), cm.span())

    rest = "".join(" " if used[i] else ch for i, ch in enumerate(masked))
    qty_without_product = False
    if not items and not mentioned and not ambiguous:
        single = catalog.single
        qty_match = _PLUS.search(rest) or _UNIT_QTY.search(rest)
        if qty_match is None and bare_number_ok:
            qty_match = _BARE_TAIL.search(rest)
        if qty_match is not None:
            unit = qty_match.group(2) if qty_match.lastindex and qty_match.lastindex >= 2 else None
            fits = single is not None and (unit is None or not catalog.units or unit in catalog.units
                                           or unit in _GENERIC_UNITS)
            if single is not None and fits:
                add(single, qty_match.group(1), qty_match.span())
            else:
                qty_without_product = True

    # The label is what the line says besides its items: house number, name.
    label_chars = "".join(" " if used[i] else ch for i, ch in enumerate(norm))
    label = " ".join(w for w in _LABEL_SPLIT.split(label_chars) if w)
    return Extraction(
        items=tuple(items[i] for i in order),
        label=label.strip(),
        mentioned=tuple(mentioned),
        quantity_without_product=qty_without_product,
        too_large=too_large,
        ambiguous=tuple(ambiguous),
    )


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
