"""A campaign's products as the parsers see them, with the names members use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.quantity import UNITS
from bot.parsing.textnorm import key_of, nfkc


@dataclass(frozen=True)
class ProductRef:
    id: int
    name: str
    code: str | None = None  # a single letter, "A"
    unit: str | None = None


_OPEN = "(（[【"
_CLOSE = ")）]】"
# Members shorten a name to its ending (丹东草莓 → 草莓), never to a long one;
# all endings of a hostile 3,000-character name took seconds per message.
_MAX_TAIL = 24


def _drop_notes(text: str) -> str:
    """`text` without bracketed notes: an opening bracket up to the first
    closing one on the same line. Linear: once an opening bracket finds no
    closing one, none after it on that line can either (a regex retried every
    opening bracket of "((((…" to the end of the line)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] not in _OPEN:
            out.append(text[i])
            i += 1
            continue
        j = i + 1
        while j < n and text[j] not in _CLOSE and text[j] != "\n":
            j += 1
        if j < n and text[j] in _CLOSE:
            i = j + 1
        else:
            out.append(text[i:j])
            i = j
    return "".join(out)


# Parts of a name members use, but only of names this short: every part of a
# long name would make the alias pattern large for little gain.
_MAX_PARTS = 12
# A part starting with a unit or a digit would be read inside "2盒装" or a price.
_NOT_A_PART = re.compile(rf"^(?:{UNITS})|\d")


def _aliases(name: str) -> set[str]:
    """Names a member may use for a product: the full name, the name without
    bracketed notes, its endings of two or more characters (丹东草莓 → 草莓),
    for a short name any part of two or more characters (牛排套餐 → 牛排,
    红心柚子 → 心柚), and the everyday word for a name ending in a one-character
    fruit (红心柚 → 柚子, 砂糖橘 → 橘子)."""
    base = key_of(_drop_notes(nfkc(name))) or key_of(name)
    out = {key_of(name), base}
    for i in range(max(1, len(base) - _MAX_TAIL), len(base) - 1):
        tail = base[i:]
        if len(tail) >= 2 and not tail.isdigit():
            out.add(tail)
    if len(base) <= _MAX_PARTS:
        for i in range(len(base) - 1):
            for j in range(i + 2, len(base) + 1):
                part = base[i:j]
                if not _NOT_A_PART.match(part) and not any(ch.isdigit() for ch in part):
                    out.add(part)
    if len(base) >= 2 and "\u4e00" <= base[-1] <= "\u9fff" and base[-1] != "子" \
            and not _NOT_A_PART.match(base[-1]):
        out.add(base[-1] + "子")
    return {a for a in out if a}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    product: ProductRef
    # Two or more products share this word (柚子 for 红心柚 and 白心柚): the
    # member must say which; `product` is then only the first of them.
    choices: tuple[ProductRef, ...] = ()


class Catalog:
    """Finds product names in text; built once per campaign and reused."""

    def __init__(self, products: list[ProductRef]) -> None:
        self.products = tuple(products)
        owners: dict[str, set[int]] = {}
        for p in products:
            for alias in _aliases(p.name):
                owners.setdefault(alias, set()).add(p.id)
        by_id = {p.id: p for p in products}
        # An alias shared by two products would be a guess; keep only unique ones,
        # except a product's own full name, which always names it.
        full = {key_of(p.name): p for p in products}
        self._alias: dict[str, ProductRef] = {}
        self._shared: dict[str, tuple[ProductRef, ...]] = {}
        for alias, ids in owners.items():
            if alias in full:
                self._alias[alias] = full[alias]
            elif len(ids) == 1:
                self._alias[alias] = by_id[next(iter(ids))]
            else:
                self._shared[alias] = tuple(p for p in products if p.id in ids)
        words = [*self._alias, *self._shared]
        self._pattern = (
            re.compile("|".join(re.escape(a) for a in sorted(words, key=len, reverse=True)))
            if words
            else None
        )
        self._codes = {p.code.upper(): p for p in products if p.code}
        self.units = {p.unit for p in products if p.unit}

    @property
    def single(self) -> ProductRef | None:
        return self.products[0] if len(self.products) == 1 else None

    def by_code(self, letter: str) -> ProductRef | None:
        return self._codes.get(letter.upper())

    @property
    def has_codes(self) -> bool:
        return bool(self._codes)

    def find(self, text: str) -> list[Mention]:
        """Product names in `text` (already NFKC and lower-cased), longest first,
        not overlapping, in order of position."""
        if self._pattern is None:
            return []
        out = []
        for m in self._pattern.finditer(text):
            word = m.group(0)
            product = self._alias.get(word)
            if product is not None:
                out.append(Mention(m.start(), m.end(), product))
            else:
                choices = self._shared[word]
                out.append(Mention(m.start(), m.end(), choices[0], choices))
        return out
