"""A message read into typed spans (pure): product mentions, quantities, and the
numbers that are never quantities.

The reader (bot/parsing/reader.py) decides what the spans mean; this module only
finds them, in a fixed order so no span is read twice:

1. notes: `备注：…` to the end of its line, and brackets naming no product
   (`（少放冰）`) — neither a quantity nor a product;
2. product mentions: names from the catalogue index, then references the owner's
   list allows — codes (`B+1`), positions (`第三个`, `3号`, `最后一个`), prices
   (`38.8的`, `19块9那个`) and all of them (`全都要`, `每样一份`);
3. numbers that are never quantities: house numbers, phones, prices and payments,
   times, dates, pack sizes (`6只装`, `500g`), floors, people, durations,
   ordinals, discounts;
4. quantities: `2` `两` `x3` `*2` `+1` `加一` `-1` `减1` `2盒` `1.5盒` `一盒半` `半箱`
   `two boxes`, with the unit as written.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from bot.parsing.catalog import Catalog, Mention, unit_fits
from bot.parsing.privacy import HOUSE, PHONE
from bot.parsing.quantity import CN_DIGITS, UNITS, to_int, too_big
from bot.parsing.reading.lexicon import ENGLISH_NUMBERS, ENGLISH_UNITS, GENERIC
from bot.parsing.textnorm import fold, nfkc, strip_wechat_emoji

# Chinese numerals, the financial forms too (壹贰叁, 参 as OpenCC writes 參).
CN = CN_DIGITS + "壹贰叁参肆伍陆柒捌玖拾佰仟廿"
NUM = rf"(?:(?<![\d.])\d++(?:\.\d+)?|(?<![{CN}])[{CN}]+)"
_EN_UNITS = "|".join(ENGLISH_UNITS)
_EN_NUMS = "|".join(ENGLISH_NUMBERS)
# The units of one character as one class, tried before the longer ones (公斤, 人份, kg).
_UNIT_CHARS = "".join(u for u in UNITS.split("|") if len(u) == 1 and u != "两")
# 两 is a unit (三两 = 150 g) only when no unit follows it: in "1 两箱" it is the number.
UNIT = (rf"(?:公斤|千克|人份|毫升|kg|ml|[{_UNIT_CHARS}升]|两(?!\s*[{_UNIT_CHARS}])"
        rf"|(?<![a-z])(?:{_EN_UNITS}|l)(?![a-z]))")

# Emoji, their modifiers, joiners and variation selectors decorate a message without changing
# it: "+1🙏" is "+1". They become blanks, so positions stay aligned.
_DECORATION = frozenset(("So", "Sk", "Cf", "Mn", "Me", "Co"))


class Qty(NamedTuple):
    """A quantity as written (a tuple: messages make many of these)."""

    start: int
    end: int
    value: int | None  # None: not a whole number (fraction), or unreadable
    unit: str | None
    op: str | None  # "+" / "-" when written with a sign (+1, 加一, -1, 减1)
    times: bool  # written with x / × / *
    fraction: bool  # 1.5, 一盒半, 半箱
    too_large: bool
    bare: bool  # no unit, no sign, no x: a number that is a quantity only beside a product
    chinese: bool  # written in Chinese numerals


class Spans(NamedTuple):
    shown: str  # the message as read, same length as `folded` (NFKC, WeChat emoji as blanks)
    folded: str  # lower case, simplified characters, decorations blanked
    mentions: tuple[Mention, ...]
    qtys: tuple[Qty, ...]
    notes: tuple[tuple[int, int], ...]
    masked: tuple[tuple[int, int], ...]  # never-a-quantity numbers (house numbers stay in the label)
    work: str  # `folded` with notes, mentions and masks blanked: where the words between tokens are read
    packs: tuple[tuple[int, int], ...] = ()  # pack sizes written (5斤装, 6只装): never quantities


# What a product mention becomes in the text the other spans are looked for in: not a
# blank, so no pattern reads across it (一盒草莓一箱 is two quantities, not "一盒 … 一箱").
TAKEN = "\ue000"
# What notes and never-a-quantity numbers become: not a blank either (李四 3-502 张三 is no 四张).
MASKED = "\ue001"


def _blank(text: str, spans: list[tuple[int, int]], fill: str = " ") -> str:
    """`text` with each span (in order, not overlapping) filled with `fill`."""
    if not spans:
        return text
    pieces: list[str] = []
    pos = 0
    for start, end in spans:
        if start >= pos:
            pieces += (text[pos:start], fill * (end - start))
            pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


# -- 1. notes -------------------------------------------------------------------------------

_NOTE_LINE = re.compile(r"(?:备注|注意|ps|p\.s\.)\s*+[:：].*")
_NOTE_HINT = re.compile(r"[注p]")
_BRACKET_HINT = re.compile(r"[(（【\[]")
_BRACKET = re.compile(r"[(（【\[]([^()（）【】\[\]\n]{0,60})[)）】\]]")
_QTY_ONLY = re.compile(rf"^\s*+(?:[x×*]\s*+)?{NUM}\s*+{UNIT}?\s*+$")


# -- 2. references to the owner's list ------------------------------------------------------

_CODE = re.compile(r"(?<![a-z])([a-z])(?:(?![a-z])|(?=x\s*+\d))(?!\d{3})"
                   r"(?=\s*+(?:[x×*+\-]|加|减|款|号|的|\d|$|[\s,，、;；.。!！~]))")
_POSITION = re.compile(rf"第\s*+({NUM})\s*+(?:个|款|种|样|项|号|位)"
                       r"|(最后|倒数第(?:一|1))\s*+(?:一)?\s*+(?:个|款|种|样|项)")
_NUMBERED = re.compile(rf"(?<![\d第{CN}])(\d{{1,2}}|[{CN}]{{1,3}})\s*+号(?![楼房门线床车店院地柜桌])")
# 3号两份, 3号+1, 3号要一份, 3号和5号各一份: a quantity (or another number) follows.
_NUMBERED_QTY_AFTER = re.compile(rf"^\s*+(?:[x×*+]|加|要|来|的|各)?\s*+(?:{NUM}|[x×*+])"
                                 rf"|^\s*+(?:和|跟|、|,|，)\s*+(?:\d{{1,2}}|[{CN}]{{1,3}})\s*+号")
_ORDER_VERB_BEFORE = re.compile(r"(?:要|来|订|买|拿|留|选)\s*+$")
_PRICE_REF = re.compile(r"(?:[¥￥]\s*+)?(?<![\d.])(\d+(?:\.\d{1,2})?)\s*+(元|块)?\s*+(\d)?\s*+"
                        r"(?=的|那个|那款|那种|那份|那样|这个|这款)")
_ALL_HINT = re.compile("[全所每各统]")
_PRICE_HINT = re.compile("的|那|这")
_ALL = re.compile(r"全部|全都|全要|所有的?(?:商品|产品|东西)?|每样|每种|每款|每个商品|各样|统统|全套")


def _position_mentions(work: str, catalog: Catalog) -> list[Mention]:
    out: list[Mention] = []
    if "第" not in work and "号" not in work and "最后" not in work:
        return out
    everything = catalog.products
    for m in _POSITION.finditer(work) if "第" in work or "最后" in work else ():
        if m.group(1):
            n = to_int(m.group(1))
            product = catalog.by_position(n) if n is not None else None
        else:
            product = everything[-1] if everything else None
        if product is not None:
            out.append(Mention(m.start(), m.end(), product, via="position"))
        elif everything:
            # 第五个 of four: a position that does not exist is asked about, among them all.
            out.append(Mention(m.start(), m.end(), everything[0], everything, via="position"))
    for m in _NUMBERED.finditer(work) if "号" in work else ():
        n = to_int(m.group(1))
        product = catalog.by_position(n) if n is not None else None
        if product is None:
            continue
        after, before = work[m.end():], work[: m.start()]
        if _NUMBERED_QTY_AFTER.match(after) or (_ORDER_VERB_BEFORE.search(before)
                                                 and not after[:1].strip(" ,，、。!！~")):
            out.append(Mention(m.start(), m.end(), product, via="position"))
    return out


def _cents(text: str) -> int | None:
    try:
        return int(Decimal(text) * 100)
    except (InvalidOperation, ValueError):
        return None


def _price_mentions(work: str, catalog: Catalog) -> list[Mention]:
    if not catalog.priced or not _PRICE_HINT.search(work):
        return []
    out = []
    for m in _PRICE_REF.finditer(work):
        number = m.group(1) + ("." + m.group(3) if m.group(3) and "." not in m.group(1) else "")
        cents = _cents(number)
        if cents is None:
            continue
        fits = catalog.by_price(cents)
        said_price = bool(m.group(2) or "." in number or work[m.start()] in "¥￥")
        if len(fits) == 1:
            out.append(Mention(m.start(), m.end(), fits[0], via="price"))
        elif fits:
            out.append(Mention(m.start(), m.end(), fits[0], fits, via="price"))
        elif said_price and catalog.products:
            out.append(Mention(m.start(), m.end(), catalog.products[0], catalog.products, via="price"))
    return out


def _all_mentions(work: str, catalog: Catalog) -> list[Mention]:
    if len(catalog.products) < 2 or not _ALL_HINT.search(work):
        return []
    return [Mention(m.start(), m.end(), catalog.products[0], catalog.products, via="all")
            for m in _ALL.finditer(work)]


def _code_mentions(work: str, catalog: Catalog) -> list[Mention]:
    out = []
    for m in _CODE.finditer(work):
        product = catalog.by_code(m.group(1))
        if product is not None:
            out.append(Mention(m.start(), m.end(), product, via="code"))
    return out


# -- 3. numbers that are never quantities --------------------------------------------------

_DAY_WORDS = "凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明早|明晚|今早|明天|后天|今天|周末"
# What may follow a number that makes it no quantity. One number is read once and these are
# tried after it (rather than one pattern per kind, each reading the number again).
_AFTER_NUMBER = "|".join((
    # prices: 30元, 19块9, 58块钱
    rf"(?:元|块钱|(?P<kuai>块)|圆|蚊|rmb|hkd|ntd)(?:\s*+(?P<jiao>\d)(?![\d.]|\s*+(?:{UNIT})))?",
    r"毛\s*+\d?",
    # times and dates: 3点, 3点半, 下午3点后, 11月20日, 20号
    r"(?:点|时)(?:\s*+(?:半|一刻|\d{1,2}\s*+分?|[一二三四五]?十[一二三四五六七八九]?分?|钟|整))?"
    r"(?:\s*+(?:前|后|以前|以后|之前|之后|左右|到|至))?",
    rf"月(?:\s*+{NUM}\s*+[日号]?)?",
    r"[日号](?![楼])",
    # pack sizes: 6只装, 5斤装, 12个/盒; about so much: 2斤左右
    rf"(?P<pack>(?:{UNIT}|ml|l|升|毫升)?\s*+装)",
    r"(?:个|只|枚|颗|粒|片|袋|包|瓶|支|根|斤)\s*+/\s*+(?:盒|箱|袋|包|份|斤|提|件)",
    rf"(?:{UNIT})?\s*+左右",
    # floors, people, durations, discounts, scores
    r"个?\s*+(?:楼|层|单元|栋|幢|座|次|天|周|年|岁|位|口人|分钟|小时|钟头|折|期|批|届|%|度|号线|人(?!份))",
    # A size (8寸, 20cm) is never a quantity. A weight or a volume (500g, 2kg, 1.5l) is one in
    # another unit than the product's, and is asked about.
    # (2 米1 is no 2 metres: 米1 is a product's name and its quantity, 东北珍珠米 in a terse list.)
    r"(?P<measure>cm|mm|厘米|寸|米)(?![a-z]|\s*+\d)",
))
# Every mask starts with one of these characters. Python's re tries every branch of an
# alternation at every position; looking for these first (one character class, scanned
# in C) and trying the masks only where one is costs a few positions instead of all.
# A run of digits or of Chinese numerals is one place to try: every mask starting with a
# number starts at the first digit of its run.
_MASK_STARTS = re.compile(rf"\d+|[{CN}]+|[+¥￥$a-z周星礼第每约大差已付转支红收实共合总凌早上中下傍晚今明后]")
_MASKS = re.compile(
    "(?:" + "|".join((
        HOUSE, PHONE,
        # 666, 888: praise, not three digits.
        rf"(?<![\d.x×*+\ue000])(?P<rep>\d)(?P=rep){{2,}}(?![\d.]|\s*+(?:{UNIT}))",
        r"(?<!\d)\d{1,2}\s*+[:：]\s*+\d{2}(?!\d)",  # 18:30
        r"(?<!\d)\d{1,2}/\d{1,2}(?!\d)",  # 11/22
        # 45一箱, 9.9元一斤, 38一袋的: a price for each unit (an owner answering "多少钱"), never
        # a quantity of one. Only right against its number, and not running on into a word: in
        # 草莓2一箱橙子 the 一箱 is the oranges' (a product name is blanked to \ue000 by now).
        rf"(?<![\d.])\d+(?:\.\d+)?(?:元|块钱?)?一(?:{UNIT})(?:(?=的)|(?![\u3400-\u9fff\ue000]))",
        rf"(?<![第\d{CN}]){NUM}\s*+(?:{_AFTER_NUMBER})",
        r"(?<![a-z])[a-wyz]\s*+\d{3,4}(?!\d)",  # B1203: a room with its building's letter
        r"[¥￥$]\s*+\d+(?:\.\d+)?",
        r"(?:已付|付了|已转|转了|转账|付款|已支付|支付了|红包|收款|实付|共计|合计|总计|总共付)\s*+[:：]?\s*+\d+(?:\.\d+)?",
        rf"(?:{_DAY_WORDS})\s*+{NUM}\s*+(?:点|时)(?:\s*+(?:半|一刻|\d{{1,2}}\s*+分?|钟|整))?"
        r"(?:\s*+(?:前|后|以前|以后|之前|之后|左右|到|至))?",
        r"(?:周|星期|礼拜)[一二三四五六日天末1-7]",
        # 每箱约10斤, 一箱约10斤, 约3斤
        rf"每\s*+(?:盒|箱|袋|包|份|件|提)\s*+(?:约|大约|大概|有)?\s*+{NUM}\s*+(?:{UNIT})?",
        rf"一\s*+(?:盒|箱|袋|包|份|件|提)\s*+(?:约|大约|大概|有)\s*+{NUM}\s*+(?:{UNIT})?",
        rf"(?:约|大约|大概|差不多)\s*+{NUM}\s*+(?:{UNIT})?(?:\s*+左右)?",
        rf"第\s*+{NUM}\s*+(?:次|批|期|天|周|名|单|排|轮|回|年|届|季|波|份)",  # 第2次: an ordinal
    )) + ")"
)
_QTY_STARTS = re.compile(rf"\d+|[{CN}]+|[+加减\-x×*半otfsen]")
_QTY = re.compile(
    rf"(?P<op>(?<![\d=])\+|加|减|-(?=\s*+[\d{CN}]))?\s*+(?P<x>[x×*](?![a-z]))?\s*+"
    rf"(?:半\s*+(?P<hunit>{UNIT})"
    rf"|(?P<num>{NUM}|(?<![a-z])(?:{_EN_NUMS})(?![a-z]))"
    rf"(?:(?P<unit>{UNIT})|[ \t\u3000]{{1,2}}+(?P<unit2>{UNIT})(?![\u3400-\u9fff]))?"
    # 一盒半 is a box and a half; 1 半箱 is two quantities (the 半 is the next one's).
    rf"(?P<half>半(?![ \t]*+(?:{UNIT})))?)",
)


_SIGNS = {"+": "+", "加": "+", "减": "-", "-": "-"}


def _qty(m: re.Match[str], max_qty: int) -> Qty:
    sign, x, num, unit, unit2, hunit, half = m.group("op", "x", "num", "unit", "unit2", "hunit", "half")
    # "2 盒" is 2 boxes, but "1 张三" is no sheet: a unit apart from its number ends a word.
    unit_end = m.end("unit") if unit else m.end("unit2")
    unit = unit or unit2
    # "2 sourdough + 1 cold brew": a sign apart from its number joins two orders.
    if sign and m.start("num" if num else "hunit") > m.end("op") and sign in "+-":
        sign = None
    op = _SIGNS.get(sign) if sign else None
    unit = unit or hunit
    times = bool(x)
    if num is None:  # 半箱
        return Qty(m.start(), m.end("hunit"), None, unit, op, times, True, False, False, True)
    chinese = num[0] in CN
    fraction = bool(half)
    value: int | None
    if num.isdecimal():
        value = to_int(num)
    elif num in ENGLISH_NUMBERS:
        value = ENGLISH_NUMBERS[num]
    elif "." in num:
        whole, _, decimals = num.partition(".")
        fraction = fraction or decimals.strip("0") != ""
        value = None if fraction else to_int(whole)
    else:
        value = to_int(num.replace("参", "叁").replace("俩", "两").replace("廿", "二十"))
    large = (value is not None and value > max_qty) or (value is None and not fraction and too_big(num))
    if fraction:
        value = None
    bare = unit is None and op is None and not times
    start = m.start() if sign or x else m.start("num")
    # The blanks the pattern took after the number are not part of it.
    end = m.end("half") if half else unit_end if unit else m.end("num")
    return Qty(start, end, value, unit, op, times, fraction, large, bare, chinese)


# -- all of it ------------------------------------------------------------------------------


def prepare(text: str, catalog: Catalog) -> tuple[str, str]:
    """(shown, folded): the message as read, and its folded form; the same length.
    Decorations become blanks, except emoji that name a product."""
    if not unicodedata.is_normalized("NFKC", text):
        text = nfkc(text)
    plain = strip_wechat_emoji(text) if "[" in text else text
    if plain.isascii():
        return plain, plain.lower()
    keep = catalog.emoji
    # Each distinct character is looked at once (a message repeats most of its characters),
    # and only those outside the common scripts (CJK, ASCII) can be decorations.
    blanks = {ord(ch): " " for ch in set(_COMMON.sub("", plain))
              if unicodedata.category(ch) in _DECORATION and ch not in keep}
    shown = plain.translate(blanks) if blanks else plain
    return shown, fold(shown)


# Characters that are never decorations: ASCII, CJK ideographs and punctuation, full-width forms.
_COMMON = re.compile("[\x00-\x7f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def read_spans(text: str, catalog: Catalog, max_qty: int) -> Spans:
    shown, folded = prepare(text, catalog)
    notes = [(m.start(), m.end()) for m in _NOTE_LINE.finditer(folded)] if _NOTE_HINT.search(folded) else []
    work = _blank(folded, notes, MASKED)
    mentions = catalog.find(work)
    # A bracket that names no product is a note: 草莓2盒（少放冰）, 张三（下午取）.
    for m in _BRACKET.finditer(work) if _BRACKET_HINT.search(work) else ():
        inside = [x for x in mentions if m.start() < x.start and x.end <= m.end()]
        if not inside and not _QTY_ONLY.match(m.group(1)):
            notes.append((m.start(), m.end()))
    if notes:
        work = _blank(folded, notes, MASKED)
        mentions = [x for x in mentions if not any(s <= x.start < e for s, e in notes)]
    work = _blank(work, [(x.start, x.end) for x in mentions], TAKEN)
    refs = _position_mentions(work, catalog) + _price_mentions(work, catalog) + _all_mentions(work, catalog)
    if refs:
        refs = _not_overlapping(refs)
        work = _blank(work, [(x.start, x.end) for x in refs], TAKEN)
    if catalog.has_codes:
        codes = _code_mentions(work, catalog)
        refs += codes
        work = _blank(work, [(x.start, x.end) for x in codes], TAKEN)
    units = catalog.units
    found = [m for m in scan(_MASKS, _MASK_STARTS, work) if m.group("measure") not in units
             # 3块 is money, unless something is sold by the 块 (蛋糕3块); 19块9 is money either way.
             and not (m.group("kuai") and "块" in units and not m.group("jiao"))]
    masked = [(m.start(), m.end()) for m in found]
    packs = tuple((m.start(), m.end()) for m in found if m.group("pack"))
    work = _blank(work, masked, MASKED)
    qtys = tuple(_qty(m, max_qty) for m in scan(_QTY, _QTY_STARTS, work) if m.group("num") or m.group("hunit"))
    if qtys and catalog.products:
        chars = _char_mentions(work, qtys, catalog)
        if chars:
            refs = [*refs, *chars]
            work = _blank(work, [(x.start, x.end) for x in chars], TAKEN)
    every = mentions + refs if refs else mentions
    if refs:
        every.sort(key=_start)
    return Spans(shown, folded, tuple(every), qtys, tuple(sorted(notes)), tuple(masked), work, packs)


# What may stand before a one-character name in a terse list (米1 油1 蒜2, 米1,油1): the start, a
# blank, punctuation, or the number ending the item before it.
_ITEM_BOUNDARY = re.compile(r"[\s,，、;；。/|｜+\d\ue001]")
_ITEM_END = re.compile(r"$|[\s,，、;；。/|｜+!！~]")
# Characters that are how she asks, never a product's one-character name (要1, 各1, 共3).
_NOT_A_NAME = frozenset("要来买订拿留各共我也还再就先想需给帮请了的都和跟与及加减第每约是不没有个"
                        + "".join(u for u in UNITS.split("|") if len(u) == 1))


def _char_mentions(work: str, qtys: tuple[Qty, ...], catalog: Catalog) -> list[Mention]:
    """米1 油1 蒜2: a single character that sits directly before a quantity, at the start of an item,
    names the one product whose name holds it (东北珍珠米, 金龙鱼调和油, 山东大蒜); held by two names it
    names neither and she is asked which."""
    out: list[Mention] = []
    for q in qtys:
        if q.value is None and not q.fraction:
            continue
        at = q.start
        while at > 0 and work[at - 1] in " :：=~":
            at -= 1
        if at > 1 and work[at - 1] in "要来" and at - 1 < q.start:
            at -= 1  # 米要1
        if at == 0 or (q.chinese and q.unit is None and not _ITEM_END.match(work, q.end)):
            continue  # 米一 蒜二, but not 一 inside words: a Chinese numeral alone ends its item
        ch = work[at - 1]
        if not "\u3400" <= ch <= "\u9fff" or ch in _NOT_A_NAME:
            continue
        if at >= 2 and not _ITEM_BOUNDARY.match(work[at - 2]):
            continue
        held = catalog.holding(ch)
        if len(held) > 1 and q.unit is not None and q.unit not in GENERIC:
            # 油1桶: of 菜籽油 and 酱油 only the oil comes by the 桶.
            held = tuple(p for p in held if unit_fits(q.unit, p.unit)) or held
        if len(held) == 1:
            out.append(Mention(at - 1, at, held[0], via="char"))
        elif held:
            out.append(Mention(at - 1, at, held[0], held, via="char"))
    return out


def _start(m: Mention) -> int:
    return m.start


def scan(pattern: re.Pattern[str], starts: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """pattern.finditer(text) for a pattern whose matches all start with a character `starts`
    matches: the pattern is tried only there (and once per run of such characters that it
    matched into)."""
    out: list[re.Match[str]] = []
    end = 0
    for c in starts.finditer(text):
        pos = c.start()
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None and m.end() > pos:
            out.append(m)
            end = m.end()
    return out


def _not_overlapping(mentions: list[Mention]) -> list[Mention]:
    out: list[Mention] = []
    for m in sorted(mentions, key=lambda x: (x.start, -x.end)):
        if not out or m.start >= out[-1].end:
            out.append(m)
    return out
