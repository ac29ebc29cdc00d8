"""Numbers as members write them: 2, ２, 两, 十二 (pure)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import cn2an

# 亿 too: without it 草莓一亿盒 read as 一, one box.
CN_DIGITS = "零〇一二两俩三四五六七八九十百千万亿"
# A number token: Arabic digits (after NFKC) or a run of Chinese numerals.
# A token never starts inside a run (the lookbehinds) and the digits never give
# characters back (possessive): a 20,000-digit line is then read in linear time
# instead of the quadratic retries a hostile message could otherwise force.
# The Chinese run must be able to give back its last character: 两 is also a
# unit (三两 = 3 两).
NUM = rf"(?:(?<!\d)\d++|(?<![{CN_DIGITS}])[{CN_DIGITS}]+)"

UNITS = (
    "公斤|千克|kg|斤|两|克|g|盒|箱|份|个|袋|包|只|瓶|板|件|套|串|颗|条|罐|桶|提|把|根|块|盆|"
    "杯|支|组|兜|筐|枚|粒|片|对|双|听|扎|捆|张|本|打|斤装|盒装|箱装|单|人份"
)

# Nothing anyone orders, stocks or schedules is this large; past it a number is
# "too large" rather than a value (SQLite integers and timedelta have limits too).
MAX_NUMBER = 999_999_999
# The longest sane Chinese numeral, 九千九百九十九万九千九百九十九, is 15
# characters; cn2an on a longer run is slow and means nothing.
_MAX_CN_CHARS = 16


def _cn2an(token: str) -> Any:
    # Imported when the first Chinese numeral is read: importing cn2an builds its tables (about a
    # third of the bot's start-up), which an export, a refusal or an order in digits never needs.

    return cn2an.cn2an(token, "smart")


# The same few tokens (一, 两, 2) come again and again; cn2an is slow to say so.
@lru_cache(maxsize=4096)
def _value(token: str) -> int | None:
    """The unbounded value of a well-formed number token, or None."""
    token = token.strip()
    if not token:
        return None
    if token.isdecimal():
        # isdecimal, not isdigit: int() refuses superscripts like ².
        digits = token.lstrip("0") or "0"
        # Guard against absurd digit strings before int() does the work.
        if len(digits) > len(str(MAX_NUMBER)):
            return MAX_NUMBER + 1
        return int(digits)
    if len(token) > _MAX_CN_CHARS:
        return MAX_NUMBER + 1 if all(ch in CN_DIGITS for ch in token) else None
    token = token.replace("俩", "两").replace("〇", "零")
    try:
        value = _cn2an(token)
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return int(value) if isinstance(value, int) else None


def to_int(token: str) -> int | None:
    """The value of a number token, or None when it is not a number or is
    over MAX_NUMBER."""
    value = _value(token)
    if value is None or value > MAX_NUMBER:
        return None
    return value


def too_big(token: str) -> bool:
    """A number token whose value is over MAX_NUMBER (to_int gives None for it)."""
    value = _value(token)
    return value is not None and value > MAX_NUMBER

# --- numbers typed where a command expects a small one --------------------------------------------
# `int()` takes any run of Unicode digits ("²" is a digit to str.isdigit, not to int) and any length (a
# 20-digit number overflows SQLite's integers). Every number a command reads goes through these, with
# the range it can mean: never an exception, never huge.

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")
_DIGITS = re.compile(r"[0-9]{1,18}")


def small_int(text: str, low: int = 0, high: int = 1_000_000_000) -> int | None:
    """The whole of `text` as a number from `low` to `high` (ASCII or full-width digits); else None."""
    t = text.strip().translate(_FULL_WIDTH)
    if not _DIGITS.fullmatch(t):
        return None
    n = int(t)
    return n if low <= n <= high else None

