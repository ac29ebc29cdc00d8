"""The rules for who misses out, as pure functions, under random orders (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.aftersales.allocation import Holding, Rule, cut, give_back

orders = st.lists(st.integers(min_value=0, max_value=12), min_size=0, max_size=25)


def _holdings(qtys: list[int]) -> list[Holding[int]]:
    # Positions shuffled against the member numbers: the book's order is the position, never the key.
    return [Holding(i, 1000 - 7 * i, q) for i, q in enumerate(qtys)]


@settings(max_examples=300, deadline=None)
@given(orders, st.integers(min_value=0, max_value=400), st.sampled_from([Rule.IN_ORDER, Rule.EVEN]))
def test_exactly_what_did_not_arrive_is_cut_and_nobody_below_zero(qtys: list[int], arrived: int, rule: Rule) -> None:
    holdings = _holdings(qtys)
    taken = cut(holdings, arrived, rule)
    assert sum(taken.values()) == max(sum(qtys) - arrived, 0)
    assert all(0 < n <= qtys[who] for who, n in taken.items())


@settings(max_examples=300, deadline=None)
@given(orders, st.integers(min_value=0, max_value=400))
def test_in_order_nobody_earlier_loses_while_a_later_order_keeps_anything(qtys: list[int], arrived: int) -> None:
    holdings = _holdings(qtys)
    taken = cut(holdings, arrived, Rule.IN_ORDER)
    left = {h.who: h.qty - taken.get(h.who, 0) for h in holdings}
    for a in holdings:
        for b in holdings:
            if a.position < b.position and taken.get(a.who):
                assert left[b.who] == 0


@settings(max_examples=300, deadline=None)
@given(orders, st.integers(min_value=0, max_value=400))
def test_even_leaves_nobody_cut_below_another_by_more_than_one(qtys: list[int], arrived: int) -> None:
    holdings = _holdings(qtys)
    taken = cut(holdings, arrived, Rule.EVEN)
    left = {h.who: h.qty - taken.get(h.who, 0) for h in holdings}
    for a in taken:
        assert all(left[b.who] <= left[a] + 1 for b in holdings)


@settings(max_examples=300, deadline=None)
@given(orders, st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200),
       st.sampled_from([Rule.IN_ORDER, Rule.EVEN]))
def test_late_stock_goes_back_as_if_it_had_arrived_with_the_rest(qtys: list[int], arrived: int, late: int,
                                                                  rule: Rule) -> None:
    holdings = _holdings(qtys)
    arrived = min(arrived, sum(qtys))
    late = min(late, sum(qtys) - arrived)
    first = cut(holdings, arrived, rule)
    after = [Holding(h.who, h.position, h.qty - first.get(h.who, 0), first.get(h.who, 0)) for h in holdings]
    back = give_back(after, late, rule)
    assert sum(back.values()) == late
    assert all(back[who] <= first.get(who, 0) for who in back)
    both = cut(holdings, arrived + late, rule)
    assert {h.who: h.qty - first.get(h.who, 0) + back.get(h.who, 0) for h in holdings} == \
        {h.who: h.qty - both.get(h.who, 0) for h in holdings}


def test_examples_the_readme_gives() -> None:
    # 张三 3, 李四 2, 王五 3, 赵六 2 (in that order), 6 arrive.
    h = [Holding("张三", 1, 3), Holding("李四", 2, 2), Holding("王五", 3, 3), Holding("赵六", 4, 2)]
    assert cut(h, 6, Rule.IN_ORDER) == {"赵六": 2, "王五": 2}
    assert cut(h, 6, Rule.EVEN) == {"王五": 2, "张三": 1, "赵六": 1}
    with pytest.raises(ValueError):
        cut(h, 6, Rule.MANUAL)
    with pytest.raises(ValueError):
        cut(h, -1, Rule.EVEN)
