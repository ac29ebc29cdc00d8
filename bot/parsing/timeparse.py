"""Times as owners write them, relative to now (pure).

`11-21 20:00`, `11月21日 20点`, `20:00`, `今晚8点`, `明天 8:00`, `周六 10:00`,
`晚上八点`, `30分钟后`. A time without a date is the next such time; a weekday
is the next such day. A date without a year is in this year, even when it has
passed: the callers refuse a past time with `past_reason`, so `12-01 10:00`
sent at 12:15 that day is never silently next year — the owner writes the year
for that. A time that cannot exist (`25:00`, `2-30`) raises ImpossibleTime
inside, which `parse_when` reports as no time and `time_problem` explains.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.parsing.quantity import CN_DIGITS, to_int
from bot.parsing.textnorm import nfkc

# Never starting inside a run of digits or numerals, and digits never given
# back: linear on a hostile 20,000-digit message (see bot.parsing.quantity.NUM).
_N = rf"((?<!\d)\d++|(?<![{CN_DIGITS}])[{CN_DIGITS}]+)"
_DATE = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
# 昨天 and 前天 too: "/提醒取货 昨天 18:00" is a time that has passed (and says so), not no time at all.
_REL_DAY = re.compile(r"(今天|今日|今晚|今早|明天|明日|明晚|明早|大后天|后天|大前天|前天|昨天|昨日|昨晚|昨早)")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天1-7])")
_PART_OF_DAY = r"早上|上午|中午|下午|晚上|傍晚|凌晨|半夜|午夜|深夜|早|晚"
_CLOCK = re.compile(rf"(?:({_PART_OF_DAY})\s*)?{_N}\s*(?::|点|時|时)\s*(半|{_N}\s*分?)?")
_AFTER = re.compile(rf"{_N}\s*(分钟|小时|个小时|天)\s*(?:以)?后")

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_DAY_OFFSET = {"今天": 0, "今日": 0, "今晚": 0, "今早": 0, "明天": 1, "明日": 1, "明晚": 1,
               "明早": 1, "后天": 2, "大后天": 3, "昨天": -1, "昨日": -1, "昨晚": -1, "昨早": -1, "前天": -2,
               "大前天": -3}
_EVENING_WORDS = ("下午", "晚上", "傍晚", "晚", "今晚", "明晚", "昨晚")
# 「今晚12点」「晚上12点」「半夜12点」「今晚0点」 mean the midnight that ends the day, never noon.
_NIGHT_WORDS = ("晚上", "晚", "半夜", "午夜", "深夜", "今晚", "明晚", "昨晚")


class ImpossibleTime(ValueError):
    """A date or time that does not exist; the message says why, in the owner's words."""


_DAY_WORDS = {"今天": (0, ""), "今日": (0, ""), "今晚": (0, "晚"), "今早": (0, "早"), "明天": (1, ""),
              "明日": (1, ""), "明晚": (1, "晚"), "明早": (1, "早"), "后天": (2, ""), "大后天": (3, "")}
_RESOLVABLE = re.compile(r"(大后天|今天|今日|今晚|今早|明天|明日|明晚|明早|后天|(?:周|星期|礼拜)[一二三四五六日天])")


def resolve_day_words(text: str, now: datetime) -> str:
    """`东门 明天 18:00-20:00` → `东门 11月21日 18:00-20:00`: words that mean another
    day tomorrow are written as the date they mean now (a pickup line is read
    days later, in notices and exports)."""
    def date_of(m: re.Match[str]) -> str:
        word = m.group(1)
        if word in _DAY_WORDS:
            offset, part = _DAY_WORDS[word]
            day = now.date() + timedelta(days=offset)
            return f"{day.month}月{day.day}日{part}"
        ahead = (_WEEKDAYS[word[-1]] - now.weekday()) % 7
        day = now.date() + timedelta(days=ahead)
        return f"{day.month}月{day.day}日（{word}）"
    return _RESOLVABLE.sub(date_of, text)


def past_reason(when: datetime, written: str | None = None) -> str:
    """Why a time the owner wrote cannot be used: it has passed. The hint about years is for a
    date she wrote (`12-01 10:00`); given what she wrote, it is left out when that names none
    (`昨天 18:00`)."""
    passed = f"{when.month}月{when.day}日 {when:%H:%M} 已经过了，请写一个以后的时间"
    if written is not None and _DATE.search(nfkc(written)) is None:
        return passed
    return passed + f"（没写年份的日期按今年算；明年的日期请写上年份，例如 {when.year + 1}-{when:%m-%d %H:%M}）"


def _clock(text: str, day_word: str) -> tuple[time, int, bool] | None:
    """The time of day written in `text`, where it ends, and whether it is past the end of the day it
    names (24点, 今晚12点: the midnight after that day, so an order before it still counts)."""
    m = _CLOCK.search(text)
    if m is None:
        return None
    hour = to_int(m.group(2))
    if hour is None:
        return None
    minute = 0
    if m.group(3):
        minute = 30 if m.group(3) == "半" else (to_int(m.group(4) or "") or 0)
    part = m.group(1) or ""
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        raise ImpossibleTime(f"「{m.group(0).strip()}」不是一个时间（0点到24点，分钟0到59）")
    if (part in _NIGHT_WORDS or (not part and day_word in _NIGHT_WORDS)) and hour in (0, 12):
        hour = 24  # 今晚12点, 晚上12点半, 半夜12点, 今晚0点: past the end of that day
    elif (part in _EVENING_WORDS or day_word in _EVENING_WORDS) and hour < 12:
        hour += 12
    if part == "中午" and hour < 6:
        hour += 12
    if hour == 24:
        return time(0, minute), m.end(), True
    return time(hour, minute), m.end(), False


def parse_when(text: str, now: datetime) -> datetime | None:
    """The moment `text` names, in now's time zone (it may have passed), or None if
    it names none or one that cannot exist."""
    try:
        return strict_when(text, now)
    except ImpossibleTime:
        return None


def strict_when(text: str, now: datetime) -> datetime | None:
    """Like parse_when, but a time that cannot exist raises ImpossibleTime."""
    try:
        return _parse_when(nfkc(text).strip(), now)
    except OverflowError as exc:
        # "999999999天后": past the last date a datetime can hold.
        raise ImpossibleTime(f"「{text.strip()[:20]}」太远了") from exc


def time_problem(text: str, now: datetime) -> str | None:
    """Why `text` gives no time the bot can use (it cannot exist, or it has passed);
    None when it is fine or names no time at all."""
    try:
        when = strict_when(text, now)
    except ImpossibleTime as exc:
        return str(exc)
    return past_reason(when) if when is not None and when <= now else None


def _parse_when(t: str, now: datetime) -> datetime | None:
    tz = now.tzinfo
    m = _AFTER.search(t)
    if m:
        n = to_int(m.group(1))
        if n is None:
            return None
        unit = m.group(2)
        delta = timedelta(minutes=n) if unit == "分钟" else (
            timedelta(days=n) if unit == "天" else timedelta(hours=n))
        # Relative to now, to the second: 「1分钟后」 at 10:00:50 is 10:01:50, not 10:01:00.
        return (now + delta).replace(microsecond=0)

    day: date | None = None
    explicit_year = False
    day_word = ""
    dm = _DATE.search(t)
    rest = t
    if dm:
        year = int(dm.group(1)) if dm.group(1) else now.year
        explicit_year = bool(dm.group(1))
        try:
            day = date(year, int(dm.group(2)), int(dm.group(3)))
        except ValueError as exc:
            raise ImpossibleTime(f"没有{dm.group(2).lstrip('0')}月{dm.group(3).lstrip('0')}日这一天"
                                 + (f"（{year}年）" if explicit_year else "")) from exc
        rest = t[dm.end():]
    else:
        rm = _REL_DAY.search(t)
        wm = _WEEKDAY.search(t)
        if rm:
            day_word = rm.group(1)
            day = now.date() + timedelta(days=_DAY_OFFSET[day_word])
            rest = t[rm.end():]
        elif wm:
            target = _WEEKDAYS[wm.group(1)]
            ahead = (target - now.weekday()) % 7
            day = now.date() + timedelta(days=ahead)
            rest = t[wm.end():]
            day_word = "周"
    clock = _clock(rest, day_word)
    if clock is None and day is None:
        return None
    tod = clock[0] if clock else time(0, 0)
    after = timedelta(days=1) if clock is not None and clock[2] else timedelta()
    if day is None:
        candidate = datetime.combine(now.date(), tod, tzinfo=tz) + after
        return candidate if candidate > now else candidate + timedelta(days=1)
    if clock is None and day_word in ("今晚", "明晚", "昨晚"):
        tod = time(20, 0)
    candidate = datetime.combine(day, tod, tzinfo=tz) + after
    if candidate <= now and day_word == "周":
        candidate += timedelta(days=7)
    # A written date that has passed stays in the past: the caller refuses it (past_reason).
    return candidate


def parse_window(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """A pickup window like `11-22 09:00-12:00`."""
    t = nfkc(text)
    m = re.search(r"(\d{1,2}[:点]\d{0,2})\s*[-~至到]\s*(\d{1,2}[:点]\d{0,2})", t)
    if not m:
        return None
    prefix = t[: m.start()]
    start = parse_when(prefix + m.group(1), now)
    end = parse_when(prefix + m.group(2), now)
    if start is None or end is None:
        return None
    if end <= start:
        end += timedelta(days=1)
    return start, end
