"""A 接龙 list as members copy it (pure).

A copy is a header (optional `#接龙` tag, title, prices, an example line), the
numbered entries, and an optional footer. Entry numbers change from copy to
copy, so an entry is known by its content key, not its number.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.parsing.textnorm import clean, key_of_nfkc

# "1. ", "1、", "1)", "1:", "(3)" — after NFKC the full-width forms (（3）, ⑴, ⑤) are these too.
_ENTRY = re.compile(r"^\s*(?:\(\s*(\d{1,5})\s*\)|(\d{1,5})\s*(?:[.、,):]|\s(?=\S)))\s*(.*)$")
# Keycap emoji number a list too: 4️⃣ is "4", U+FE0F, U+20E3; 1️⃣2️⃣ is 12; 🔟 is 10.
_KEYCAP = re.compile("^(\\s*)((?:\\d\ufe0f?\u20e3)+|\U0001f51f)")
_TAG = re.compile(r"^\s*#\s*接龙")
# Example lines show the format; they are never orders.
_EXAMPLE = re.compile(r"^\s*(?:例|示例|格式|举例|参考)\s*[:：]?")


@dataclass(frozen=True)
class Entry:
    number: int
    text: str  # the entry without its number
    key: str  # content key: what identifies this line across copies
    numbered: bool = True  # False: a line without a number among the entries


@dataclass(frozen=True)
class JielongCopy:
    tagged: bool  # starts with #接龙
    header: tuple[str, ...]
    entries: tuple[Entry, ...]
    footer: tuple[str, ...]
    # Lines without a number after the first entry, each with the count of
    # entries before it: a member who forgot the number still wrote an order,
    # but a deadline note is not one — the order book decides with the catalog.
    loose: tuple[tuple[int, Entry], ...] = ()

    def with_loose(self, keep: Callable[[Entry], bool]) -> tuple[Entry, ...]:
        """The entries with the loose lines `keep` accepts, in the copy's order."""
        if not self.loose:
            return self.entries
        out: list[Entry] = []
        loose = iter(self.loose)
        pending = next(loose, None)
        for i, entry in enumerate(self.entries):
            while pending is not None and pending[0] == i:
                if keep(pending[1]):
                    out.append(pending[1])
                pending = next(loose, None)
            out.append(entry)
        while pending is not None:
            if keep(pending[1]):
                out.append(pending[1])
            pending = next(loose, None)
        return tuple(out)

    @property
    def title(self) -> str:
        for line in self.header:
            after_tag = _TAG.sub("", line, count=1).strip()
            if after_tag:
                return after_tag
        return ""


def parse_copy(text: str) -> JielongCopy | None:
    """The list in `text`, or None when it has no entries and no #接龙 tag."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    read = _read_copy(text)
    line_end = text.find("\n")
    tagged = bool(_TAG.match(clean(text if line_end < 0 else text[:line_end])))
    if not read.entries and not tagged:
        return None
    return JielongCopy(
        tagged=tagged,
        header=read.header,
        entries=read.entries,
        footer=tuple(f for f in read.after if f.strip()),
        loose=read.loose,
    )


@dataclass(frozen=True)
class _SoFar:
    """A copy read down to some line: what the lines after it add to."""

    header: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    loose: tuple[tuple[int, Entry], ...] = ()
    # The lines after the last entry. Text after the entries (a deadline note) is
    # never part of an entry: the last entry changes from copy to copy, and gluing
    # the footer onto it would change its key and double the order.
    after: tuple[str, ...] = ()
    seen_entry: bool = False  # an entry number ended the header (even one with nothing after it)


# The latest copy read for each opening (a list's first characters: its header and
# first entries, the same in every copy of one group's list, different in another
# group's copy of the same header), with how it read. A copy is most often the one
# before it with a line added at the end; it is read on from where that one ended,
# so it costs the lines it adds.
_RECENT: OrderedDict[str, tuple[str, _SoFar]] = OrderedDict()
_RECENT_MAX = 128
_OPENING = 256


def _read_copy(text: str) -> _SoFar:
    if len(text) < _OPENING:
        # No opening yet: the longer copies that follow would never find it.
        return _read_on(_SoFar(), text.split("\n"))
    opening = text[:_OPENING]
    recent = _RECENT.get(opening)
    if recent is not None and text.startswith(recent[0]):
        rest = text[len(recent[0]) :]
        if not rest:
            return recent[1]
        read = _read_on(recent[1], rest[1:].split("\n")) if rest[0] == "\n" else _read_on(_SoFar(), text.split("\n"))
    else:
        read = _read_on(_SoFar(), text.split("\n"))
    _RECENT[opening] = (text, read)
    _RECENT.move_to_end(opening)
    if len(_RECENT) > _RECENT_MAX:
        _RECENT.popitem(last=False)
    return read


def _read_on(so_far: _SoFar, lines: list[str]) -> _SoFar:
    """`so_far` with `lines` read after it."""
    # Read once: map keeps the per-line cost (a cache lookup) out of Python bytecode.
    reads = list(map(_read_line, lines))
    header = so_far.header
    if not so_far.seen_entry:
        first = _first_entry(reads)
        if first is None:
            return replace(so_far, header=header + tuple(lines))
        header += tuple(lines[:first])
        lines, reads = lines[first:], reads[first:]
    end = len(reads)
    while end and reads[end - 1] is None:
        end -= 1
    entries, loose = _read_body(lines, reads, len(so_far.entries))
    after = tuple(lines[end:]) if end else so_far.after + tuple(lines)
    return _SoFar(header, so_far.entries + tuple(entries), so_far.loose + tuple(loose), after, True)


def _first_entry(reads: list[Entry | None]) -> int | None:
    for i, read in enumerate(reads):
        if read is not None:
            return i
    return None


def _read_body(raw_lines: list[str], reads: list[Entry | None],
               before: int) -> tuple[list[Entry], list[tuple[int, Entry]]]:
    """The entries among lines after the header, and the lines without a number
    among them, each with the count of entries before it (`before` came earlier)."""
    if all(reads):
        # The common copy: nothing but entries. (`all`, not `None not in`, which
        # would call Entry.__eq__ on every line.)
        return [read for read in reads if read and read.key], []
    entries: list[Entry] = []
    loose: list[tuple[int, Entry]] = []
    for raw, read in zip(raw_lines, reads, strict=True):
        if read is None:
            unnumbered = _read_loose(raw)
            if unnumbered is not None:
                loose.append((before + len(entries), unnumbered))
        elif read.key:
            entries.append(read)
    return entries, loose


@lru_cache(maxsize=1 << 16)
def _read_line(raw: str) -> Entry | None:
    """The entry on one line (its key may be empty), or None for any other line.

    Every copy repeats the lines of the copies before it, so a line is read
    once and then recognised: a copy costs a lookup per line it carries."""
    line = clean(raw)
    if "\u20e3" in line or "\U0001f51f" in line:
        line = _KEYCAP.sub(_keycap_number, line, count=1)
    m = _ENTRY.match(line)
    if m is None or _EXAMPLE.match(m.group(3)):
        return None
    body = m.group(3).strip()
    # An entry number with nothing after it still ends the header.
    return Entry(int(m.group(1) or m.group(2)), body, key_of_nfkc(body) if body else "")


def _keycap_number(m: re.Match[str]) -> str:
    digits = "10" if m.group(2) == "\U0001f51f" else "".join(ch for ch in m.group(2) if ch.isdigit())
    return f"{m.group(1)}{digits}. "


@lru_cache(maxsize=1 << 14)
def _read_loose(raw: str) -> Entry | None:
    """An unnumbered line among the entries, or None for a blank or example line."""
    body = clean(raw).strip()
    key = key_of_nfkc(body)
    if not key or _EXAMPLE.match(body) or _TAG.match(body):
        return None
    return Entry(0, body, key, numbered=False)


def is_example(line: str) -> bool:
    return bool(_EXAMPLE.match(line))
