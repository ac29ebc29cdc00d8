"""One campaign's order lines and items held in memory (no I/O).

Every message of a busy drop asks the same questions of one campaign — which
lines have these keys, what are her lines, what does she have now — and the
answers must cost what the message costs, not what the campaign holds. The
repository loads a campaign here once and keeps it in step with every write it
makes; the database stays the truth (a rollback drops this and it is read again).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from bot.parsing.items import house_numbers
from storage.records import KeptPrice, Line


class CampaignLines:
    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self._lines: dict[int, Line] = {}  # by id, ascending: ids only grow
        self._items: dict[int, dict[int, int]] = {}  # line id → product id → qty
        self._by_member: dict[str, list[int]] = {}
        self._by_label: dict[str, list[int]] = {}
        self._label_key: dict[int, str] = {}
        # Members by the house numbers their 接龙 lines carried: who a line the
        # bot never saw belongs to.
        self._by_house: dict[str, set[str]] = {}
        # Copy lines by content key, oldest first: what every 接龙 copy looks up.
        self.by_key: dict[str, list[Line]] = {}
        # The keys held by exactly one copy line, and those whose one line is live: nearly every line
        # of every copy is one of these, and a copy is matched against them with set operations
        # (bot/domain/orderbook.py `_match_one_to_one`) instead of a Python loop over its lines.
        self.single: set[str] = set()
        self.live_single: set[str] = set()
        # Live 接龙 lines ('copy' and 'native'): what tells a fork from a copy.
        self.live_shared = 0
        # Units that keep an earlier price (/改价 without 全部), per member, oldest first: rare, and
        # read with the lines so a member's order costs no query of its own.
        self.kept: dict[str, list[KeptPrice]] = {}

    @classmethod
    def load(cls, campaign_id: int, lines: Iterable[tuple[Line, str]],
             items: Iterable[tuple[int, int, int]]) -> CampaignLines:
        """`lines`: (line, label key) in id order; `items`: (line id, product id, qty)."""
        state = cls(campaign_id)
        for line, label_key in lines:
            state.add(line, label_key)
        for line_id, product_id, qty in items:
            state._items.setdefault(line_id, {})[product_id] = qty
        return state

    def add(self, line: Line, label_key: str) -> None:
        self._lines[line.id] = line
        self._items.setdefault(line.id, {})
        self._by_member.setdefault(line.member_id, []).append(line.id)
        self._label_key[line.id] = label_key
        if label_key:
            self._by_label.setdefault(label_key, []).append(line.id)
            for house in house_numbers(line.label):
                self._by_house.setdefault(house, set()).add(line.member_id)
        if line.source == "copy":
            same = self.by_key.setdefault(line.key, [])
            same.append(line)
            if len(same) == 1:
                self.single.add(line.key)
                if line.live:
                    self.live_single.add(line.key)
            else:
                self.single.discard(line.key)
                self.live_single.discard(line.key)
        if line.live and line.source != "text":
            self.live_shared += 1

    def set_live(self, line_id: int, live: bool) -> None:
        line = self._lines[line_id]
        if line.live == live:
            return
        changed = replace(line, live=live)
        self._lines[line_id] = changed
        if line.source == "copy":
            self.by_key[line.key] = [changed if x.id == line_id else x for x in self.by_key[line.key]]
            if line.key in self.single:
                if live:
                    self.live_single.add(line.key)
                else:
                    self.live_single.discard(line.key)
        if line.source != "text":
            self.live_shared += 1 if live else -1

    def line(self, line_id: int) -> Line:
        return self._lines[line_id]

    def items(self, line_id: int) -> dict[int, int]:
        return dict(self._items.get(line_id, {}))

    def set_item(self, line_id: int, product_id: int, qty: int) -> None:
        self._items.setdefault(line_id, {})[product_id] = qty

    def member_lines(self, member_id: str, source: str | None = None) -> list[Line]:
        lines = (self._lines[i] for i in self._by_member.get(member_id, ()))
        return [ln for ln in lines if source is None or ln.source == source]

    def live_with_label(self, label_key: str) -> list[Line]:
        return [ln for ln in (self._lines[i] for i in self._by_label.get(label_key, ())) if ln.live]

    def members_at(self, house: str) -> set[str]:
        """Members whose lines in this campaign carried this house number."""
        return set(self._by_house.get(house, ()))

    def live(self, source: str) -> Iterator[Line]:
        return (ln for ln in self._lines.values() if ln.live and ln.source == source)

    def members(self) -> set[str]:
        """Everyone with a line in the campaign (live or not)."""
        return set(self._by_member)

    def member_totals(self, member_id: str) -> dict[int, int]:
        """Her live quantity of each product."""
        totals: dict[int, int] = {}
        for line_id in self._by_member.get(member_id, ()):
            if self._lines[line_id].live:
                for product_id, qty in self._items.get(line_id, {}).items():
                    totals[product_id] = totals.get(product_id, 0) + qty
        return totals

    def member_label(self, member_id: str) -> str:
        """The label of her newest live line that has one, or ''."""
        for line_id in reversed(self._by_member.get(member_id, ())):
            line = self._lines[line_id]
            if line.live and line.label:
                return line.label
        return ""
