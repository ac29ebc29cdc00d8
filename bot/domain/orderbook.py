"""Applies what a message means to the order book.

Runs inside the message's transaction. The rules that keep the book exact:
- a 接龙 line belongs to the member who first posted it;
- a member's own lines in her latest copy are authoritative for her (a changed
  line is an edit, a dropped line a cancellation);
- a line missing from someone else's copy is never cancelled;
- the newest native 群接龙 is authoritative for every author in it;
- stock (限量) is granted first come, first served; the rest is waitlisted;
- 限购 caps each member's total of a product (in every group of a drop).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.items import Extraction, extract
from bot.parsing.jielong import Entry, JielongCopy
from bot.parsing.native_solitaire import NativeList
from bot.parsing.order_text import Action, Intent
from bot.parsing.textnorm import key_of
from storage.orders import OrderRepo
from storage.records import Campaign, Line, Product


@dataclass
class Outcome:
    """What one message did, for the acknowledgements sent after commit."""

    touched: set[str] = field(default_factory=set)  # members whose order changed
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    hints: dict[str, str] = field(default_factory=dict)  # member → how to write an order
    fork: bool = False  # the copy missed live lines of others: post the merged list

    def note(self, member_id: str, text: str) -> None:
        self.notes[member_id].append(text)


def catalog_of(products: list[Product]) -> Catalog:
    return _catalog(tuple(ProductRef(p.id, p.name, p.code, p.unit) for p in products))


@lru_cache(maxsize=1024)
def _catalog(refs: tuple[ProductRef, ...]) -> Catalog:
    # Building the alias pattern is the costly part and a campaign's products
    # never change; keyed by the products themselves, never by a campaign id.
    return Catalog(list(refs))


class OrderBook:
    def __init__(self, orders: OrderRepo, *, max_qty: int = 99) -> None:
        self.orders = orders
        self.max_qty = max_qty

    # -- items with stock and limits ---------------------------------------

    async def _set_line_items(self, campaign: Campaign, line_id: int, member_id: str,
                              desired: dict[int, int], msg_id: str, now: datetime,
                              out: Outcome, current: dict[int, int] | None = None) -> None:
        """`current`: the line's items when the caller has just read them."""
        if current is None:
            current = await self.orders.items(campaign.id, line_id)
        for product_id in sorted(set(current) | set(desired)):
            have = current.get(product_id, 0)
            want = desired.get(product_id, 0)
            if want == have:
                continue
            if want < have:
                await self.orders.set_item(campaign.id, line_id, product_id, want)
                await self._release(product_id, have - want)
                out.touched.add(member_id)
                continue
            grant = await self._grant(campaign, member_id, product_id, want - have, msg_id, now, out)
            if grant:
                await self.orders.set_item(campaign.id, line_id, product_id, have + grant)
                out.touched.add(member_id)

    async def _release(self, product_id: int, qty: int) -> None:
        product = await self.orders.product(product_id)
        if product.stock is not None:
            await self.orders.add_sold(product_id, -min(qty, await self.orders.sold_of(product_id)))

    async def _grant(self, campaign: Campaign, member_id: str, product_id: int, qty: int,
                     msg_id: str, now: datetime, out: Outcome) -> int:
        product = await self.orders.product(product_id)
        unit = product.unit or "份"
        if product.per_member_limit is not None:
            has = await self.orders.member_product_qty(campaign.id, member_id, product_id) \
                if campaign.drop_id is None else \
                await self.orders.drop_product_qty(campaign.drop_id, member_id, product_id)
            room = max(product.per_member_limit - has, 0)
            if qty > room:
                out.note(member_id, f"{product.name}每人限购{product.per_member_limit}{unit}")
                qty = room
        if qty <= 0:
            out.touched.add(member_id)
            return 0
        if product.stock is None:
            return qty
        left = max(product.stock - await self.orders.sold_of(product_id), 0)
        grant = min(qty, left)
        if grant < qty:
            await self.orders.add_waitlist(campaign.id, product_id, member_id, qty - grant, msg_id, now)
            if grant:
                out.note(member_id, f"{product.name}只剩{grant}{unit}，已记{grant}{unit}，"
                                    f"另{qty - grant}{unit}登记候补")
            else:
                out.note(member_id, f"{product.name}已售罄，{qty}{unit}登记候补")
            out.touched.add(member_id)
        if grant:
            await self.orders.add_sold(product_id, grant)
        return grant

    async def _cancel_line(self, campaign: Campaign, line: Line, msg_id: str, now: datetime,
                           out: Outcome) -> None:
        await self._set_line_items(campaign, line.id, line.member_id, {}, msg_id, now, out)
        await self.orders.set_live(line, False, now)
        out.touched.add(line.member_id)

    # -- 接龙 lines -----------------------------------------------------------

    def _extract(self, text: str, catalog: Catalog) -> Extraction:
        return extract(text, catalog, bare_number_ok=True, max_qty=self.max_qty)

    async def _new_line(self, campaign: Campaign, catalog: Catalog, member_id: str, name: str,
                        source: str, entry: Entry, msg_id: str, now: datetime, out: Outcome,
                        ex: Extraction | None = None) -> None:
        """`ex`: the entry's extraction when the caller has just made it."""
        if ex is None:
            ex = self._extract(entry.text, catalog)
        readable = bool(ex.items) and not ex.too_large
        line_id = await self.orders.add_line(
            campaign.id, member_id, source, entry.key, ex.label, key_of(ex.label), entry.text,
            readable, msg_id, now,
        )
        if readable:
            desired = {item.product.id: item.qty for item in ex.items}
            await self._set_line_items(campaign, line_id, member_id, desired, msg_id, now, out, current={})
        else:
            reason = "数量过大" if ex.too_large else "没认出商品或数量"
            await self.orders.add_unreadable(campaign.id, member_id, name, entry.text, reason, msg_id, now,
                                             line_id)
            out.hints[member_id] = entry.text

    async def _revive(self, campaign: Campaign, catalog: Catalog, line: Line, msg_id: str,
                      now: datetime, out: Outcome) -> None:
        await self.orders.set_live(line, True, now)
        ex = self._extract(line.raw, catalog)
        # The same rule as a new line: over the maximum, the line orders nothing.
        desired = {} if ex.too_large else {i.product.id: i.qty for i in ex.items}
        await self._set_line_items(campaign, line.id, line.member_id, desired, msg_id, now, out)
        out.touched.add(line.member_id)

    async def apply_copy(self, campaign: Campaign, catalog: Catalog, copy: JielongCopy, sender: str,
                         sender_name: str, msg_id: str, now: datetime) -> Outcome:
        out = Outcome()
        known = await self.orders.copy_index(campaign.id)
        # How many times each key is in this copy, in order of first appearance.
        counts = Counter([entry.key for entry in copy.entries])
        present: set[int] = set()
        present_live = 0
        revive: list[Line] = []
        rest: set[str] = set()  # keys that are new or not one-to-one: matched below
        for key, n in counts.items():
            lines = known.get(key)
            if n != 1 or lines is None or len(lines) != 1:
                rest.add(key)
                continue
            # The common case, every other line of every copy: one known line.
            line = lines[0]
            present.add(line.id)
            if line.live:
                present_live += 1
            elif line.member_id == sender:
                revive.append(line)
        new_entries: list[Entry] = []
        if rest:
            by_key: dict[str, list[Entry]] = defaultdict(list)
            for entry in copy.entries:
                if entry.key in rest:
                    by_key[entry.key].append(entry)
            revived_before = len(revive)
            for key, entries in by_key.items():
                lines = known.get(key)
                if not lines:
                    new_entries.extend(entries)
                    continue
                # Her own lines match first, so an identical line of someone else's
                # never makes her own look dropped.
                ranked = [ln for ln in lines if ln.member_id == sender] + \
                         [ln for ln in lines if ln.member_id != sender]
                for line in ranked[: len(entries)]:
                    present.add(line.id)
                    if line.live:
                        present_live += 1
                    elif line.member_id == sender:
                        revive.append(line)
                new_entries.extend(entries[len(lines):])
            if len(revive) > revived_before:
                # Revived in the order the copy lists them (stock goes first come, first served).
                position = {key: i for i, key in enumerate(counts)}
                revive.sort(key=lambda ln: position[ln.key])

        dropped = [ln for ln in await self.orders.member_lines(campaign.id, sender, "copy")
                   if ln.live and ln.id not in present]
        # Live lines of others that this copy lacks: it was made from an older or
        # parallel version. They stay ordered; the merged list helps people continue.
        out.fork = await self.orders.live_shared(campaign.id) - present_live - len(dropped) > 0

        for line in dropped:
            await self._cancel_line(campaign, line, msg_id, now, out)
        for line in revive:
            await self._revive(campaign, catalog, line, msg_id, now, out)
        for entry in new_entries:
            ex = self._extract(entry.text, catalog)
            if await self._edits_someone_else(campaign.id, ex, sender, present):
                await self.orders.add_unreadable(
                    campaign.id, sender, sender_name, entry.text, "改动了别人的接龙行", msg_id, now)
                continue
            await self._new_line(campaign, catalog, sender, sender_name, "copy", entry, msg_id, now, out, ex)
        return out

    async def _edits_someone_else(self, campaign_id: int, ex: Extraction, sender: str,
                                  present: set[int]) -> bool:
        """A new line carrying the label (house number, name) of another member's
        line that this copy lacks is that member's line changed by someone else:
        attributing it to the sender would invent an order."""
        label_key = key_of(ex.label)
        if not label_key:
            return False
        for line in await self.orders.lines_with_label(campaign_id, label_key):
            if line.member_id != sender and line.id not in present and line.source == "copy":
                return True
        return False

    async def apply_native(self, campaign: Campaign, catalog: Catalog, native: NativeList, sender: str,
                           names: dict[str, str], msg_id: str, now: datetime) -> Outcome:
        out = Outcome()
        wanted: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for i, entry in enumerate(native.copy.entries):
            author = native.authors[i] if i < len(native.authors) and native.authors[i] else sender
            wanted[(author, entry.key)].append(entry)
        existing: dict[tuple[str, str], list[Line]] = defaultdict(list)
        for line in await self.orders.live_lines(campaign.id, "native"):
            existing[(line.member_id, line.key)].append(line)
        for pair, lines in existing.items():
            keep = len(wanted.get(pair, []))
            for line in lines[keep:]:
                await self._cancel_line(campaign, line, msg_id, now, out)
        for (author, _key), entries in wanted.items():
            have = len(existing.get((author, _key), []))
            for entry in entries[have:]:
                await self._new_line(campaign, catalog, author, names.get(author, author), "native", entry,
                                     msg_id, now, out)
        return out

    # -- plain messages --------------------------------------------------------

    async def _text_line(self, campaign: Campaign, member_id: str, msg_id: str, now: datetime,
                         her_lines: list[Line]) -> int:
        for line in (ln for ln in her_lines if ln.source == "text"):
            if not line.live:
                await self.orders.set_live(line, True, now)
            return line.id
        return await self.orders.add_line(campaign.id, member_id, "text", member_id, "", "", "", True,
                                          msg_id, now)

    async def apply_intent(self, campaign: Campaign, intent: Intent, sender: str, sender_name: str,
                           text: str, msg_id: str, now: datetime) -> Outcome:
        out = Outcome()
        her_lines = await self.orders.member_lines(campaign.id, sender)
        lines = [ln for ln in her_lines if ln.live]
        if intent.action is Action.CANCEL_ALL:
            for line in lines:
                await self._cancel_line(campaign, line, msg_id, now, out)
            out.touched.add(sender)
            return out
        if intent.action is Action.CANCEL:
            targets = {p.id for p in intent.products}
            for line in lines:
                items = await self.orders.items(campaign.id, line.id)
                if targets & {pid for pid, q in items.items() if q > 0}:
                    keep = {pid: q for pid, q in items.items() if pid not in targets}
                    await self._set_line_items(campaign, line.id, sender, keep, msg_id, now, out, current=items)
            out.touched.add(sender)
            return out
        if intent.action is Action.UNCLEAR:
            await self.orders.add_unreadable(campaign.id, sender, sender_name, text, intent.reason, msg_id, now)
            out.hints[sender] = text
            return out
        if intent.action not in (Action.SET, Action.ADD):
            return out
        text_line = await self._text_line(campaign, sender, msg_id, now, her_lines)
        text_items = await self.orders.items(campaign.id, text_line)
        desired = dict(text_items)
        for item in intent.items:
            pid = item.product.id
            if intent.action is Action.ADD:
                desired[pid] = desired.get(pid, 0) + item.qty
                continue
            total = await self.orders.member_product_qty(campaign.id, sender, pid)
            elsewhere = total - text_items.get(pid, 0)
            if elsewhere <= item.qty:
                desired[pid] = item.qty - elsewhere
            else:
                # She now wants less than her 接龙 lines say: her latest word wins.
                for line in lines:
                    if line.id == text_line:
                        continue
                    items = await self.orders.items(campaign.id, line.id)
                    if items.get(pid, 0):
                        items[pid] = 0
                        await self._set_line_items(campaign, line.id, sender, items, msg_id, now, out)
                desired[pid] = item.qty
        await self._set_line_items(campaign, text_line, sender, desired, msg_id, now, out, current=text_items)
        out.touched.add(sender)
        return out
