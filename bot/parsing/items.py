"""Products and quantities in one piece of text (pure).

Used for 接龙 lines and plain order messages alike; the reading itself is
bot/parsing/reader.py. House numbers (3-502, 5栋1203), phone numbers, prices,
times and pack sizes are never quantities; what a line says besides its items
and notes becomes its label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.reading.assembly import Leftover, Reading, items_of, read
from bot.parsing.reading.change import Item
from bot.parsing.textnorm import key_of_nfkc, nfkc


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
    # What no reading accounts for: a line with any is not read exactly (reader.py).
    leftovers: tuple[Leftover, ...] = ()
    notes: tuple[str, ...] = ()  # 备注：…, （少放冰）: the line's notes, never items
    reading: Reading | None = None


@lru_cache(maxsize=1024)
def extract(
    text: str,
    catalog: Catalog,
    *,
    bare_number_ok: bool = False,
    max_qty: int = 99,
) -> Extraction:
    """Items named in `text`.

    `bare_number_ok`: `text` is a 接龙 line — a trailing bare number is a quantity of
    the only product ("3-502 2"), which in free chat would be too much of a guess, and
    what the line says is what she has (+1 is 1)."""
    reading = read(text, catalog, max_qty=max_qty, line=bare_number_ok, label=True)
    return extraction(reading)


def extraction(reading: Reading) -> Extraction:
    shared = tuple(Shared(lo.text, lo.choices, lo.qty, lo.text) for lo in reading.leftovers
                   if lo.kind == "which" and lo.why != "noqty" and lo.qty is not None and len(lo.choices) > 1)
    lone = reading.lone[0] if reading.lone else None
    return Extraction(
        items=items_of(reading),
        label=reading.label,
        mentioned=reading.mentioned,
        quantity_without_product=bool(reading.lone),
        too_large=reading.too_large,
        ambiguous=tuple(s.word for s in shared),
        shared=shared,
        lone=Lone(lone.value, lone.unit, reading.lone_text[0]) if lone is not None else None,
        leftovers=reading.leftovers,
        notes=reading.notes,
        reading=reading,
    )


_LABEL_SPLIT = re.compile(r"[\s,，、;；:：+＋]+")

# A house number in a label: 3-502, 5栋1203, 12栋3单元301室, 8号楼1102.
_HOUSE = re.compile(r"(?<!\d)(\d{1,4})\s*(?:[-_/—~#]|栋|幢|号楼|座)\s*(\d{1,5})"
                    r"(?:\s*(?:[-_/—~]|单元)\s*(\d{1,5}))?(?!\d)(?:\s*(?:室|号))?")


# A new 接龙 line's label is asked for its house numbers and names by several steps of the book
# (whose line is it, is it hers, does it edit another's): each asks the same string again.
@lru_cache(maxsize=4096)
def house_numbers(label: str) -> tuple[str, ...]:
    """The house numbers a line's label carries, written one way ("5-1203"),
    so "5栋1203" and "5-1203" are the same house."""
    if not any(ch.isdigit() for ch in label):
        return ()
    return tuple("-".join(g for g in m.groups() if g) for m in _HOUSE.finditer(nfkc(label)))


@lru_cache(maxsize=4096)
def name_words(label: str) -> tuple[str, ...]:
    """The words of a label besides its house numbers, as keys: the names a line may carry."""
    rest = _HOUSE.sub(" ", nfkc(label))
    return tuple(k for k in (key_of_nfkc(w) for w in _LABEL_SPLIT.split(rest)) if k and not k.isdigit())


__all__ = ["Extraction", "Item", "Lone", "Shared", "extract", "extraction", "house_numbers", "name_words"]
