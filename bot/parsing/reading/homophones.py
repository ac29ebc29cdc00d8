"""Homophone typos of product names: 丽枝 for 荔枝, 流莲 for 榴莲, 忙果 for 芒果 (pure).

Pinyin input methods make these typos all day. A window of a message reads as a
product name when every character can be read with the same pinyin (tones
ignored, any of a character's readings) as the name's character in its place,
and at least one character is the name's own: 丽枝 is 荔枝, 利之 is nobody.

The readings come from pypinyin (its character table, kept current by the
project, rather than one of our own). It is imported the first time a message
needs it, since most never do: the reader looks for homophones only in what
nothing else read.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from bot.parsing.catalog import Mention, ProductRef

# A message's unread stretch longer than this is a post, not a typo to rescue.
_MAX_STRETCH = 60


@lru_cache(maxsize=16384)
def readings(ch: str) -> frozenset[str]:
    """The pinyin readings of one character, without tones (empty for a non-Chinese one)."""
    if not "\u3400" <= ch <= "\u9fff":
        return frozenset()
    from pypinyin import Style, pinyin

    return frozenset(pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")[0]) if ch else frozenset()


class SoundIndex:
    """The catalogue's names by length, with their characters' readings."""

    def __init__(self, alias: Mapping[str, ProductRef], shared: Mapping[str, tuple[ProductRef, ...]]) -> None:
        self._by_len: dict[int, list[tuple[str, tuple[frozenset[str], ...], tuple[ProductRef, ...]]]] = {}
        names: list[tuple[str, tuple[ProductRef, ...]]] = [(w, (p,)) for w, p in alias.items()]
        names += list(shared.items())
        for word, products in names:
            if len(word) < 2 or len(word) > 8 or not all("\u3400" <= ch <= "\u9fff" for ch in word):
                continue
            sounds = tuple(readings(ch) for ch in word)
            if all(sounds):
                self._by_len.setdefault(len(word), []).append((word, sounds, products))

    def find(self, text: str, start: int, end: int) -> list[Mention]:
        """Names heard in `text[start:end]`, longest first, not overlapping."""
        if end - start > _MAX_STRETCH or end - start < 2:
            return []
        out: list[Mention] = []
        i = start
        while i < end - 1:
            found = self._at(text, i, end)
            if found is None:
                i += 1
                continue
            out.append(found)
            i = found.end
        return out

    def _at(self, text: str, i: int, end: int) -> Mention | None:
        for length in sorted(self._by_len, reverse=True):
            if i + length > end:
                continue
            window = text[i : i + length]
            sounds = [readings(ch) for ch in window]
            if not all(sounds):
                continue
            heard: set[int] = set()
            hits: list[tuple[ProductRef, ...]] = []
            for word, word_sounds, products in self._by_len[length]:
                if window == word or not any(a == b for a, b in zip(window, word, strict=True)):
                    continue
                if all(s & w for s, w in zip(sounds, word_sounds, strict=True)) and {p.id for p in products} - heard:
                    heard |= {p.id for p in products}
                    hits.append(products)
            if hits:
                products = tuple(p for group in hits for p in group)
                unique = tuple({p.id: p for p in products}.values())
                if len(unique) == 1:
                    return Mention(i, i + length, unique[0], via="sound")
                return Mention(i, i + length, unique[0], unique, via="sound")
        return None
