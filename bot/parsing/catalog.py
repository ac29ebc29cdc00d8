"""A campaign's products as the parsers see them: the catalogue index (pure).

Built once per campaign change (bot/domain/orderbook.py caches it by the
products and the owner's aliases) and shared by orders, 接龙 lines and members'
questions (质量问答), so a word means the same product everywhere. A product is
named by:

- its full name, the name without bracketed notes, or a unique part of it (its
  end 草莓 for 丹东草莓, its start 牛排 for 牛排套餐, its middle), and the everyday
  word for a name ending in one fruit character (柚子 for 红心柚, 橘子 for 砂糖橘);
- the same in traditional characters (蘋果) — names and messages are both read
  in simplified form (textnorm.fold, OpenCC);
- an English (or other Latin-letter) word the owner wrote in the product line
  (芒果 Mango → mango, mangos, mangoes);
- a word of the reviewed synonym table (土豆 / 马铃薯, 凤梨 / 菠萝: lexicon.py);
- its emoji (🥭 for the one mango; an emoji the owner put in the product line);
- an alias the owner added (`/别名 油 = 压榨花生油`), which wins over a shared part;
- a homophone typo (丽枝 for 荔枝, 流莲 for 榴莲): same pinyin, at least one
  character the same (homophones.py; looked for only where nothing else read).

A word two products share (柚子 for 红心柚 and 白心柚) names neither: the member
is asked which. All names are matched by one compiled pattern built as a trie,
so a message costs its own length, not the catalogue's size.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from bot.parsing.quantity import UNITS
from bot.parsing.reading.lexicon import (
    EMOJI,
    EVERYDAY_FRUIT,
    GENERIC,
    NOT_THAT_FRUIT,
    SAME_UNIT,
    SYNONYMS,
    WEIGHT,
)
from bot.parsing.textnorm import fold, key_of, nfkc

if TYPE_CHECKING:
    from bot.parsing.reading.homophones import SoundIndex


@dataclass(frozen=True)
class ProductRef:
    id: int
    name: str
    code: str | None = None  # a single letter, "A"
    unit: str | None = None
    price_cents: int | None = None
    aliases: tuple[str, ...] = ()  # the owner's words for it (/别名 油 = 压榨花生油)


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
_PACK_TAIL = re.compile(rf"^(?:\d|(?:{UNITS})装$)")
_LATIN_WORD = re.compile(r"[a-z]{3,}")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _aliases(base: str) -> set[str]:
    """Names a member may use for a product called `base` (a key: folded, no
    punctuation): the name, its endings of two or more characters (丹东草莓 → 草莓),
    for a short name any part of two or more characters (牛排套餐 → 牛排,
    红心柚子 → 心柚), and the everyday word for a name ending in a one-character
    fruit (红心柚 → 柚子, 砂糖橘 → 橘子; lexicon.EVERYDAY_FRUIT)."""
    out = {base}
    for i in range(max(1, len(base) - _MAX_TAIL), len(base) - 1):
        tail = base[i:]
        # Not "10斤装" or "斤装": a pack size members write about any product is no name.
        if len(tail) >= 2 and not _PACK_TAIL.match(tail):
            out.add(tail)
    if len(base) <= _MAX_PARTS:
        for i in range(len(base) - 1):
            for j in range(i + 2, len(base) + 1):
                part = base[i:j]
                if not _NOT_A_PART.match(part) and not any(ch.isdigit() for ch in part):
                    out.add(part)
    if len(base) >= 2 and base[-1] in EVERYDAY_FRUIT and not base.endswith(NOT_THAT_FRUIT):
        out.add(EVERYDAY_FRUIT[base[-1]])
    # 砂糖橘 5斤, 东北大米10斤装: the name before its size is named the same ways (橘子 for 砂糖橘 5斤).
    core = _SIZE_END.sub("", base)
    if core != base and len(core) >= 2:
        out |= _aliases(core)
    return {a for a in out if a}


_SIZE_END = re.compile(rf"\d+(?:\.\d+)?(?:{UNITS})?装?$")


def name_key(text: str) -> str:
    """How a product name or an alias is compared: folded (lower case, simplified), no punctuation."""
    return key_of(fold(text))


def _plurals(word: str) -> set[str]:
    out = {word, word + "s", word + "es"}
    if word.endswith("y"):
        out.add(word[:-1] + "ies")
    return out


def _synonym_variants(name: str) -> set[str]:
    """The name with each word of the synonym table replaced by its other words."""
    out = {name}
    for group in SYNONYMS:
        for word in group:
            if word in name:
                out |= {v.replace(word, other) for v in list(out) for other in group if other != word}
    return out


def _own_emoji(name: str) -> set[str]:
    return {ch for ch in nfkc(name) if unicodedata.category(ch) == "So"}


class Mention(NamedTuple):
    """A product named in a message (a tuple: messages make many of these)."""

    start: int
    end: int
    product: ProductRef
    # Two or more products share this word (柚子 for 红心柚 and 白心柚): the
    # member must say which; `product` is then only the first of them.
    choices: tuple[ProductRef, ...] = ()
    # How it was named: "name", "emoji" (decoration unless it has a quantity),
    # "sound" (a homophone), "code", "position", "price", "all", "char" (one character of
    # one name, right before its quantity in a terse list: 米1 油1).
    via: str = "name"


# How firmly a word names a product: a product's full name beats an owner's
# alias, which beats a part, a synonym or an emoji the catalogue derived.
_FULL, _OWNER, _DERIVED = 3, 2, 1


_Trie = dict[str, "_Trie"]
# Nobody types a longer name; a hostile 6,000-character product name would make a
# pattern nested as deep.
MAX_NAME = 40


def trie_pattern(words: Iterable[str]) -> str:
    """One regex alternation of `words` as a trie: shared prefixes are tried once
    (Python's re tries the branches of a flat alternation one after another at
    every position), and at each position the longest word wins."""
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + "|".join(branches) + ")"
        return body + "?" if ends else body

    return emit(root)


class Catalog:
    """Finds product names in text; built once per campaign and reused.

    `aliases`: the owner's words for products, (word, product id)."""

    def __init__(self, products: Sequence[ProductRef], aliases: Sequence[tuple[str, int]] = ()) -> None:
        self.products = tuple(products)
        by_id = {p.id: p for p in self.products}
        names: dict[str, tuple[int, set[int]]] = {}

        def put(word: str, pid: int, strength: int) -> None:
            if not word:
                return
            have = names.get(word)
            if have is None or have[0] < strength:
                names[word] = (strength, {pid})
            elif have[0] == strength:
                have[1].add(pid)

        for p in self.products:
            base = key_of(fold(_drop_notes(nfkc(p.name)))) or key_of(fold(p.name))
            put(key_of(fold(p.name)), p.id, _FULL)
            put(base, p.id, _FULL)
            latin = _LATIN_WORD.findall(fold(nfkc(p.name)))
            for variant in _synonym_variants(base):
                for alias in _aliases(variant):
                    # A piece of an English word is no name: "of" in tofu, "ice" in rice.
                    if not (alias.isascii() and alias.isalpha()) or alias in latin or alias == base:
                        put(alias, p.id, _DERIVED)
                # Words of the name as written (its key runs "Cold Brew" together as coldbrew).
                for word in latin:
                    for plural in _plurals(word):
                        put(plural, p.id, _DERIVED)
                if latin:
                    cjk = _LATIN_WORD.sub("", variant)
                    for alias in _aliases(cjk) if len(cjk) >= 2 else ():
                        put(alias, p.id, _DERIVED)
            for emoji in _own_emoji(p.name):
                put(emoji, p.id, _OWNER)
            for word in p.aliases:
                put(name_key(word), p.id, _OWNER)
        for emoji, said in EMOJI.items():
            wanted = [w for w in said if not w.startswith("-")]
            unwanted = [w[1:] for w in said if w.startswith("-")]
            fits = [p.id for p in self.products
                    if any(w in fold(p.name) for w in wanted) and not any(w in fold(p.name) for w in unwanted)]
            if len(fits) == 1:
                put(emoji, fits[0], _DERIVED)
        for word, pid in aliases:
            if pid in by_id:
                put(key_of(fold(word)), pid, _OWNER)
        self._alias: dict[str, ProductRef] = {}
        self._shared: dict[str, tuple[ProductRef, ...]] = {}
        for word, (_strength, ids) in names.items():
            if len(ids) == 1:
                self._alias[word] = by_id[next(iter(ids))]
            else:
                self._shared[word] = tuple(p for p in self.products if p.id in ids)
        self._emoji = frozenset(w for w in names if len(w) == 1 and unicodedata.category(w) == "So")
        words = [w for w in (*self._alias, *self._shared) if len(w) <= MAX_NAME]
        latin = [w for w in words if w.isascii() and w.isalpha()]
        other = [w for w in words if not (w.isascii() and w.isalpha())]
        parts = []
        if other:
            parts.append(trie_pattern(other))
        if latin:
            # A whole word (mango, not inside mangosteen); "kiwix2" is kiwi x2.
            parts.append(rf"(?<![a-z])(?:{trie_pattern(latin)})(?![a-wyz]|x(?![\s×*]*\d))")
        self._pattern = re.compile("|".join(parts)) if parts else None
        self._codes = {p.code.upper(): p for p in self.products if p.code}
        self.units = {p.unit for p in self.products if p.unit}
        self.priced = any(p.price_cents for p in self.products)

    @property
    def single(self) -> ProductRef | None:
        return self.products[0] if len(self.products) == 1 else None

    def by_code(self, letter: str) -> ProductRef | None:
        return self._codes.get(letter.upper())

    @property
    def has_codes(self) -> bool:
        return bool(self._codes)

    @property
    def emoji(self) -> frozenset[str]:
        """The emoji that name a product: kept when a message's decorations are blanked."""
        return self._emoji

    def by_position(self, n: int) -> ProductRef | None:
        """The `n`th product as the owner listed them (1-based)."""
        return self.products[n - 1] if 1 <= n <= len(self.products) else None

    def by_price(self, cents: int) -> tuple[ProductRef, ...]:
        return tuple(p for p in self.products if p.price_cents == cents)

    def sold_by(self, unit: str) -> tuple[ProductRef, ...]:
        """The products a quantity in `unit` fits without asking."""
        return tuple(p for p in self.products if unit_fits(unit, p.unit))

    @cached_property
    def _by_char(self) -> dict[str, tuple[ProductRef, ...]]:
        held: dict[str, list[ProductRef]] = {}
        for p in self.products:
            for ch in dict.fromkeys(key_of(fold(_drop_notes(nfkc(p.name))))):
                if _CJK.match(ch):
                    held.setdefault(ch, []).append(p)
        return {ch: tuple(ps) for ch, ps in held.items()}

    def holding(self, ch: str) -> tuple[ProductRef, ...]:
        """The products whose name holds the character `ch` (folded): 米 → 东北珍珠米."""
        return self._by_char.get(ch, ())

    def named(self, word: str) -> tuple[ProductRef, ...]:
        """The products a whole word names (one, several when shared, none)."""
        key = key_of(fold(word))
        if key in self._alias:
            return (self._alias[key],)
        return self._shared.get(key, ())

    def find(self, text: str) -> list[Mention]:
        """Product names in `text` (already folded: textnorm.fold), longest first,
        not overlapping, in order of position."""
        if self._pattern is None:
            return []
        out: list[Mention] = []
        for m in self._pattern.finditer(text):
            word = m.group(0)
            via = "emoji" if word in self._emoji else "name"
            product = self._alias.get(word)
            if product is not None:
                last = out[-1] if out else None
                if last is not None and last.product == product and not last.choices and via == last.via == "name" \
                        and not text[last.end : m.start()].strip():
                    # "cold brew", "阳光玫瑰 葡萄": two words of one product's name are one mention.
                    out[-1] = Mention(last.start, m.end(), product, via="name")
                    continue
                out.append(Mention(m.start(), m.end(), product, via=via))
            else:
                choices = self._shared[word]
                out.append(Mention(m.start(), m.end(), choices[0], choices, via=via))
        return out

    @cached_property
    def _sounds(self) -> SoundIndex:
        from bot.parsing.reading.homophones import SoundIndex

        return SoundIndex(self._alias, self._shared)

    def sounds_like(self, text: str, start: int, end: int) -> list[Mention]:
        """Homophone typos of product names in `text[start:end]` (丽枝 for 荔枝); the
        pinyin index is built the first time a message needs it."""
        return self._sounds.find(text, start, end)


def unit_same(written: str | None, sold: str | None) -> bool:
    """A quantity written in `written` is in the product's own unit (or one meaning the same pack)."""
    if written is None or sold is None:
        return False
    return written == sold or any(written in same and sold in same for same in SAME_UNIT)


def unit_fits(written: str | None, sold: str | None) -> bool:
    """A quantity written in `written` is a quantity of a product sold by `sold`: the same
    unit or one meaning the same pack, or a word like 份 that fits anything not sold by weight."""
    if written is None or sold is None or written == sold:
        return True
    if any(written in same and sold in same for same in SAME_UNIT):
        return True
    return written in GENERIC and sold not in WEIGHT

