"""Phone numbers and addresses in what members write: one set of patterns (pure).

Used two ways, so the two can never disagree about what a phone number is:
masking (phone numbers and street addresses stay in the owner's exports, where
she needs them, but are masked in anything the bot posts in the group) and the
parsers' quantity guard (bot/parsing/items.py blanks phone numbers and house
numbers before it looks for quantities, so 3-502 or 138 0013 8000 is never an
order of 502 or 8000); bot/domain/reports.py reads house numbers with phone
numbers taken out.
"""

from __future__ import annotations

import re

# Between the 3-4-4 groups of a mobile number: nothing, one blank or one dash.
_GAP = r"[-\u2010-\u2015 \t\u3000]?"
# A mainland mobile number (1[3-9] and nine more digits, alone), whole or in
# 3-4-4 groups, with its country code if written: "+86" left behind would read
# as a quantity of 86.
# Full-width digits (１３８…) are typed too; \d matches them, the first digits are spelled out.
PHONE = rf"(?<!\d)(?:(?:[+＋]|[0０]{{2}})?[8８][6６]{_GAP})?[1１][3-9３-９]\d{_GAP}\d{{4}}{_GAP}\d{{4}}(?!\d)"
PHONE_RE = re.compile(PHONE)

# A house number: 3-502, 12-3-502, 5栋1203, 5栋1单元1203, 1203室. The
# unbounded alternatives never start inside a run of digits: a match there
# would also start at the run's beginning, and trying every position of a long
# run made masking quadratic.
HOUSE = (
    r"(?<!\d)\d+\s*(?:栋|幢|号楼|楼|座|区|期|单元)\s*(?:\d+\s*(?:单元|楼|层)?\s*)?(?:\d+\s*(?:室|号)?)?"
    r"|(?<!\d)\d+(?:\s*[-_/—~]\s*\d+)+(?:\s*(?:室|号))?"
    r"|\d{3,5}\s*(?:室|号)"
)

# A street address: 人民路88号, 中山大道100号3栋. House numbers alone are not
# masked: neighbours find each other's orders by them.
STREET = r"[\u4e00-\u9fffA-Za-z0-9]{0,12}?(?:路|街|大道|巷|弄|胡同)\s*\d+\s*号(?:[\s\d\-栋幢楼单元室号]*)"
_STREET_RE = re.compile(STREET)


def _mask_phone(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    # The last eleven digits are the number: its first three and last four stay.
    return text[: digits[-9] + 1] + "****" + text[digits[-4]:]


def mask(text: str) -> str:
    """The text as the group may see it: phone numbers as 138****8000, street addresses hidden."""
    text = PHONE_RE.sub(_mask_phone, text)
    return _STREET_RE.sub("（地址已隐藏）", text)


def without_phones(text: str) -> str:
    """The text with every phone number blanked (so its digits read as nothing else)."""
    return PHONE_RE.sub(" ", text)
