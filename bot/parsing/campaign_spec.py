"""A campaign as the owner writes it (pure).

`/开团 标题` with one product per line — `[A. ]名称 价格[元][/单位] [限量N] [限购N]` —
and option lines (`截单 …`, `自提 …`, `成团 10人`, `限购3`); or an owner's `#接龙`
post whose header lines carry the prices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from bot.parsing.jielong import JielongCopy, is_example
from bot.parsing.quantity import NUM, UNITS, to_int
from bot.parsing.question import MAX_PAIR_ANSWER, MAX_PAIR_QUESTION
from bot.parsing.textnorm import clean, drop_invisible, key_of, nfkc, simplified
from bot.parsing.timeparse import ImpossibleTime, parse_when, resolve_day_words, strict_when


@dataclass(frozen=True)
class ProductSpec:
    name: str
    price_cents: int | None
    unit: str | None = None
    code: str | None = None
    stock: int | None = None  # 限量
    limit: int | None = None  # 限购, per member
    commission_bp: int | None = None  # 佣金 5% on this product, in basis points


@dataclass(frozen=True)
class CampaignSpec:
    title: str
    products: tuple[ProductSpec, ...]
    close_at: datetime | None = None
    pickup: str | None = None  # "东门快递柜 11-22 09:00-12:00"
    min_buyers: int | None = None  # 成团 N人
    min_units: int | None = None  # 成团 N份
    commission_bp: int | None = None  # 佣金 10%, in basis points
    problems: tuple[str, ...] = field(default=())  # lines the bot could not read
    # A 截单 time that cannot exist (25:00, 2月30日): opening without the deadline
    # the owner meant would be a different campaign, so the opening is refused.
    close_problem: str | None = None
    qa: tuple[tuple[str, str], ...] = field(default=())  # `问 草莓甜吗 答 不甜包退` lines: the owner's 质量问答
    broadcast_every: int | None = None  # `播报 每20单`: a 跟团播报 every N buyers
    broadcast_at: tuple[str, ...] = field(default=())  # `播报 12:00 18:00`: times of day, read when it opens
    # Her notes for members (`备注 …`, `温馨提示：…`, `付款方式 …`, `产地 …`), as written: the description.
    notes: tuple[str, ...] = field(default=())
    # Lines about her costs or margin (`备注 进价20，赚10块`): hers alone, never posted, never products.
    private_notes: tuple[str, ...] = field(default=())


_UNIT = rf"(?:{UNITS})"
# Not starting inside a run of digits, which would make a searched line of
# thousands of digits quadratic; the leftmost match is the same.
_PRICE_NUM = r"((?<!\d)\d++(?:\.\d{1,2})?)"
_CODE = re.compile(r"^\s*([A-Za-z])\s*[.、:)\s]\s*")
_STOCK = re.compile(rf"(?:限量|库存|共)\s*({NUM})\s*{_UNIT}?")
_LIMIT = re.compile(rf"(?:限购|每人限)\s*({NUM})\s*{_UNIT}?")
_PRICE_PATTERNS = [
    # 每箱88元 / 每盒 ¥30
    re.compile(rf"每\s*({_UNIT})\s*[¥￥]?\s*{_PRICE_NUM}\s*(?:元|块)?"),
    # ¥30 / ¥30/盒 / ¥30元一盒
    re.compile(rf"[¥￥]\s*{_PRICE_NUM}\s*(?:元|块)?\s*(?:/|一|每)?\s*({_UNIT})?"),
    # 30元/盒 / 30元一盒 / 30元
    re.compile(rf"{_PRICE_NUM}\s*(?:元|块)\s*(?:/|一|每)?\s*({_UNIT})?"),
    # 30/盒
    re.compile(rf"{_PRICE_NUM}\s*/\s*({_UNIT})"),
]
_COMMISSION = re.compile(r"佣金\s*[:：]?\s*(\d+(?:\.\d+)?\s*%)")


def commission_bp(text: str) -> int | None:
    """`10%` → 1000 basis points; None when it is not a sane percentage."""
    # Not from inside a run of digits: "佣金 " and 20,000 digits took 8 s.
    m = re.search(r"(?<!\d)(\d++(?:\.\d++)?)\s*%", nfkc(text))
    if m is None:
        return None
    try:
        value = Decimal(m.group(1))
    except InvalidOperation:
        return None
    if value < 0 or value > 100:
        return None
    return int(value * 100)


# `问 草莓甜吗 答 不甜包退` / `问：草莓甜吗 答：不甜包退`: a question-answer pair for the group. The
# line is cut at its first 答 that follows a space or precedes a colon (a regex with a
# lazy question and optional spaces on both sides was quadratic in a line of tabs).
_QA_CUT = re.compile(r"(?<=\s)答|答(?=[ \t]*[:：])")
_BROADCAST = re.compile(rf"每\s*({NUM})\s*(?:单|人|份)?")
_SEPARATORS = " \t:："
_SOME_DAY = datetime(2026, 1, 1)
_TIMES = re.compile(r"[\s,，、;；]+")
_OPTION = re.compile(r"^\s*(截单|截止|自提|取货|成团|限购|佣金)\s*[:：]?\s*(.*)$")
# A note for members: its word, then a separator (`产地直发草莓 30元` is a product, `产地 丹东` a note).
_NOTE = re.compile(r"^\W*(?:备注|温馨提示|友情提示|提示|注意事项|注意|说明|付款方式|付款|支付方式|收款方式|产地|"
                   r"发货|配送|售后|保质期|储存|保存方法|规格|品种|口感|介绍)\W*?[\s:：]")
# Words of the owner's own money: a line with one is hers alone, whatever else it looks like.
_COST = re.compile(r"进价|进货价|成本|利润|毛利|赚|佣金|提成|返点|返利|拿货|底价|批发价|出厂价|差价")
_NAME_PREFIX = re.compile(r"^.*?(?:到货|预售|上新|团购|今日|今天|明日|明天)\s*[:：]\s*")


def _cents(number: str) -> int | None:
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if value < 0 or value > 1_000_000:
        return None
    return int(value * 100)


def parse_product_line(line: str, *, nameless_ok: bool = False) -> ProductSpec | None:
    """One product, or None when the line names no price. `nameless_ok`: a
    price with no name (`每箱88元`) is kept with an empty name for the caller."""
    text = clean(line).strip()
    code = None
    cm = _CODE.match(text)
    if cm and not re.match(r"^\s*[A-Za-z]{2}", text):
        code = cm.group(1).upper()
        text = text[cm.end():]
    stock = limit = None
    sm = _STOCK.search(text)
    if sm:
        stock = to_int(sm.group(1))
        text = text[: sm.start()] + " " + text[sm.end():]
    bp = None
    pm_commission = _COMMISSION.search(text)
    if pm_commission:
        bp = commission_bp(pm_commission.group(1))
        text = text[: pm_commission.start()] + " " + text[pm_commission.end():]
    lm = _LIMIT.search(text)
    if lm:
        limit = to_int(lm.group(1))
        text = text[: lm.start()] + " " + text[lm.end():]
    # The units are read in simplified characters (168元/個 is sold by the 个); the name stays as written.
    plain = simplified(text)
    for i, pattern in enumerate(_PRICE_PATTERNS):
        pm = pattern.search(plain)
        if pm is None:
            continue
        if i == 0:
            unit, price = pm.group(1), pm.group(2)
        else:
            price, unit = pm.group(1), pm.group(2)
        name = text[: pm.start()].strip(" ,，、:：-—~") or text[pm.end():].strip(" ,，、:：-—~")
        name = _NAME_PREFIX.sub("", name).strip()
        cents = _cents(price)
        if cents is None or (not name and not nameless_ok):
            return None
        return ProductSpec(name=name, price_cents=cents, unit=unit or None, code=code,
                           stock=stock, limit=limit, commission_bp=bp)
    return None


def _apply_option(key: str, value: str, now: datetime, out: dict[str, object],
                  problems: list[str], opens_at: datetime | None = None) -> None:
    if key in ("截单", "截止"):
        try:
            when = strict_when(value, now)
        except ImpossibleTime as exc:
            why = f"截单时间不对：{exc}"
            problems.append(why)
            out["close_problem"] = why
            return
        if when is None:
            # "截止 售完为止" is a way of saying there is no deadline: opened, and the line is shown.
            problems.append(f"截单时间看不懂：{value}")
        else:
            out["close_at"] = when
    elif key in ("自提", "取货"):
        # 明天/周六 mean a date when the campaign opens; the line is read again on pickup day.
        out["pickup"] = resolve_day_words(value.strip(), opens_at or now) or None
    elif key == "成团":
        m = re.search(rf"({NUM})\s*(人|单|{UNITS})?", nfkc(value))
        n = to_int(m.group(1)) if m else None
        if n is None:
            problems.append(f"成团人数看不懂：{value}")
        elif m and m.group(2) not in (None, "人", "单"):
            # 成团 10箱 / 10份: a number of units, not of buyers.
            out["min_units"] = n
        else:
            out["min_buyers"] = n
    elif key == "限购":
        m = re.search(NUM, nfkc(value))
        n = to_int(m.group(0)) if m else None
        if n is None:
            problems.append(f"限购数量看不懂：{value}")
        else:
            out["limit"] = n
    elif key == "佣金":
        bp = commission_bp(value)
        if bp is None:
            problems.append(f"佣金看不懂：{value}（例如：佣金 10%）")
        else:
            out["commission_bp"] = bp


def parse_open_command(body: str, now: datetime, *, opens_at: datetime | None = None) -> CampaignSpec:
    """`body` is everything after `/开团`: the title, then one line per product or option.
    Times are read as of `now` (when the owner wrote them); `今天`/`明天`/`周六` in the
    自提 line count from `opens_at`, a planned campaign's opening, when given."""
    lines = [ln for ln in body.replace("\r", "").split("\n")]
    title = lines[0].strip() if lines else ""
    products: list[ProductSpec] = []
    problems: list[str] = []
    opts: dict[str, object] = {}
    for line in lines[1:]:
        if not key_of(line):
            # Blank, or decoration only (🍓🍓🍓, ———): no product, nothing to report.
            continue
        if _extra_line(line, opts, problems):
            continue
        om = _OPTION.match(clean(line))
        if om:
            _apply_option(om.group(1), om.group(2), now, opts, problems, opens_at)
            continue
        if _NOTE.match(clean(line)):
            # 「温馨提示：坏果包赔」 is for members; 「备注 进价20，赚10块」 is her margin, hers alone.
            _note(opts, "private_notes" if _COST.search(line) else "notes", line)
            continue
        product = parse_product_line(line)
        if _COST.search(line if product is None else product.name):
            _note(opts, "private_notes", line)  # 「进价20 赚10块」 is no product to order
        elif product is None:
            problems.append(f"这行没有价格：{line.strip()}")
        else:
            products.append(product)
    return _finish(title, products, opts, problems)


def _note(opts: dict[str, object], kind: str, line: str) -> None:
    notes = opts.setdefault(kind, [])
    assert isinstance(notes, list)
    notes.append(line.strip())


def _extra_line(line: str, opts: dict[str, object], problems: list[str]) -> bool:
    """A `问 … 答 …` or `播报 每N单` line, taken into `opts`; False for any other line."""
    # The answer is kept as the owner wrote it (full-width punctuation and all).
    text = drop_invisible(line).strip()
    if text.startswith("问") and (cut := _QA_CUT.search(text, 1)) is not None:
        question = text[1:cut.start()].strip(_SEPARATORS)
        answer = text[cut.end():].strip(_SEPARATORS)
        if len(question) > MAX_PAIR_QUESTION or len(answer) > MAX_PAIR_ANSWER:
            problems.append(f"问答太长，没有保存（问题{MAX_PAIR_QUESTION}字、回答{MAX_PAIR_ANSWER}字以内）："
                            f"{question[:20]}…")
            return True
        if question and answer:
            pairs = opts.setdefault("qa", [])
            assert isinstance(pairs, list)
            pairs.append((question, answer))
            return True
        return False
    plain = clean(line).strip()
    rest = plain[2:].strip(_SEPARATORS)
    if not plain.startswith("播报") or not rest:
        return False
    if not rest.startswith("每"):
        # `播报 12:00 18:00`: each a time of day (checked against a fixed day; the
        # real dates are the next such times once the campaign opens).
        times = [t for t in _TIMES.split(rest) if t]
        if len(times) > 12 or any(parse_when(t, _SOME_DAY) is None for t in times):
            return False  # "播报机 10元" is a product
        opts["broadcast_at"] = tuple(times)
        return True
    bm = _BROADCAST.fullmatch(rest)
    n = to_int(bm.group(1)) if bm else None
    if not n:
        problems.append(f"播报看不懂：{plain}（例如：播报 每20单，或 播报 12:00 18:00）")
    else:
        opts["broadcast_every"] = n
    return True


def _finish(title: str, products: list[ProductSpec], opts: dict[str, object],
            problems: list[str]) -> CampaignSpec:
    limit = opts.get("limit")
    if isinstance(limit, int):
        products = [p if p.limit is not None else replace(p, limit=limit) for p in products]
    close_at = opts.get("close_at")
    pickup = opts.get("pickup")
    min_buyers = opts.get("min_buyers")
    min_units = opts.get("min_units")
    commission = opts.get("commission_bp")
    close_problem = opts.get("close_problem")
    qa = opts.get("qa")
    broadcast_every = opts.get("broadcast_every")
    broadcast_at = opts.get("broadcast_at")
    notes = opts.get("notes")
    private_notes = opts.get("private_notes")
    return CampaignSpec(
        title=title,
        products=tuple(products),
        close_at=close_at if isinstance(close_at, datetime) else None,
        pickup=pickup if isinstance(pickup, str) else None,
        min_buyers=min_buyers if isinstance(min_buyers, int) else None,
        min_units=min_units if isinstance(min_units, int) else None,
        commission_bp=commission if isinstance(commission, int) else None,
        problems=tuple(problems),
        close_problem=close_problem if isinstance(close_problem, str) else None,
        qa=tuple(qa) if isinstance(qa, list) else (),
        broadcast_every=broadcast_every if isinstance(broadcast_every, int) else None,
        broadcast_at=broadcast_at if isinstance(broadcast_at, tuple) else (),
        notes=tuple(notes) if isinstance(notes, list) else (),
        private_notes=tuple(private_notes) if isinstance(private_notes, list) else (),
    )


def refusal(head: str, problems: tuple[str, ...], tail: str = "") -> str:
    """`没有开团：…。请改好后重发。`: one problem inline, several one a line."""
    if len(problems) == 1:
        return f"{head}：{problems[0]}。{tail}"
    return f"{head}：\n" + "\n".join(f"· {p}" for p in problems) + (f"\n{tail}" if tail else "")


def product_problems(spec: CampaignSpec) -> tuple[str, ...]:
    """What makes the products unsellable as written, one line each: the opening is refused, since
    each of these would take orders the owner never meant (a free box, a product nobody can get,
    "草莓2盒" when two products are called 草莓)."""
    problems: list[str] = []
    seen: dict[str, str] = {}  # names without a code
    codes: dict[str, str] = {}
    for p in spec.products:
        if p.price_cents == 0:
            problems.append(f"「{p.name}」的价格是0元，请写上价格（例如 {p.name} 30元/{p.unit or '份'}）")
        if p.stock == 0:
            problems.append(f"「{p.name}」限量0{p.unit or ''}，谁也订不到（不限量就不写限量）")
        if p.limit == 0:
            problems.append(f"「{p.name}」限购0{p.unit or ''}，谁也订不到（不限购就不写限购）")
        # Two sizes of one fruit may share a name when each has its code (A. 草莓, B. 草莓): "A2" tells them apart.
        key = key_of(p.name) if p.code is None else ""
        if key and key in seen:
            problems.append(f"有两个商品都叫「{p.name}」，团员写「{p.name}2{p.unit or '份'}」分不清是哪个，"
                            "请给它们不同的名字（例如 大果、中果），或编号（A. B.）")
        seen.setdefault(key, p.name)
        if p.code is not None and p.code in codes:
            problems.append(f"「{codes[p.code]}」和「{p.name}」的编号都是 {p.code}，请改成不同的编号")
        if p.code is not None:
            codes.setdefault(p.code, p.name)
    return tuple(problems)


_DEADLINE_IN_TEXT = re.compile(r"(.*?)(?:截单|截止)")


def parse_jielong_drop(copy: JielongCopy, now: datetime) -> CampaignSpec:
    """An owner's `#接龙` post opening a campaign: title from its first line after
    the tag, products from header lines with prices, the deadline from a line
    like `晚上八点截单`. With no priced line, one product named after the title."""
    title = copy.title
    products: list[ProductSpec] = []
    problems: list[str] = []
    opts: dict[str, object] = {}
    for line in (*copy.header, *copy.footer):
        text = clean(line).strip()
        if not text or text.startswith("#") or is_example(text):
            continue
        om = _OPTION.match(text)
        if om:
            _apply_option(om.group(1), om.group(2), now, opts, problems)
            continue
        if "截单" in text or "截止" in text:
            dm = _DEADLINE_IN_TEXT.match(text)
            when = parse_when(dm.group(1) if dm else text, now)
            if when is not None:
                opts["close_at"] = when
            continue
        for part in re.split(r"[,，;；]", text):
            product = parse_product_line(part, nameless_ok=True)
            if product is not None:
                if not product.name:
                    product = replace(product, name=_name_from_title(title))
                products.append(product)
    if not products:
        products.append(ProductSpec(name=_name_from_title(title) or "商品", price_cents=None))
    return _finish(title or "接龙", products, opts, problems)


def _name_from_title(title: str) -> str:
    name = _NAME_PREFIX.sub("", nfkc(title)).strip()
    name = re.split(r"\s|[¥￥\d]", name)[0] if name else ""
    return name or title.strip()


# Every kind of line /开团 reads, as /帮助 开团 explains it and the owner's /帮助 shows it worked: (an
# example, what it means). tests/chat/test_help.py opens a campaign from all the examples at once and
# checks every line was read as said here.
OPEN_LINES: tuple[tuple[str, str], ...] = (
    ("/开团 周六水果团", "第一行：/开团 和团名"),
    ("A. 丹东草莓 30元/盒 限量50 限购3",
     "商品：名称 价格/单位，一行一个。价格也可以写 ¥30、30/盒、30元一盒；前面的 A. 是编号（团员可以发 A2）；"
     "限量50：一共只卖50盒，卖完的登记候补；限购3：每人最多3盒"),
    ("B. 砂糖橘 25元/箱 佣金5%", "商品后面的 佣金5%：这个商品的团长佣金（只私聊给你看）"),
    ("截单 11-21 20:00", "截单时间：到点自动截单，各群收到截单通知（也可以写 明天 20:00、今晚8点）"),
    ("自提 东门快递柜 11-22 09:00-12:00", "自提点和时间，写进开团通知和到货通知（明天、周六 会换成日期）"),
    ("成团 10人", "满10人成团（或 成团 20盒 按数量）：截单时不够就不发货，谁都不用付"),
    ("限购 2", "单独一行：每个商品每人最多2份（商品行自己写了限购的不变）"),
    ("佣金 10%", "单独一行：整个团的团长佣金（只私聊给你看）"),
    ("播报 每20单", "跟团播报：每多20人下单在群里报一次进度（或 播报 12:00 18:00 到点报）"),
    ("问 草莓甜吗 答 丹东99草莓，糖度12以上，不甜包退", "质量问答：群友问到时自动用你的话回答"),
    ("群 1群 2群", "同一个团在几个群一起卖（/群 的编号或群名，或 群 全部）：限量和限购各群共用；"
                  "某个群自己的自提点写 自提 2群 南门驿站"),
)
