"""Text normalisation shared by the parsers (pure, no I/O)."""

from __future__ import annotations

import re
import unicodedata

# WeChat shows a quoted message above a dashed line; only the words below it
# are the member's own.
_QUOTE_RULE = re.compile(r"^\s*(?:-\s*){5,}$|^\s*[-—–_]{5,}\s*$", re.MULTILINE)


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation become their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def key_of(text: str) -> str:
    """A comparison key: case, spaces, punctuation, symbols and emoji removed.

    Two copies of the same 接龙 line differ in spacing, numbering punctuation and
    emoji; the key ignores all of that.
    """
    out = []
    for ch in nfkc(text).lower():
        cat = unicodedata.category(ch)
        if cat[0] in ("L", "N"):
            out.append(ch)
    return "".join(out)


def own_words(text: str) -> str:
    """The member's own words of a reply that quotes an earlier message."""
    match = _QUOTE_RULE.search(text)
    if not match:
        return text
    before, after = text[: match.start()], text[match.end() :]
    if before.lstrip().startswith(("「", '"', "“")) or not after.lstrip().startswith(("「", '"', "“")):
        return after.strip()
    return before.strip()


def strip_wechat_emoji(text: str) -> str:
    """WeChat sends its built-in emoji as bracketed words like [玫瑰]."""
    return re.sub(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]", " ", text)
