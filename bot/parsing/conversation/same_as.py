"""“Same as someone”, “me too”, “same as last time” (pure).

`跟老周一样的`, `和老周一样`, `照老周的来一份`, `same as 老周`: her order is another member's, named by
(part of) her display name. `我也要`, `我也一样`, `跟楼上一样`, `me too`: the order just before hers.
`跟上次一样`, `老样子`, `照旧`, `same as last week`: her own order in the group's previous campaign.
None of them says the products: the bot names them and she confirms in a word (README "How members
order"), so nothing is booked that she has not seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.parsing.textnorm import nfkc, strip_wechat_emoji


class Same(StrEnum):
    PERSON = "person"  # another member's order, named
    ME_TOO = "me_too"  # the order just before hers
    LAST_TIME = "last_time"  # her own order last campaign


@dataclass(frozen=True)
class SameAs:
    kind: Same
    who: str = ""  # for PERSON: the name as she wrote it ("@老周": she @-mentioned that member)


_PUNCT = re.compile(r"[\s,.!~。，！～、…:：;；'\"“”‘’()（）]+")
# Politeness around it: 我也要跟老周一样的哈, 还是老样子吧.
_TAIL = r"(?:吧|啊|呀|哈|哦|噢|喔|啦|嘛|呢|哟|谢谢|谢谢团长|团长|thx|thanks|please|pls)*"
_LEAD = r"(?:@\S+)?(?:我|俺)?(?:也|还是|就)?(?:要|来|订)?"
_LIKE = r"(?:跟着|和着|跟|和|同|照|按|像|與)"
_SAME = r"(?:一样|一樣|那样|那樣|同款|的来|的來|的)"
_AMOUNT = r"(?:来一份|来一套|也来一份|一份|的)?"
_BEFORE = r"(?:上次|上回|上一次|上一回|上周|上星期|上礼拜|上禮拜|上期|上一期|上个团|上一个团|上次团|之前|以前|上個團)"

_LAST_TIME = re.compile(
    rf"^{_LEAD}(?:{_LIKE}(?:我|我的)?{_BEFORE}{_SAME}+|{_BEFORE}{_SAME}+|{_BEFORE}那些|老样子|老樣子|照旧|照舊|老规矩|老規矩)"
    rf"{_AMOUNT}{_TAIL}$"
    r"|^(?:same|the same|like)(?: as| like)? (?:last (?:week|time|order|one)|before|usual)\W*$"
    r"|^(?:as usual|the usual|same again|same order again)\W*$")
# Who "楼上" is: the order just before hers, whoever wrote it.
_ABOVE = frozenset(("楼上", "樓上", "上面", "上面那个", "前面", "前面那个", "上一个", "她", "他", "你"))
_PERSON = re.compile(rf"^{_LEAD}{_LIKE}(?P<who>.{{1,16}}?)(?:的订单|的單|的单)?{_SAME}+{_AMOUNT}{_TAIL}$"
                     r"|^(?:same|the same)(?: as| like) (?P<en>.{1,20}?)\W*$")
# (Not "一样的" or "我也是" alone: said in a chat about anything.)
_ME_TOO = re.compile(rf"^(?:我也要|我也一样|我也一樣|我也來|我也来|我也来一份|我也要一份一样的|我也要一样的|"
                     rf"我也要同款|同楼上|同樓上|楼上同款|加我一个|算我一个|me too|metoo|same here)"
                     rf"{_TAIL}$")


# An @-mention in it ("跟 @老周(3-201) 一样"): who she means is the member mentioned, by id.
# (Kept as @ and the letters of the name: its house number is no quantity of hers.)
_MENTION = re.compile(r"@[^\s@]{1,24}?(?=\s|的?一[样樣]|$)")
MENTIONED = "@"


def _mention(m: re.Match[str]) -> str:
    return f" {MENTIONED}{''.join(ch for ch in m.group(0) if ch.isalpha())} "


def _plain(text: str) -> str:
    text = _MENTION.sub(_mention, nfkc(text))
    return _PUNCT.sub(" ", strip_wechat_emoji(text).lower()).strip()


def same_as(text: str) -> SameAs | None:
    """What her message copies, or None when it is not such a message (it says its own products)."""
    if len(text) > 40 or "\n" in text.strip():
        return None
    plain = _plain(text)
    if any(ch.isdigit() for ch in plain):
        return None  # "跟老周一样2袋": a quantity of her own; the reader's
    word = plain.replace(" ", "") if not plain.isascii() else plain
    if _LAST_TIME.match(word):
        return SameAs(Same.LAST_TIME)
    if _ME_TOO.match(word):
        return SameAs(Same.ME_TOO)
    m = _PERSON.match(word)
    if m is None:
        return None
    who = (m.group("who") or m.group("en") or "").strip()
    if not who:
        return None
    if who in _ABOVE:
        return SameAs(Same.ME_TOO)
    return SameAs(Same.PERSON, who)
