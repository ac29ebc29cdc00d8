"""Text normalisation shared by the parsers (pure, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# WeChat shows a quoted message above a dashed line; only the words below it
# are the member's own. The rule is one line: spaces, never line breaks, around
# the dashes (\s there let every line start rescan all the blank lines after it,
# quadratic in a message of empty lines). It is searched for as a line break
# and what follows: a literal first character lets the regex engine skip to the
# next line break instead of trying the rule at every character of a long list.
_QUOTE_RULE = re.compile(r"\n[^\S\n]*(?:(?:-[^\S\n]*){5,}|[-—–_]{5,}[^\S\n]*)(?=\n|\Z)")


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation become their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


# Everything but letters and digits (underscore counts as punctuation here).
_NOT_KEY = re.compile(r"[\W_]+")


def key_of(text: str) -> str:
    """A comparison key: case, spaces, punctuation, symbols and emoji removed.

    Two copies of the same 接龙 line differ in spacing, numbering punctuation and
    emoji; the key ignores all of that. Every line of every copy is keyed, so
    this is one regex pass rather than a loop over characters.
    """
    return key_of_nfkc(nfkc(text))


def key_of_nfkc(text: str) -> str:
    """key_of for text that is already NFKC-normalised."""
    return _NOT_KEY.sub("", text.lower())


def own_words(text: str) -> str:
    """The member's own words of a reply that quotes an earlier message."""
    if "「" not in text and '"' not in text and "“" not in text:
        # No quote can open either side (see below): the rule is never looked for. Every message
        # passes here, and finding a character is far cheaper than trying the rule at every line.
        return text
    match = _QUOTE_RULE.search("\n" + text)
    if not match:
        return text
    # Positions in "\n" + text: the rule's line starts in `text` where its line break was.
    before, after = text[: match.start()], text[match.end() - 1 :]
    if before.lstrip().startswith(("「", '"', "“")):
        return after.strip()
    if after.lstrip().startswith(("「", '"', "“")):
        return before.strip()
    # No quote on either side: a divider line in a list (————), not a quote-reply.
    return text


# Invisible format characters copy-paste carries into a line (zero-width
# spaces and joiners, direction marks, the BOM, soft hyphens): nobody sees them,
# but "\u200b1. 张三" would no longer start with its entry number.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def drop_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def clean(line: str) -> str:
    """A line as the parsers read it: ASCII forms, no invisible characters."""
    return drop_invisible(nfkc(line))


def strip_wechat_emoji(text: str) -> str:
    """WeChat sends its built-in emoji as bracketed words like [玫瑰]."""
    return re.sub(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]", " ", text)


# Traditional characters are read as their simplified forms (蘋果 → 苹果, 兩盒 → 两盒), for the
# catalogue's names and members' messages alike. OpenCC's own tables (the `opencc` package, the
# project's C++ library with its Python binding) rather than a table of our own: thousands of
# characters, HK and TW forms included, kept by the people who maintain the standard conversion.
_T2S: opencc.OpenCC | None = None


def _converter() -> opencc.OpenCC:
    global _T2S
    if _T2S is None:
        _T2S = opencc.OpenCC("t2s")
    return _T2S


@lru_cache(maxsize=8192)
def _char_t2s(ch: str) -> str:
    out = str(_converter().convert(ch))
    return out if len(out) == 1 else ch


def simplified(text: str) -> str:
    """`text` with traditional characters as simplified ones, character for character (a
    phrase conversion that changes the length is done one character at a time instead, so
    positions in the result are positions in `text`). Pure ASCII costs nothing."""
    if text.isascii():
        return text
    out = str(_converter().convert(text))
    if len(out) != len(text):
        out = "".join(map(_char_t2s, text))
    return out


def lower_same_length(text: str) -> str:
    """`text` lower-cased, each character on its own position (str.lower turns İ into two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def fold(text: str) -> str:
    """The form names and messages are compared in: lower case, simplified characters.
    Length-preserving: a position in the result is a position in `text`."""
    return simplified(lower_same_length(text))
