"""A campaign's products as the parsers see them, with the names members use."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def _aliases(name: str) -> set[str]:
    """Names a member may use for a product: the full name, the name without
    bracketed notes, and its endings of two or more characters (丹东草莓 → 草莓)."""
    base = key_of(_drop_notes(nfkc(name))) or key_of(name)
    out = {key_of(name), base}
    for i in range(max(1, len(base) - _MAX_TAIL), len(base) - 1):
        tail = base[i:]
        if len(tail) >= 2 and not tail.isdigit():
            out.add(tail)
    return {a for a in out if a}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    product: ProductRef


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
        for alias, ids in owners.items():
            if alias in full:
                self._alias[alias] = full[alias]
            elif len(ids) == 1:
                self._alias[alias] = by_id[next(iter(ids))]
        self._pattern = (
            re.compile("|".join(re.escape(a) for a in sorted(self._alias, key=len, reverse=True)))
            if self._alias
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
        return [Mention(m.start(), m.end(), self._alias[m.group(0)]) for m in self._pattern.finditer(text)]
