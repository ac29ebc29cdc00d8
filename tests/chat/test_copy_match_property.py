"""The property: a 接龙 copy is matched against the book the same way whichever road it takes.

A copy without a repeated line is matched with set operations over the keys the book holds once
(storage/order_state.py keeps them as lines are added, cancelled and revived); a copy that repeats a
line goes key by key. For random books and random copies, the fast road gives exactly what the key
by key road gives: which lines are new, which are carried, which of hers come back, how many live
lines the copy carries. A difference would book a line twice, lose one, or make a fork of nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.orderbook import _CopyMatch, _match_copy, _match_one_to_one_by_line, _match_the_rest
from storage.order_state import CampaignLines
from storage.records import CopyKeys, Line

KEYS = [f"k{i}" for i in range(12)]
MEMBERS = ["her", "li", "wang"]


@st.composite
def book(draw: st.DrawFn) -> CampaignLines:
    """Lines added and cancelled or revived in a random order, as messages would."""
    state = CampaignLines(1)
    for line_id in range(1, draw(st.integers(0, 14)) + 1):
        source = draw(st.sampled_from(["copy", "copy", "copy", "text", "native"]))
        key = draw(st.sampled_from(KEYS))
        state.add(Line(line_id, 1, draw(st.sampled_from(MEMBERS)), source, key, "", key, True, True), key)
        for _ in range(draw(st.integers(0, 2))):
            changed = draw(st.integers(1, line_id))
            state.set_live(changed, draw(st.booleans()))
    return state


def _key_by_key(keys: list[str], state: CampaignLines, sender: str) -> _CopyMatch:
    match = _CopyMatch(set(keys))
    _match_one_to_one_by_line(keys, state.by_key, sender, match)
    if match.others:
        _match_the_rest(keys, state.by_key, sender, match)
    return match


@settings(max_examples=400, deadline=None)
@given(book(), st.lists(st.sampled_from([*KEYS, "new1", "new2"]), max_size=10, unique=True),
       st.sampled_from(MEMBERS))
def test_a_copy_is_matched_by_sets_exactly_as_line_by_line(state: CampaignLines, keys: list[str],
                                                           sender: str) -> None:
    fast = _match_copy(keys, CopyKeys(state.by_key, state.single, state.live_single), sender)
    slow = _key_by_key(keys, state, sender)
    assert fast.new == slow.new
    assert fast.others == slow.others
    assert fast.carried == slow.carried
    assert fast.present_live == slow.present_live
    assert [line.id for line in fast.revive] == [line.id for line in slow.revive]
    # Which of the book's lines the copy carries (so which of hers it dropped) is the same too.
    for lines in state.by_key.values():
        for line in lines:
            assert fast.carries(line) == slow.carries(line)
