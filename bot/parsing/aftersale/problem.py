"""A member reporting a problem with what she received (pure): 草莓有两盒烂了, 少了一袋橙子, 漏发.

Such a message is a 售后 claim for the owner, never an order: "草莓有两盒烂了" names a product and
a quantity like an order does, and read as one it would book two boxes (or, after the close, be
refused as a late order). The handlers ask this module first, where the router's priorities put
claims before orders; it knows nothing of who sent the message or whether she received anything
(the handler checks she has goods delivered within the claim window).

What is a claim: words of damage (烂, 坏, 发霉, 变质, 压碎 …), of something missing (少了, 漏发,
没收到 …) or of a wrong item (发错), not negated (没坏, 一个都没烂) and not hypothetical (会不会坏,
万一烂了, 能放几天). A bare "坏了怎么办？" with no product and no quantity is a question about the
policy (the 质量问答 answers it), not a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.quantity import NUM, UNITS, to_int
from bot.parsing.textnorm import fold as simplified_lower
from bot.parsing.textnorm import nfkc, strip_wechat_emoji


class Problem(StrEnum):
    DAMAGED = "damaged"
    MISSING = "missing"
    WRONG = "wrong"

    @property
    def word(self) -> str:
        return {"damaged": "坏了", "missing": "少了", "wrong": "发错"}[self.value]


@dataclass(frozen=True)
class ReportedLine:
    product: ProductRef | None  # None: she did not say which (漏发)
    qty: int | None  # None: she did not say how many
    unit: str | None


@dataclass(frozen=True)
class ProblemReport:
    problem: Problem
    lines: tuple[ReportedLine, ...]  # at least one


_DAMAGED = (r"烂|坏了|坏掉|坏的|坏[一二两三四五六七八九十\d]|发霉|霉了|霉的|长毛|变质|臭了|臭的|馊|"
            r"压扁|压碎|压坏|压烂|碎了|碎的|破了|破的|破损|化了|蔫了|不新鲜|有虫|生虫|过期|漏液|漏汁|rotten|spoiled|moldy|damaged|broken")
_MISSING = (r"少了|少发|漏发|漏了|缺了|没收到|没有收到|没拿到|没有拿到|少给|"
            r"少[一二两三四五六七八九十\d](?![点些下])|没发|没给|找不到|差了|missing|didn'?t get|not received")
_STRONG = r"漏发|少发|没收到|没有收到|发错|拿错|给错|missing|not received"
_WRONG = r"发错|拿错|给错|不是我订的|不是我要的|wrong"
_ANY = re.compile(f"{_DAMAGED}|{_MISSING}|{_WRONG}", re.IGNORECASE)
_PROBLEMS = ((Problem.MISSING, re.compile(_MISSING, re.IGNORECASE)), (Problem.WRONG, re.compile(_WRONG)),
             (Problem.DAMAGED, re.compile(_DAMAGED, re.IGNORECASE)))
# "没坏", "一个都没烂", "没有少", "不烂": reported as fine.
_NEGATED = re.compile(r"(?:没|没有|不|无|都没|都没有|未)(?:一个|一盒|一点)?(?:烂|坏|少|缺|破|碎|发霉|变质|过期)"
                      r"|都很好|都好好的|完好|no problem")
# Asking about what might happen, not saying what did.
_HYPOTHETICAL = re.compile(r"会不会|会坏|会烂|万一|如果|要是|容易|能放|放几天|放多久|怕|担心|以免|防止|保质期|几天坏")
_QUESTION = re.compile(r"[?？]|吗|么|怎么办|咋办|怎么弄|能退|包退|包赔|可以退")
_QTY = re.compile(rf"({NUM})\s*({UNITS})(?![\d.]*\s*(?:元|块|毛))")
_CLAUSE = re.compile(r"[，,。.；;！!\n、~～]+")
# Long messages are lists, chatter or copies: a report of a problem is a sentence or two.
MAX_CHARS = 120


def fold(text: str) -> str:
    """The form this module reads: NFKC, WeChat's bracketed emoji gone, traditional characters
    simplified and lower case as the reader folds them (textnorm.fold: OpenCC, one place)."""
    return simplified_lower(strip_wechat_emoji(nfkc(text)))


# Every problem word has one of these characters (simplified or traditional) or English words: a
# message without any is no report, found without normalising it. Every member's message passes here
# before it is read as an order, so the common case must cost next to nothing (bench/run.py).
_KEY = re.compile(r"[烂爛坏壞霉黴变變臭馊餿压壓碎破化蔫鲜鮮虫蟲期漏少缺收拿给給发發错錯找差]")
_LATIN = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]")
_KEY_WORDS = re.compile(r"rotten|spoil|mold|damag|broken|missing|didn|receiv|wrong", re.IGNORECASE)


def mentions_problem(text: str) -> bool:
    """Cheap first look, before anything is read from the database."""
    if len(text) > MAX_CHARS * 2:
        return False
    if _KEY.search(text) is None and (_LATIN.search(text) is None or _KEY_WORDS.search(text) is None):
        return False
    return _ANY.search(fold(text)) is not None


def _qty(clause: str) -> tuple[int | None, str | None]:
    m = _QTY.search(clause)
    if m is None:
        return None, None
    value = to_int(m.group(1))
    return (value if value is not None and 0 < value <= 999 else None), m.group(2)


def read_problem(text: str, catalog: Catalog | None) -> ProblemReport | None:
    """What she reports as wrong with what she received, product by product; None when the message
    is not such a report."""
    folded = fold(text).strip()
    if not folded or len(folded) > MAX_CHARS or _ANY.search(folded) is None:
        return None
    if _NEGATED.search(folded) or _HYPOTHETICAL.search(folded):
        return None
    problem = next(kind for kind, pattern in _PROBLEMS if pattern.search(folded))
    lines: list[ReportedLine] = []
    loose: tuple[int | None, str | None] = (None, None)  # a quantity said before its product
    for clause in (c for c in _CLAUSE.split(folded) if c):
        products = list(dict.fromkeys(m.product for m in (catalog.find(clause) if catalog else []) if not m.choices))
        qty, unit = _qty(clause)
        if not products:
            if qty is not None and lines and lines[-1].qty is None:
                lines[-1] = ReportedLine(lines[-1].product, qty, unit)
            elif qty is not None:
                loose = (qty, unit)
            continue
        for product in products:
            if qty is None and loose[0] is not None:
                qty, unit = loose
                loose = (None, None)
            alone = len(products) == 1  # "草莓和橘子都烂了": how many of each is not said
            lines.append(ReportedLine(product, qty if alone else None, unit if alone else None))
    strong = re.search(_STRONG, folded, re.IGNORECASE) is not None
    counted = loose[0] is not None or any(line.qty is not None for line in lines)
    if problem is Problem.MISSING and not strong and not counted and _QUESTION.search(folded):
        return None  # "草莓少了吗？", "还有草莓吗？": asking, not reporting
    if not lines:
        qty, unit = loose
        if qty is None:
            # Nothing named and nothing counted: only plain words of a missing parcel, or a short cry
            # of damage ("烂了😭") count; "坏了怎么办？" is a question for the 质量问答, "人少了" chatter.
            short_cry = problem is Problem.DAMAGED and len(folded) <= 12
            if _QUESTION.search(folded) or not (strong or short_cry):
                return None
        lines.append(ReportedLine(None, qty, unit))
    return ProblemReport(problem, tuple(lines))
