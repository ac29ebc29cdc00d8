"""What a plain chat message means for the order book (pure).

"草莓2盒" sets her quantity of 草莓 to 2 — a re-sent message never doubles an
order; "再来1盒"/"加1盒" adds; "草莓不要了" cancels one product, "取消" all.
What cannot be read exactly is asked (`Action.ASK`, see bot/parsing/intent.py).
"""

from __future__ import annotations

import re
import unicodedata

from bot.parsing.asking import Reading, choose, items_label, name_words, which_product
from bot.parsing.catalog import Catalog
from bot.parsing.intent import Action, Choice, Intent, Question, Reason, asking
from bot.parsing.items import Extraction, Item, extract
from bot.parsing.quantity import NUM, UNITS, to_int
from bot.parsing.textnorm import nfkc, strip_wechat_emoji

_CANCEL_ALL = re.compile(
    r"^(?:我|本人)?(?:的)?(?:订单)?(?:全部|都|全)?(?:取消|不要了|不要啦|退单|退团)(?:订单|了|吧|啦|哈|全部|我的订单)?$"
)
_CANCEL_WORD = re.compile(r"不要了|不要啦|取消|退掉|退了|不要|删掉|删了|去掉")
_ADD_WORD = re.compile(r"再来|再要|再加|另外|还要|多要|追加")
_QUESTION = re.compile(r"[?？]|吗|么|呢|嘛|多少|几点|什么|怎么|有没有|还有")
_TRAILING_NOISE = re.compile(r"[\s,.!~。，！～、…]+")
# Reviews, thanks and reports about an earlier order carry quantities too:
# "上次买的苹果2箱特别脆", "前天那3瓶牛奶收到了".
_PAST = re.compile(r"上次|上回|上周|上个月|上礼拜|前天|昨天|昨晚|之前|以前|那次|前几天"
                   r"|收到了|已收到|吃完了|拿到了|已经到了")
# ...unless she also says she wants some now.
_NOW = re.compile(r"这次|这回|今天要|再来|再要|还要|还想要|帮我|给我|我要|想要|订(?!的|了)|加(?!的|了)")
_EDIT = re.compile(rf"(?:改成|改为|换成|改)\s*({NUM})\s*({UNITS})?")
_SAME_AS_ABOVE = re.compile(r"^(?:我也|我)?(?:同上|跟上面一样|和上面一样)")


# Emoji and their modifiers, joiners and variation selectors decorate a
# message without changing it: "取消🙏" cancels like "取消".
_DECORATION = frozenset(("So", "Sk", "Cf", "Mn", "Me", "Co"))


def _compact(text: str) -> str:
    plain = "".join(ch for ch in strip_wechat_emoji(nfkc(text))
                    if unicodedata.category(ch) not in _DECORATION)
    return _TRAILING_NOISE.sub("", plain)


def parse_order_text(text: str, catalog: Catalog, *, max_qty: int = 99) -> Intent:
    compact = _compact(text)
    if not compact:
        return Intent(Action.NONE)
    if _CANCEL_ALL.match(compact):
        return Intent(Action.CANCEL_ALL)
    if len(compact) <= 8 and _SAME_AS_ABOVE.match(compact):
        return Intent(Action.UNCLEAR, reason=Reason.SAME_AS_ABOVE)
    question = bool(_QUESTION.search(compact))
    ex = extract(text, catalog, max_qty=max_qty)
    past = _PAST.search(compact)
    if past is not None and (ex.items or ex.ambiguous or ex.quantity_without_product or ex.mentioned):
        # About an earlier order: chatter, unless she also asks for more now.
        if _NOW.search(compact[past.end():]) is None:
            return Intent(Action.NONE)
        return Intent(Action.UNCLEAR, items=ex.items, reason=Reason.PAST_OR_NOW)
    if ex.too_large:
        return Intent(Action.UNCLEAR, reason=Reason.TOO_LARGE)
    if ex.ambiguous:
        unclear = Intent(Action.UNCLEAR, reason=Reason.AMBIGUOUS, words=ex.ambiguous)
        which = _which_shared(ex)
        return unclear if which is None else asking(unclear, which)
    if _CANCEL_WORD.search(compact) and ex.mentioned and not ex.items:
        return Intent(Action.CANCEL, products=ex.mentioned)
    edit = _EDIT.search(compact) if not ex.items else None
    if edit is not None and not question:
        qty = to_int(edit.group(1))
        if qty is None or qty > max_qty:
            # "改成100盒": the number is the problem, whichever product she means.
            return Intent(Action.UNCLEAR, reason=Reason.TOO_LARGE)
        if 0 < qty <= max_qty:
            if len(ex.mentioned) == 1:
                # "刚才苹果写多了，改成1箱": the product is named away from the number.
                return Intent(Action.SET, items=(Item(ex.mentioned[0], qty),))
            if not ex.mentioned:
                # Which product she means depends on what she holds: the book decides, and
                # asks `which_product(question.leftover, <what she holds>, qty)` when she holds several.
                return Intent(Action.EDIT_UNNAMED, qty=qty, unit=edit.group(2),
                              question=which_product(edit.group(0), catalog.products, qty))
            return asking(Intent(Action.UNCLEAR, reason=Reason.WHICH_PRODUCT),
                          which_product(edit.group(0), ex.mentioned, qty))
    if ex.items:
        if question:
            # "草莓2盒可以吗？" is probably an order, but a guess is worse than asking.
            return Intent(Action.UNCLEAR, items=ex.items, reason=Reason.QUESTION)
        action = Action.ADD if _ADD_WORD.search(compact) else Action.SET
        return Intent(action, items=ex.items)
    if ex.quantity_without_product and not question and len(compact) <= 20:
        unclear = Intent(Action.UNCLEAR, reason=Reason.NO_PRODUCT)
        lone = ex.lone
        if lone is None or lone.qty is None or not 0 < lone.qty <= max_qty:
            return unclear
        fitting = [p for p in catalog.products if lone.unit is None or p.unit in (None, lone.unit)]
        return asking(unclear, which_product(lone.text, fitting or catalog.products, lone.qty))
    return Intent(Action.NONE)


def _which_shared(ex: Extraction) -> Question | None:
    """柚子2个 with 红心柚 and 白心柚: which one, with the rest of the message as read.
    None when a shared word has no readable quantity or two words are shared."""
    if len(ex.shared) != 1 or ex.shared[0].qty is None:
        return None
    shared = ex.shared[0]
    qty = shared.qty
    assert qty is not None
    readings = [Reading(Intent(Action.SET, items=(*ex.items, Item(p, qty))), name_words(p, shared.choices), p.code,
                        items_label([Item(p, qty)]))
                for p in shared.choices]
    return choose(shared.text, readings)


__all__ = ["Action", "Choice", "Intent", "Question", "Reason", "parse_order_text"]
