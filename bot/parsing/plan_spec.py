"""Schedule commands as owners write them (pure).

`/预告 明天 8:00 周日鲜果，草莓超甜` → a time, then the owner's words.
`/定时开团 11-21 08:00 周日鲜果` + the product and option lines of /开团, plus
plan lines `预告 提前1天`, `倒计时 提前10分钟`, `提醒 提前30分钟`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.parsing.quantity import NUM, to_int
from bot.parsing.textnorm import nfkc
from bot.parsing.timeparse import strict_when

# A time word is made only of these: "周五团" is a title, not Friday.
_TIMEISH = re.compile(
    r"^[\d:\-/.年月日号点分半时今明后昨前大天晚早上下午中凌傍周星期礼拜一二三四五六七八九十两零〇钟小个以]+$")


def split_when(text: str, now: datetime) -> tuple[datetime, str] | None:
    """The time at the start of `text` and the words after it, or None.

    Tries the first one, two and three words: the longest prefix that still
    changes the time is the time ("明天 8:00 文字" → 明天 08:00, "文字").
    A time that cannot exist ("明天 25:00") raises ImpossibleTime rather than
    being read as its shorter, possible prefix. The time may have passed."""
    first, _, rest_lines = text.partition("\n")
    words = first.split()
    best: tuple[int, datetime] | None = None
    previous: datetime | None = None
    for k in range(1, min(3, len(words)) + 1):
        if not _TIMEISH.match(nfkc(words[k - 1])):
            break
        when = strict_when(" ".join(words[:k]), now)
        if when is not None and when != previous:
            best = (k, when)
        previous = when
    if best is None:
        return None
    k, when = best
    words_after = " ".join(words[k:])
    rest = "\n".join(part for part in (words_after, rest_lines) if part)
    return when, rest.strip()


_PLAN_LINE = re.compile(rf"^\s*(预告|倒计时|提醒|截单提醒)\s*[:：]?\s*提前\s*({NUM})\s*(分钟|小时|个小时|天)\s*$")


def _delta(n: int, unit: str) -> timedelta:
    if unit == "天":
        return timedelta(days=n)
    if unit in ("小时", "个小时"):
        return timedelta(hours=n)
    return timedelta(minutes=n)


@dataclass(frozen=True)
class Plan:
    open_at: datetime
    open_body: str  # the title and product/option lines, as /开团 takes them
    teaser_before: timedelta | None = None
    countdown_before: timedelta | None = None
    reminder_before: timedelta | None = None
    problems: tuple[str, ...] = field(default=())


def parse_plan(args: str, now: datetime) -> Plan | None:
    """None when no time starts the command; ImpossibleTime when it cannot exist."""
    split = split_when(args, now)
    if split is None:
        return None
    open_at, rest = split
    kept: list[str] = []
    befores: dict[str, timedelta] = {}
    for line in rest.split("\n"):
        m = _PLAN_LINE.match(nfkc(line))
        if m is None:
            kept.append(line)
            continue
        n = to_int(m.group(2))
        if n is not None:
            befores["提醒" if m.group(1) == "截单提醒" else m.group(1)] = _delta(n, m.group(3))
    return Plan(
        open_at=open_at,
        open_body="\n".join(kept).strip(),
        teaser_before=befores.get("预告"),
        countdown_before=befores.get("倒计时"),
        reminder_before=befores.get("提醒"),
    )
