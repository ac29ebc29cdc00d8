"""Numbers as members write them: 2, ２, 两, 十二 (pure)."""

from __future__ import annotations

import re

import cn2an

CN_DIGITS = "零〇一二两俩三四五六七八九十百千万"
# A number token: Arabic digits (after NFKC) or a run of Chinese numerals.
NUM = rf"(?:\d+|[{CN_DIGITS}]+)"

UNITS = (
    "公斤|千克|kg|斤|两|克|g|盒|箱|份|个|袋|包|只|瓶|板|件|套|串|颗|条|罐|桶|提|把|根|块|盆|"
    "杯|支|组|兜|筐|枚|粒|片|对|双|听|扎|捆|张|本|打|斤装|盒装|箱装|单|人份"
)


def to_int(token: str) -> int | None:
    """The value of a number token, or None when it is not a number."""
    token = token.strip()
    if not token:
        return None
    if token.isdigit():
        # Guard against absurd digit strings before int() does the work.
        if len(token) > 9:
            return None
        return int(token)
    token = token.replace("俩", "两").replace("〇", "零")
    try:
        value = cn2an.cn2an(token, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    return int(value) if isinstance(value, int) else None


_NUM_ONLY = re.compile(rf"^{NUM}$")


def is_number(token: str) -> bool:
    return bool(_NUM_ONLY.match(token))
