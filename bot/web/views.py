"""What the pickup page shows, read from the order book: pure data for the templates.

The list is the packing list's order (bot/domain/reports.py): pickup point (a drop's group first),
then building and room from the 接龙 label, then name. No money here: the page is held up at the
pickup point where neighbours can see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.domain.reports import PackingRow, packing_list
from bot.domain.scope import parts_in_scope
from bot.domain.services import Services
from bot.web.reach import Reach
from storage.book import PickupMarks
from storage.records import Campaign


@dataclass(frozen=True)
class ItemView:
    product_id: int
    name: str
    unit: str
    qty: int
    taken: int  # handed over so far in a partial pickup (all of it once she is collected)

    @property
    def left(self) -> int:
        return self.qty - self.taken


@dataclass(frozen=True)
class RowView:
    key: str  # "campaign id:member id": one buyer's order in one group
    campaign_id: int
    member_id: str
    name: str
    label: str  # her 接龙 label ("3-502 张三") or her name
    group: str  # the group's name in a drop sold in several groups; '' otherwise
    code: str
    items: tuple[ItemView, ...]
    collected_at: datetime | None

    # What the template reads of her, worked out once when the row is made (300 rows make a page,
    # each read several times): equal rows are equal by the fields above.
    state: str = field(init=False, compare=False)  # todo, partial or done
    place: str = field(init=False, compare=False)  # her label without her name: "3-502"
    search: str = field(init=False, compare=False)  # what typing finds her by: code, name, label
    items_text: str = field(init=False, compare=False)
    left_text: str = field(init=False, compare=False)
    several: bool = field(init=False, compare=False)  # more than one thing left: a partial pickup makes sense
    left_json: str = field(init=False, compare=False)  # the 部分 panel's [[product id, name, left, unit], ...]

    def __post_init__(self) -> None:
        left = [i for i in self.items if i.left]
        state = "done" if self.collected_at is not None else "partial" if any(i.taken for i in self.items) else "todo"
        several = sum(i.left for i in left) > 1
        facts = {
            "state": state,
            "place": " ".join(self.label.replace(self.name, " ").split()) if self.label != self.name else "",
            "search": f"{self.code} {self.name} {self.label}".lower(),
            "items_text": "、".join(f"{i.name}×{i.qty}" for i in self.items),
            "left_text": "、".join(f"{i.name}×{i.left}" for i in left),
            "several": several,
            "left_json": json.dumps([[i.product_id, i.name, i.left, i.unit] for i in left], ensure_ascii=False)
            if several and state != "done" else "",
        }
        for name, value in facts.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Block:
    building: str  # "3栋", or "其他" for labels without one
    rows: tuple[RowView, ...]


@dataclass(frozen=True)
class Section:
    point: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Counts:
    buyers: int
    done: int
    partial: int

    @property
    def todo(self) -> int:
        return self.buyers - self.done


@dataclass(frozen=True)
class PickupView:
    title: str
    path: str  # this view's address: /pickup/c/12 (one group) or /pickup/d/7 (the whole drop)
    campaigns: tuple[Campaign, ...]
    sections: tuple[Section, ...]
    counts: Counts
    arrived: bool  # pickup codes were given (/到货)

    @property
    def rows(self) -> list[RowView]:
        return [r for s in self.sections for b in s.blocks for r in b.rows]


def row_key(campaign_id: int, member_id: str) -> str:
    return f"{campaign_id}:{member_id}"


def _building(row: PackingRow) -> str:
    return f"{row.house.building}栋" if row.house is not None else "其他"


def _sections(rows: list[RowView], packing: list[PackingRow]) -> tuple[Section, ...]:
    sections: list[Section] = []
    by_key = {r.key: r for r in rows}
    current_point: str | None = None
    blocks: list[Block] = []
    building: str | None = None
    in_block: list[RowView] = []

    def close_block() -> None:
        if building is not None and in_block:
            blocks.append(Block(building, tuple(in_block)))

    for p in packing:
        view = by_key.get(row_key(p.order.campaign.id, p.order.member_id))
        if view is None:
            continue
        if p.point != current_point:
            close_block()
            if current_point is not None:
                sections.append(Section(current_point, tuple(blocks)))
            current_point, blocks, building, in_block = p.point, [], None, []
        if _building(p) != building:
            close_block()
            building, in_block = _building(p), []
        in_block.append(view)
    close_block()
    if current_point is not None:
        sections.append(Section(current_point, tuple(blocks)))
    return tuple(sections)


async def shown_campaigns(svc: Services, reach: Reach, campaign: Campaign, whole_drop: bool) -> tuple[Campaign, ...]:
    """The campaign, or every part of its drop she may act on."""
    scope = reach.scope(campaign.room_id)
    if not whole_drop or scope is None:
        return (campaign,)
    return tuple(c for c in await parts_in_scope(svc.campaigns, scope, campaign) if c.counts)


async def pickup_view(svc: Services, reach: Reach, campaign: Campaign, whole_drop: bool) -> PickupView:
    """The page for one group's campaign, or for every part of its drop she may act on."""
    shown = await shown_campaigns(svc, reach, campaign, whole_drop)
    ids = {c.id for c in shown}
    groups = {c.id: await svc.rooms.topic(c.room_id) or c.room_id for c in shown} if whole_drop else {}
    # The packing list alone (not the money reports): the same order as the printed 分拣单.
    packing = [p for p in (await packing_list(svc.db, campaign.id)).rows if p.order.campaign.id in ids]
    taken = await svc.fulfilment.taken(tuple(sorted(ids)))
    rows: list[RowView] = []
    for p in packing:
        order = p.order
        got = taken.get((order.campaign.id, order.member_id), {})
        whole = p.collected_at is not None
        items = tuple(ItemView(i.product.id, i.product.name, i.product.unit or "", i.qty,
                               i.qty if whole else min(i.qty, got.get(i.product.id, 0))) for i in order.items)
        rows.append(RowView(row_key(order.campaign.id, order.member_id), order.campaign.id, order.member_id,
                            order.name, order.label, groups.get(order.campaign.id, ""), p.pickup_code or "", items,
                            p.collected_at))
    drop = whole_drop and campaign.drop_id is not None
    path = f"/pickup/d/{campaign.drop_id}" if drop else f"/pickup/c/{campaign.id}"
    return PickupView(campaign.title, path, shown, _sections(rows, packing), counts_of(rows),
                      any(r.code for r in rows))


async def row_view(svc: Services, campaign: Campaign, member_id: str, whole_drop: bool) -> RowView | None:
    """One buyer's row, read alone (after her tick: the page is not rebuilt for one row)."""
    name = await svc.rooms.name_of(campaign.room_id, member_id)
    order = await svc.orders.member_order(campaign.id, member_id, name, await svc.campaigns.products(campaign.id))
    if not order.items:
        return None
    state, got = await svc.fulfilment.pickup_of(campaign.id, member_id)
    collected = state.collected_at if state is not None else None
    items = tuple(ItemView(p.id, p.name, p.unit or "", q, q if collected else min(q, got.get(p.id, 0)))
                  for p, q in order.items)
    group = (await svc.rooms.topic(campaign.room_id) or campaign.room_id) if whole_drop else ""
    code = state.pickup_code if state is not None and state.pickup_code else ""
    return RowView(row_key(campaign.id, member_id), campaign.id, member_id, name, order.label, group, code, items,
                   collected)


def changed_rows(current: dict[str, RowView], before: PickupMarks, after: PickupMarks) -> dict[str, RowView] | None:
    """The rows whose pickup changed between two readings, redrawn from the readings themselves (no
    trip to the database: orders are the same, so only codes, pickups and partial pickups moved);
    None when orders changed (the list is read whole then: rare after the close)."""
    if before.orders != after.orders:
        return None
    keys = {k for k in before.picked.keys() | after.picked.keys() if before.picked.get(k) != after.picked.get(k)}
    keys |= {k for k in before.taken.keys() | after.taken.keys() if before.taken.get(k) != after.taken.get(k)}
    out: dict[str, RowView] = {}
    for campaign_id, member_id in sorted(keys):
        old = current.get(row_key(campaign_id, member_id))
        if old is None:
            continue  # not a buyer on this list (she paid with no order that stands)
        code, at = after.picked.get((campaign_id, member_id), ("", ""))
        collected = datetime.fromisoformat(at) if at else None
        got = dict(after.taken.get((campaign_id, member_id), ()))
        items = tuple(replace(i, taken=i.qty if collected else min(i.qty, got.get(i.product_id, 0)))
                      for i in old.items)
        out[old.key] = RowView(old.key, campaign_id, member_id, old.name, old.label, old.group, code, items,
                               collected)
    return out


def counts_of(rows: Iterable[RowView]) -> Counts:
    listed = list(rows)
    return Counts(len(listed), sum(1 for r in listed if r.state == "done"),
                  sum(1 for r in listed if r.state == "partial"))
