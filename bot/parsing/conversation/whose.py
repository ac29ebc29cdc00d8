"""Whose an order is, as the words say it (pure): "帮楼下刘奶奶捎一袋", "替6-301的小何报两瓶".

Who the words name is the order book's to decide (a member of the group, or someone outside it);
this only finds the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.textnorm import nfkc

# 帮/替/给/代 + who + a verb of ordering for someone: 捎, 带, 报, 订, 买, 拿, 留, 下单, 接龙, 要, 来.
_FOR = re.compile(r"^\s*(?:麻烦)?(?:帮|替|给|代)\s*(?P<who>[^\s,，。!！?？]{1,14}?)\s*(?:也|再)?"
                  r"(?P<verb>捎|带|报|订|买|拿|留|下单|接龙|要|来)(?P<rest>.*)$", re.DOTALL)
# Not a person: 帮忙带, 给力, 帮我, 替我 (hers), 帮大家.
_NOT_SOMEONE = frozenset(("忙", "个忙", "下忙", "力", "大家", "各位", "一下"))
_ME = frozenset(("我", "我们", "我家", "自己", "本人", "俺", "咱", "咱家"))


@dataclass(frozen=True)
class ForSomeone:
    who: str  # the words naming her ("楼下刘奶奶", "6-301的小何"); "" when it is the writer herself
    rest: str  # the order without them ("一袋", "两瓶")


def for_someone(text: str) -> ForSomeone | None:
    """The person an order is placed for, when the message says so first; None otherwise."""
    m = _FOR.match(nfkc(text))
    if m is None:
        return None
    who = m.group("who").strip()
    if who in _NOT_SOMEONE:
        return None
    rest = m.group("rest").strip(" ：:，,")
    if not rest:
        return None
    return ForSomeone("" if who in _ME else who, rest)


# "@王姐(团长) 刚才写多了": a mention addresses someone; it never says whose the order is.
_MENTION = re.compile(r"@\S+")


def without_mentions(text: str) -> str:
    return _MENTION.sub(" ", text)


# Words around a name that are not the name: 楼下刘奶奶, 6-301的小何, 小何家, 替李四报.
_AROUND = re.compile(r"^(?:麻烦|帮|替|给|代|的|楼下|楼上|隔壁|对门|邻居|同事|朋友)+"
                     r"|(?:的|家|她|他|也|再|报|带|捎|订|买|拿|留|要|来|下单|接龙)+$")


def name_forms(word: str) -> tuple[str, ...]:
    """The word, and the word without what surrounds a name in it."""
    bare = _AROUND.sub("", word)
    return (word, bare) if bare and bare != word else (word,)
