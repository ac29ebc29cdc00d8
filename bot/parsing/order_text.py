"""What a plain chat message means for the order book (pure).

"草莓2盒" sets her quantity of 草莓 to 2 — a re-sent message never doubles an
order; "再来1盒"/"加1盒" adds; "草莓不要了" cancels one product, "取消" all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.items import Item, extract
from bot.parsing.textnorm import nfkc, strip_wechat_emoji


class Action(StrEnum):
    NONE = "none"  # chatter, questions, thanks
    SET = "set"  # her quantity of each product becomes the one written
    ADD = "add"  # more of a product on top of what she has
    CANCEL_ALL = "cancel_all"
    CANCEL = "cancel"  # the named products only
    UNCLEAR = "unclear"  # looks like an order, but the bot cannot tell what: needs the owner


@dataclass(frozen=True)
class Intent:
    action: Action
    items: tuple[Item, ...] = ()
    products: tuple[ProductRef, ...] = ()  # for CANCEL
    reason: str = ""


_CANCEL_ALL = re.compile(
    r"^(?:我|本人)?(?:的)?(?:订单)?(?:全部|都|全)?(?:取消|不要了|不要啦|退单|退团)(?:订单|了|吧|啦|哈|全部|我的订单)?$"
)
_CANCEL_WORD = re.compile(r"不要了|不要啦|取消|退掉|退了|不要|删掉|删了|去掉")
_ADD_WORD = re.compile(r"再来|再要|再加|另外|还要|多要|追加")
_QUESTION = re.compile(r"[?？]|吗|么|呢|嘛|多少|几点|什么|怎么|有没有|还有")
_TRAILING_NOISE = re.compile(r"[\s,.!~。，！～、…]+")


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
    question = bool(_QUESTION.search(compact))
    ex = extract(text, catalog, max_qty=max_qty)
    if ex.too_large:
        return Intent(Action.UNCLEAR, reason="数量过大")
    if _CANCEL_WORD.search(compact) and ex.mentioned and not ex.items:
        return Intent(Action.CANCEL, products=ex.mentioned)
    if ex.items:
        if question:
            # "草莓2盒可以吗？" is probably an order, but a guess is worse than asking.
            return Intent(Action.UNCLEAR, items=ex.items, reason="带问句")
        action = Action.ADD if _ADD_WORD.search(compact) else Action.SET
        return Intent(action, items=ex.items)
    if ex.quantity_without_product and not question and len(compact) <= 20:
        return Intent(Action.UNCLEAR, reason="没写明商品")
    return Intent(Action.NONE)
