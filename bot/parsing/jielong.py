"""A 接龙 list as members copy it (pure).

A copy is a header (optional `#接龙` tag, title, prices, an example line), the
numbered entries, and an optional footer. Entry numbers change from copy to
copy, so an entry is known by its content key, not its number.

A list is a list whatever its decoration: bullets (• - * ◆), table rows
(｜8-1101｜名字｜豆沙粽2个｜), lines starting with a house number, divider lines,
a member's own header in 【】. Lines without a number are `loose`: the order
book keeps those that name a product with a quantity (a price line is not one).
An entry whose products wrap onto the next line (indented, or joined by 、 or
＋) is one entry.
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
# Bullets members decorate entries with (after NFKC): • · ● ○ ◆ ◇ ■ □ ▪ ► ▶ ★ ☆ ➤ → ✅ ✔ and "- " "* ".
_BULLET = re.compile(r"^\s*(?:[•·●○◆◇■□▪▫►▶▸★☆✦❖※➤→✅✔☑]\ufe0f?|[-*](?=\s))\s*")
# A line that starts with a house number: an entry in a list without numbers (3-502 张三 …, 5栋1203 …).
_HOUSE_FIRST = re.compile(r"^\s*\d{1,4}\s*(?:[-—#/]|栋|幢|号楼)\s*\d{1,5}(?!\d)")
# What joins a product to the next one: a line ending (or the next starting) with it wraps.
_JOINS = "、，,+"


@dataclass(frozen=True, slots=True)
class Entry:
    number: int
    text: str  # the entry without its number
    key: str  # content key: what identifies this line across copies
    numbered: bool = True  # False: a line without a number among the entries
    # A line without a number right under an entry, indented or joined to it by 、 ＋ ，: it may
    # carry on that entry's products (JielongCopy.with_loose).
    follows: bool = False


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
    # The entries' keys, in order and as a set: a copy read on from the one before it (see
    # `_read_copy`) extends that one's, so what every copy's matching needs costs the lines it adds.
    keys: tuple[str, ...] | None = None
    key_set: frozenset[str] | None = None

    def with_loose(self, keep: Callable[[Entry], bool],
                   carries_on: Callable[[Entry], bool] | None = None) -> tuple[Entry, ...]:
        """The entries with the loose lines `keep` accepts, in the copy's order. A loose line
        that `follows` an entry and that `carries_on` accepts is part of that entry: "3-502
        张三 豆沙粽2个、" over "鲜肉粽1个" is one entry, keyed by both."""
        if not self.loose:
            return self.entries
        out: list[Entry] = []

        # Whether the last thing placed is the line right above the next loose line: a line that
        # carries on an entry joins only the entry it follows (a loose entry of a list without
        # numbers too), never one further up past a line that was not kept.
        above_kept = False
        # The loose line right above, when it was not kept: a row with only a name ("• 3-1202 阿宁")
        # whose products are on the line under it.
        dropped: Entry | None = None

        def place(line: Entry) -> None:
            nonlocal above_kept, dropped
            if (line.follows and out and (out[-1].numbered or above_kept) and carries_on is not None
                    and carries_on(line)):
                above = out[-1]
                text = f"{above.text} {line.text}"
                out[-1] = Entry(above.number, text, key_of_nfkc(text), above.numbered)
                return
            if line.follows and dropped is not None:
                text = f"{dropped.text} {line.text}"
                joined = Entry(0, text, key_of_nfkc(text), numbered=False)
                if keep(joined):
                    out.append(joined)
                    above_kept, dropped = True, None
                    return
            if keep(line):
                out.append(line)
                above_kept, dropped = True, None
            else:
                above_kept, dropped = False, line

        loose = iter(self.loose)
        pending = next(loose, None)
        for i, entry in enumerate(self.entries):
            while pending is not None and pending[0] == i:
                place(pending[1])
                pending = next(loose, None)
            out.append(entry)
            above_kept, dropped = False, None
        while pending is not None:
            place(pending[1])
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
    if not read.entries and not read.loose and not tagged:
        return None
    return JielongCopy(
        tagged=tagged,
        header=read.header,
        entries=read.entries,
        footer=tuple(f for f in read.after if f.strip()),
        loose=read.loose,
        keys=read.keys,
        key_set=read.key_set,
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
    # The entry on the last line read, if that line was one: a line read on after it may carry it on.
    last: Entry | None = None
    keys: tuple[str, ...] = ()  # the entries' keys
    # The same as a set: a set made from the one before (its table copied, each key's hash with it)
    # costs no look at the keys themselves, which on a 500-line copy are scattered over memory.
    key_set: frozenset[str] = frozenset()


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
        top = lines if first is None else lines[:first]
        # Decorated lines in what reads as the header: a list without numbers (the book keeps
        # the ones that order something; the header keeps them all, for an owner's drop).
        marked, above = _marked_lines(top, so_far.last)
        if first is None:
            # (The decorated line last read is kept: a copy read on from here may carry it on.)
            return replace(so_far, header=header + tuple(lines), loose=so_far.loose + marked, last=above)
        header += tuple(top)
        lines, reads = lines[first:], reads[first:]
        so_far = replace(so_far, loose=so_far.loose + marked)
    end = len(reads)
    while end and reads[end - 1] is None:
        end -= 1
    entries, loose, last = _read_body(lines, reads, len(so_far.entries), so_far.last)
    after = tuple(lines[end:]) if end else so_far.after + tuple(lines)
    keys = tuple(entry.key for entry in entries)
    return _SoFar(header, so_far.entries + tuple(entries), so_far.loose + tuple(loose), after, True, last,
                  so_far.keys + keys, so_far.key_set.union(keys))


def _first_entry(reads: list[Entry | None]) -> int | None:
    for i, read in enumerate(reads):
        if read is not None:
            return i
    return None


def _read_body(raw_lines: list[str], reads: list[Entry | None], before: int,
               last: Entry | None) -> tuple[list[Entry], list[tuple[int, Entry]], Entry | None]:
    """The entries among lines after the header, the lines without a number among them, each
    with the count of entries before it (`before` came earlier), and the entry on the last line
    (if it was one). `last`: the entry on the line just above these, when reading on."""
    if all(reads):
        # The common copy: nothing but entries. (`all`, not `None not in`, which
        # would call Entry.__eq__ on every line.)
        final = reads[-1] if reads else last
        return [read for read in reads if read and read.key], [], final if final and final.key else None
    entries: list[Entry] = []
    loose: list[tuple[int, Entry]] = []
    for raw, read in zip(raw_lines, reads, strict=True):
        if read is None:
            unnumbered = _read_loose(raw)
            if unnumbered is not None:
                if last is not None and _wraps(last.text, raw):
                    # Maybe the entry above carried on: the book decides (a note is not products).
                    unnumbered = replace(unnumbered, follows=True)
                loose.append((before + len(entries), unnumbered))
            last = None
        elif read.key:
            entries.append(read)
            last = read
        else:
            last = None
    return entries, loose, last


def _wraps(above: str, raw: str) -> bool:
    """Whether `raw` carries on the entry above it: indented, or joined to it by 、 ＋ ， /."""
    line = clean(raw)
    body = line.strip()
    if not body or _BULLET.match(line) or _HOUSE_FIRST.match(line) or _EXAMPLE.match(body) or _TAG.match(body):
        return False
    return (line[:1] in (" ", "\t") or above.rstrip()[-1:] in _JOINS or body[0] in _JOINS
            or _carries_row(body))


def _carries_row(body: str) -> bool:
    """A table row whose leading cells are empty ("｜ ｜ ｜ ｜D×2｜"): the row above wrapping onto it,
    never a row of its own (it names nobody)."""
    if not body.startswith("|") or body.count("|") < 3:
        return False
    cells = [c.strip() for c in body.strip("|").split("|")]
    filled = [bool(c) and not set(c) <= set("-:—=~ ") for c in cells]
    return not filled[0] and 0 < sum(filled) * 2 <= len(filled)


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
    """An unnumbered line among the entries, or None for a blank, divider or example line.
    Its bullet or table bars are not part of it: the same line is the same entry however it
    is decorated."""
    body = _unmark(clean(raw).strip())
    key = key_of_nfkc(body)
    if not key or _EXAMPLE.match(body) or _TAG.match(body):
        return None
    return Entry(0, body, key, numbered=False)


def _unmark(line: str) -> str:
    """A line without its bullet, or a table row's cells joined by spaces."""
    if line.startswith("|") and line.count("|") >= 2:
        cells = [c.strip() for c in line.strip("|").split("|")]
        return " ".join(c for c in cells if c and not set(c) <= set("-:—=~ "))
    return _BULLET.sub("", line, count=1)


def _marked_lines(top: list[str], above: Entry | None) -> tuple[tuple[tuple[int, Entry], ...], Entry | None]:
    """The decorated lines among `top` (lines above any numbered entry), each with a line under
    it that carries it on ("• 7-803 米米 红薯1袋" over an indented "玉米1袋"): that one `follows`.
    `above`: the decorated line just before `top` (reading on); returned: the one ending it."""
    out: list[tuple[int, Entry]] = []
    for raw in top:
        entry = _read_marked(raw)
        if entry is not None:
            if above is not None and _carries_row(clean(raw).strip()):
                entry = replace(entry, follows=True)
            out.append((0, entry))
        elif above is not None and _wraps(above.text, raw):
            line = _read_loose(raw)
            if line is not None:
                entry = replace(line, follows=True)
                out.append((0, entry))
        above = entry
    return tuple(out), above


def _read_marked(raw: str) -> Entry | None:
    """A line above any numbered entry that is decorated as an entry (a bullet, a table row, a
    house number first): a loose line of a list without numbers. None for any other line."""
    line = clean(raw)
    body = line.strip()
    if not body or not (_BULLET.match(line) or (body.startswith("|") and body.count("|") >= 2)
                        or _HOUSE_FIRST.match(line)):
        return None
    return _read_loose(raw)


# A note in a line: 备注：…, 注：…, ps: … to the end of the line. Kept with the line as written.
_NOTE = re.compile(r"(?:备注|備註|注|ps|PS|Ps)\s*[:：].*$", re.DOTALL)


def without_note(text: str) -> str:
    """The line without its note: what it orders is read from the rest."""
    if "注" not in text and "ps" not in text.lower() and "備" not in text:
        return text
    return _NOTE.sub("", text)


def is_example(line: str) -> bool:
    return bool(_EXAMPLE.match(line))
