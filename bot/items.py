"""Products and quantities in one piece of text (pure).

Used for 接龙 lines and plain order messages alike. House numbers (3-502,
5栋1203) and phone numbers are masked first so they are never quantities; what
was masked becomes the line's label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalog import Catalog, ProductRef
from bot.quantity import CN_DIGITS, NUM, UNITS, to_int
from bot.textnorm import nfkc, strip_wechat_emoji

_ADDRESS = re.compile(
    r"\d+\s*(?:栋|幢|号楼|楼|座|区|期|单元)\s*(?:\d+\s*(?:单元|楼|层)?\s*)?(?:\d+\s*(?:室|号)?)?"
    r"|\d+(?:\s*[-_/—~]\s*\d+)+(?:\s*(?:室|号))?"
    r"|\d{3,5}\s*(?:室|号)"
    r"|1\d{10}"
)

_UNIT = rf"(?:{UNITS})"
_FILLER = r"(?:[:=]|来|要|买|订|改成|改为|换成|改|共|各|再来|再要|再)?"
# A number followed by 元/块/点 is a price or a time, never a quantity.
_NOT_QTY = r"(?![\d.]*\s*(?:元|块|毛|角|%|点|:\d|号|日|月))"
_AFTER = re.compile(rf"^\s*{_FILLER}\s*(?:[x×*]\s*)?({NUM}){_NOT_QTY}\s*({_UNIT})?", re.IGNORECASE)
_BEFORE = re.compile(rf"({NUM})\s*({_UNIT})\s*(?:的)?\s*$")
_CODE = re.compile(rf"(?<![a-z])([a-z])\s*(?:[x×*]\s*)?({NUM}){_NOT_QTY}\s*({_UNIT})?(?!\d)")
_PLUS = re.compile(rf"(?:^|\s)(?:\+|加)\s*({NUM})\s*({_UNIT})?(?!\S)")
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
    norm = strip_wechat_emoji(nfkc(text)).lower()
    masked = _mask(norm)
    items: dict[int, Item] = {}
    order: list[int] = []
    mentioned: list[ProductRef] = []
    used = [False] * len(masked)
    too_large = False

    def add(product: ProductRef, qty: int | None, span: tuple[int, int]) -> None:
        nonlocal too_large
        for i in range(span[0], span[1]):
            used[i] = True
        if qty is None or qty <= 0:
            return
        if qty > max_qty:
            too_large = True
            return
        if product.id in items:
            items[product.id] = Item(product, items[product.id].qty + qty)
        else:
            items[product.id] = Item(product, qty)
            order.append(product.id)

    mentions = catalog.find(masked)
    prev_end = 0
    for i, m in enumerate(mentions):
        if m.product not in mentioned:
            mentioned.append(m.product)
        next_start = mentions[i + 1].start if i + 1 < len(mentions) else len(masked)
        after = _AFTER.match(masked[m.end : next_start])
        if after:
            add(m.product, to_int(after.group(1)), (m.start, m.end + after.end()))
            prev_end = m.end + after.end()
            continue
        before = _BEFORE.search(masked[prev_end : m.start])
        if before:
            add(m.product, to_int(before.group(1)), (prev_end + before.start(), m.end))
        else:
            add(m.product, None, (m.start, m.end))
        prev_end = m.end

    if catalog.has_codes:
        rest = "".join(" " if used[i] else ch for i, ch in enumerate(masked))
        for cm in _CODE.finditer(rest):
            product = catalog.by_code(cm.group(1))
            if product is None:
                continue
            if product not in mentioned:
                mentioned.append(product)
            add(product, to_int(cm.group(2)), cm.span())

    rest = "".join(" " if used[i] else ch for i, ch in enumerate(masked))
    qty_without_product = False
    if not items and not mentioned:
        single = catalog.single
        qty_match = _PLUS.search(rest) or _UNIT_QTY.search(rest)
        if qty_match is None and bare_number_ok:
            qty_match = _BARE_TAIL.search(rest)
        if qty_match is not None:
            unit = qty_match.group(2) if qty_match.lastindex and qty_match.lastindex >= 2 else None
            fits = single is not None and (unit is None or not catalog.units or unit in catalog.units
                                           or unit in _GENERIC_UNITS)
            if single is not None and fits:
                add(single, to_int(qty_match.group(1)), qty_match.span())
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
    )


_GENERIC_UNITS = {"份", "个", "件", "单", "人份"}
_LABEL_SPLIT = re.compile(r"[\s,，、;；:：+＋]+")
