"""Who misses out when a product arrives short, and who gets late stock (pure).

The owner picks the rule per campaign:

- 按顺序 (`Rule.IN_ORDER`, the default): the 接龙's own rule. The earliest orders in the book are
  served in full; the latest order is cut first, wholly, then the one before it.
- 平均 (`Rule.EVEN`): one unit at a time from the largest order (the later of two equal ones), so
  as many members as possible still get some.
- 手动 (`Rule.MANUAL`): no plan; she gets the list and settles it herself.

Stock that arrives later (/补货) goes back in the same order: what `cut` would have taken with that
much more arriving is what `give_back` returns (a property test holds the two to it).
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar


class Rule(StrEnum):
    IN_ORDER = "order"
    EVEN = "even"
    MANUAL = "manual"

    @property
    def word(self) -> str:
        """The rule as the owner names it."""
        return _NAMES[self]

    @property
    def explained(self) -> str:
        return _EXPLAINED[self]


_NAMES = {Rule.IN_ORDER: "按顺序", Rule.EVEN: "平均", Rule.MANUAL: "手动"}
_EXPLAINED = {
    Rule.IN_ORDER: "先下单的先满足，最后下单的先减",
    Rule.EVEN: "从订得最多的人开始一份一份减，让尽量多的人都分到",
    Rule.MANUAL: "团长自己分",
}
RULE_WORDS = {"按顺序": Rule.IN_ORDER, "顺序": Rule.IN_ORDER, "先到先得": Rule.IN_ORDER,
              "平均": Rule.EVEN, "均分": Rule.EVEN, "平分": Rule.EVEN,
              "手动": Rule.MANUAL, "手工": Rule.MANUAL}

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Holding(Generic[K]):
    """One member's share of a product: `who` she is (in a drop, her group's part too)."""

    who: K
    position: int  # her place in the order book: lower ordered earlier
    qty: int  # what she holds now
    short: int = 0  # what shortages took from her and stock has not given back yet


def _check(holdings: Sequence[Holding[K]]) -> None:
    if any(h.qty < 0 or h.short < 0 for h in holdings):
        raise ValueError("a holding below zero")
    if len({h.who for h in holdings}) != len(holdings):
        raise ValueError("a member held twice")


def cut(holdings: Sequence[Holding[K]], arrived: int, rule: Rule) -> dict[K, int]:
    """How many units each member loses when `arrived` units of what `holdings` ordered came.
    Only members who lose something are in the answer; nothing when enough arrived."""
    _check(holdings)
    if arrived < 0:
        raise ValueError("arrived below zero")
    if rule is Rule.MANUAL:
        raise ValueError("the manual rule has no plan: the owner settles it")
    excess = sum(h.qty for h in holdings) - arrived
    out: dict[K, int] = {}
    if excess <= 0:
        return out
    order = sorted(range(len(holdings)), key=lambda i: (holdings[i].position, i))
    if rule is Rule.IN_ORDER:
        for i in reversed(order):  # the latest order first, wholly
            take = min(holdings[i].qty, excess)
            if take:
                out[holdings[i].who] = take
                excess -= take
            if not excess:
                break
        return out
    # 平均: the largest order loses a unit, again and again; of two equal, the later one.
    rank = {i: r for r, i in enumerate(order)}
    heap = [(-h.qty, -rank[i], i) for i, h in enumerate(holdings) if h.qty > 0]
    heapq.heapify(heap)
    while excess:
        neg_qty, neg_rank, i = heapq.heappop(heap)
        out[holdings[i].who] = out.get(holdings[i].who, 0) + 1
        excess -= 1
        if neg_qty + 1 < 0:
            heapq.heappush(heap, (neg_qty + 1, neg_rank, i))
    return out


def give_back(holdings: Sequence[Holding[K]], units: int, rule: Rule) -> dict[K, int]:
    """How many of `units` late units each member who was cut gets back, in the rule's order:
    按顺序 the earliest order first, up to what she lost; 平均 one unit at a time to whoever of
    them holds least (of two equal, the earlier order). Never more than anyone lost."""
    _check(holdings)
    if units < 0:
        raise ValueError("units below zero")
    if rule is Rule.MANUAL:
        raise ValueError("the manual rule has no plan: the owner settles it")
    order = sorted((i for i, h in enumerate(holdings) if h.short > 0), key=lambda i: (holdings[i].position, i))
    out: dict[K, int] = {}
    if rule is Rule.IN_ORDER:
        for i in order:
            if not units:
                break
            give = min(holdings[i].short, units)
            out[holdings[i].who] = give
            units -= give
        return out
    rank = {i: r for r, i in enumerate(order)}
    heap = [(holdings[i].qty, rank[i], i, holdings[i].short) for i in order]
    heapq.heapify(heap)
    while units and heap:
        qty, r, i, short = heapq.heappop(heap)
        out[holdings[i].who] = out.get(holdings[i].who, 0) + 1
        units -= 1
        if short > 1:
            heapq.heappush(heap, (qty + 1, r, i, short - 1))
    return out
