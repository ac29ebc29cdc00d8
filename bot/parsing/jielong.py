"""A 接龙 list as members copy it (pure).

A copy is a header (optional `#接龙` tag, title, prices, an example line), the
numbered entries, and an optional footer. Entry numbers change from copy to
copy, so an entry is known by its content key, not its number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.parsing.textnorm import clean, key_of_nfkc

# "1. ", "1、", "1)", "1:" — after NFKC the full-width forms are these too.
_ENTRY = re.compile(r"^\s*(\d{1,5})\s*(?:[.、,):]|\s(?=\S))\s*(.*)$")
_TAG = re.compile(r"^\s*#\s*接龙")
# Example lines show the format; they are never orders.
_EXAMPLE = re.compile(r"^\s*(?:例|示例|格式|举例|参考)\s*[:：]?")


@dataclass(frozen=True)
class Entry:
    number: int
    text: str  # the entry without its number
    key: str  # content key: what identifies this line across copies


@dataclass(frozen=True)
class JielongCopy:
    tagged: bool  # starts with #接龙
    header: tuple[str, ...]
    entries: tuple[Entry, ...]
    footer: tuple[str, ...]

    @property
    def title(self) -> str:
        for line in self.header:
            after_tag = _TAG.sub("", line, count=1).strip()
            if after_tag:
                return after_tag
        return ""


def parse_copy(text: str) -> JielongCopy | None:
    """The list in `text`, or None when it has no entries and no #接龙 tag."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tagged = bool(raw_lines) and bool(_TAG.match(clean(raw_lines[0])))
    header: list[str] = []
    footer: list[str] = []
    entries: list[Entry] = []
    seen_entry = False
    for raw in raw_lines:
        read = _read_line(raw)
        if read is not None:
            seen_entry = True
            footer.clear()
            if read.key:
                entries.append(read)
        elif not seen_entry:
            header.append(raw)
        else:
            # Text after the entries (a deadline note) is never part of an entry:
            # the last entry changes from copy to copy, and gluing the footer
            # onto it would change its key and double the order.
            footer.append(raw)
    if not entries and not tagged:
        return None
    return JielongCopy(
        tagged=tagged,
        header=tuple(header),
        entries=tuple(entries),
        footer=tuple(f for f in footer if f.strip()),
    )


@lru_cache(maxsize=1 << 16)
def _read_line(raw: str) -> Entry | None:
    """The entry on one line (its key may be empty), or None for any other line.

    Every copy repeats the lines of the copies before it, so a line is read
    once and then recognised: a copy costs a lookup per line it carries."""
    m = _ENTRY.match(clean(raw))
    if m is None or _EXAMPLE.match(m.group(2)):
        return None
    body = m.group(2).strip()
    # An entry number with nothing after it still ends the header.
    return Entry(int(m.group(1)), body, key_of_nfkc(body) if body else "")


def is_example(line: str) -> bool:
    return bool(_EXAMPLE.match(line))
