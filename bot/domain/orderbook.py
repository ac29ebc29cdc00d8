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
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache

from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.items import Extraction, Item, extract, house_numbers, name_words
from bot.parsing.jielong import Entry, JielongCopy
from bot.parsing.native_solitaire import NativeList
from bot.parsing.order_text import Action, Intent, Reason
from bot.parsing.textnorm import key_of
from storage.orders import OrderRepo
from storage.records import Campaign, Line, Product
from storage.rooms import RoomRepo


@dataclass
class Outcome:
    """What one message did, for the acknowledgements sent after commit."""

    touched: set[str] = field(default_factory=set)  # members whose order changed
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # member → (reason, detail): why her message went to the owner; her hint names it.
    hints: dict[str, tuple[str, str]] = field(default_factory=dict)
    fork: bool = False  # the copy missed live lines of others: post the merged list
    # New entries of the owner's check list made by this message: (number, who, text, reason).
    checks: list[tuple[int, str, str, str]] = field(default_factory=list)
    nothing_to_cancel: bool = False  # 取消 from a member with no order
    freed: set[int] = field(default_factory=set)  # stocked products someone released
    # Members told in the group that stock freed up for them from the waitlist.
    served: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # The same, for members served in another group of a drop: campaign → member → notes.
    served_in: dict[int, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def note(self, member_id: str, text: str) -> None:
        self.notes[member_id].append(text)


def catalog_of(products: list[Product]) -> Catalog:
    return _catalog(tuple(ProductRef(p.id, p.name, p.code, p.unit) for p in products))


@lru_cache(maxsize=1024)
def _catalog(refs: tuple[ProductRef, ...]) -> Catalog:
    # Building the alias pattern is the costly part and a campaign's products
    # never change; keyed by the products themselves, never by a campaign id.
    return Catalog(list(refs))


# Check-list reasons about a 接龙 line's owner, which her own later message does not settle.
EDITED_OTHERS = "改动了别人的接龙行"
UNKNOWN_OWNER = "接龙里这行对不上是谁的"
OVERLAPS = "从接龙补记的行和她已有的订单重叠"
# Reasons a member settles herself by a later order message that the bot reads.
MEMBER_FIXABLE = tuple(r.value for r in Reason)


class OrderBook:
    def __init__(self, orders: OrderRepo, rooms: RoomRepo, *, max_qty: int = 99) -> None:
        self.orders = orders
        self.rooms = rooms
        self.max_qty = max_qty

    async def _check(self, campaign: Campaign, member_id: str, name: str, text: str, reason: str,
                     msg_id: str, now: datetime, out: Outcome, line_id: int | None = None) -> None:
        number = await self.orders.add_unreadable(campaign.id, member_id, name, text, reason, msg_id, now, line_id)
        out.checks.append((number, name, text, reason))

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
                await self._release(campaign, product_id, have - want, member_id, msg_id, now, out)
                out.touched.add(member_id)
                continue
            grant = await self._grant(campaign, member_id, product_id, want - have, msg_id, now, out)
            if grant:
                await self.orders.set_item(campaign.id, line_id, product_id, have + grant)
                out.touched.add(member_id)

    async def _release(self, campaign: Campaign, product_id: int, qty: int, member_id: str, msg_id: str,
                       now: datetime, out: Outcome) -> None:
        """She has less of a product: she no longer waits for more of it, and what
        she freed goes to the waitlist once the whole message is applied (see _serve)."""
        product = await self.orders.product(product_id)
        if product.stock is None:
            return
        await self.orders.add_sold(product_id, -min(qty, await self.orders.sold_of(product_id)))
        await self.orders.set_waitlist(campaign.id, product_id, member_id, 0, msg_id, now)
        out.freed.add(product_id)

    async def _leave_waitlist(self, campaign: Campaign, member_id: str, products: set[int] | None, msg_id: str,
                              now: datetime, out: Outcome) -> bool:
        """She cancels what she only waited for: she leaves the waitlist (all of it with None)."""
        left = False
        for waiting, product_id, qty in await self.orders.waitlist(campaign.id):
            if waiting == member_id and qty > 0 and (products is None or product_id in products):
                product = await self.orders.product(product_id)
                await self.orders.set_waitlist(campaign.id, product_id, member_id, 0, msg_id, now)
                out.note(member_id, f"{product.name}的候补已取消")
                out.touched.add(member_id)
                left = True
        return left

    async def _serve(self, campaign: Campaign, msg_id: str, now: datetime, out: Outcome) -> None:
        """Freed stock goes to the waitlist, first come first; each member served is told.

        In a drop the queue spans its groups: a member waiting in another group is
        served in her own group's book and told there (`out.served_in`)."""
        for product_id in sorted(out.freed):
            product = await self.orders.product(product_id)
            assert product.stock is not None
            left = max(product.stock - await self.orders.sold_of(product_id), 0)
            unit = product.unit or "份"
            for campaign_id, waiting, want in await self.orders.product_waitlist(product_id):
                if left <= 0:
                    break
                grant = min(left, want)
                line_id = await self._text_line(campaign_id, waiting, msg_id, now,
                                                await self.orders.member_lines(campaign_id, waiting, "text"))
                have = (await self.orders.items(campaign_id, line_id)).get(product_id, 0)
                await self.orders.set_item(campaign_id, line_id, product_id, have + grant)
                await self.orders.add_sold(product_id, grant)
                await self.orders.set_waitlist(campaign_id, product_id, waiting, want - grant, msg_id, now)
                left -= grant
                rest = f"，还候补{want - grant}{unit}" if want > grant else ""
                note = f"候补到了：{product.name}补上{grant}{unit}{rest}"
                if campaign_id == campaign.id:
                    out.touched.add(waiting)
                    out.served[waiting].append(note)
                else:
                    out.served_in[campaign_id][waiting].append(note)
        out.freed.clear()

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
        # Her latest word on this product replaces what she waited for before.
        await self.orders.set_waitlist(campaign.id, product_id, member_id, qty - grant, msg_id, now)
        if grant < qty:
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

    @staticmethod
    def _unreadable_reason(ex: Extraction) -> tuple[str, str] | None:
        """Why a line orders nothing it says, with the detail for her hint; None when readable."""
        if ex.too_large:
            return Reason.TOO_LARGE, ""
        if ex.ambiguous:
            return Reason.AMBIGUOUS, "、".join(ex.ambiguous)
        if not ex.items:
            return Reason.UNREADABLE, ""
        return None

    async def _new_line(self, campaign: Campaign, catalog: Catalog, member_id: str, name: str,
                        source: str, entry: Entry, msg_id: str, now: datetime, out: Outcome,
                        ex: Extraction | None = None, raw: str | None = None) -> None:
        """`ex`: the entry's extraction when the caller has just made it; `raw`: the
        text to keep for the line when it is not the entry's (同上 written out)."""
        if ex is None:
            ex = self._extract(entry.text, catalog)
        problem = self._unreadable_reason(ex)
        line_id = await self.orders.add_line(
            campaign_id=campaign.id, member_id=member_id, source=source, key=entry.key, message_id=msg_id, now=now,
            label=ex.label, label_key=key_of(ex.label), raw=raw or entry.text, readable=problem is None,
        )
        if problem is None:
            desired = {item.product.id: item.qty for item in ex.items}
            await self._set_line_items(campaign, line_id, member_id, desired, msg_id, now, out, current={})
        else:
            await self._check(campaign, member_id, name, entry.text, problem[0], msg_id, now, out, line_id)
            out.hints[member_id] = problem

    async def _revive(self, campaign: Campaign, catalog: Catalog, line: Line, msg_id: str,
                      now: datetime, out: Outcome) -> None:
        await self.orders.set_live(line, True, now)
        ex = self._extract(line.raw, catalog)
        # The same rule as a new line: a line that needs the owner orders nothing.
        desired = {} if self._unreadable_reason(ex) else {i.product.id: i.qty for i in ex.items}
        await self._set_line_items(campaign, line.id, line.member_id, desired, msg_id, now, out)
        out.touched.add(line.member_id)

    def _same_as_above(self, entries: tuple[Entry, ...], pos: int, ex: Extraction,
                       catalog: Catalog) -> tuple[Extraction, str] | None:
        """"5-702 周姐 同上": the items of the entry above, written out in the kept
        line so it reads the same later; None when the line says no 同上 or the
        line above orders nothing the bot can read."""
        entry = entries[pos]
        if ex.items or ex.ambiguous or "同上" not in entry.text:
            return None
        # "同上" under "同上" means the first line above that says what it is.
        up = pos - 1
        above = self._extract(entries[up].text, catalog) if up >= 0 else None
        while above is not None and not above.items and "同上" in entries[up].text and up > max(0, pos - 20):
            up -= 1
            above = self._extract(entries[up].text, catalog)
        if above is None or self._unreadable_reason(above) is not None:
            return None
        spelled = "、".join(f"{i.product.name}×{i.qty}" for i in above.items)
        raw = f"{entry.text}（{spelled}）"
        resolved = self._extract(raw, catalog)
        if [(i.product.id, i.qty) for i in resolved.items] != [(i.product.id, i.qty) for i in above.items]:
            return None
        return replace(resolved, label=ex.label.replace("同上", "").strip()), raw

    async def _owner_of(self, campaign: Campaign, ex: Extraction, sender: str, sender_name: str,
                        is_last: bool, her_dropped: bool) -> str | None:
        """Whose a new line of a copy is: the poster's when it carries her name or
        house number or is the line she appended at the end; else the one member
        it names; else nobody (None: the owner's check list). A copy carries lines
        the bot never saw — after a restart, a dropped event, joining mid-campaign —
        and billing them to the poster is the one thing that must never happen."""
        words = set(name_words(ex.label))
        houses = house_numbers(ex.label)
        if key_of(sender_name) in words:
            return sender
        if not words and not houses:
            # "1. 草莓2盒": a line without a label is hers at the end, or where she changed her own line.
            return sender if is_last or her_dropped else None
        for house in houses:
            if sender in await self.orders.members_at(campaign.id, house):
                return sender
        if words:
            for line in await self.orders.member_lines(campaign.id, sender):
                if words & set(name_words(line.label)):
                    return sender
        others: set[str] = set()
        for word in words:
            others |= await self.rooms.members_named(campaign.room_id, word)
        if not is_last:
            # A household shares a house number: at the end of her own copy, only a
            # name moves a line away from the poster.
            for house in houses:
                others |= await self.orders.members_at(campaign.id, house)
            for line in await self.orders.lines_with_label(campaign.id, key_of(ex.label)):
                others.add(line.member_id)
        others.discard(sender)
        if len(others) == 1:
            return next(iter(others))
        return sender if is_last and not others else None

    async def apply_copy(self, campaign: Campaign, catalog: Catalog, copy: JielongCopy, sender: str,
                         sender_name: str, msg_id: str, now: datetime) -> Outcome:
        out = Outcome()
        known = await self.orders.copy_index(campaign.id)

        def keep(entry: Entry) -> bool:
            # An unnumbered line among the entries is an entry when the book knows it
            # or it names a product with a quantity; a deadline note is not.
            if entry.key in known:
                return True
            ex = self._extract(entry.text, catalog)
            return bool(ex.mentioned or ex.ambiguous) and (bool(ex.items) or ex.too_large or bool(ex.ambiguous))

        entries = copy.with_loose(keep)
        # How many times each key is in this copy, in order of first appearance.
        counts = Counter([entry.key for entry in entries])
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
        new_entries: list[int] = []  # positions in `entries`
        if rest:
            by_key: dict[str, list[int]] = defaultdict(list)
            for pos, entry in enumerate(entries):
                if entry.key in rest:
                    by_key[entry.key].append(pos)
            revived_before = len(revive)
            for key, positions in by_key.items():
                lines = known.get(key)
                if not lines:
                    new_entries.extend(positions)
                    continue
                # Her own lines match first, so an identical line of someone else's
                # never makes her own look dropped.
                ranked = [ln for ln in lines if ln.member_id == sender] + \
                         [ln for ln in lines if ln.member_id != sender]
                for line in ranked[: len(positions)]:
                    present.add(line.id)
                    if line.live:
                        present_live += 1
                    elif line.member_id == sender:
                        revive.append(line)
                new_entries.extend(positions[len(lines):])
            new_entries.sort()
            if len(revive) > revived_before:
                # Revived in the order the copy lists them (stock goes first come, first served).
                position = {key: i for i, key in enumerate(counts)}
                revive.sort(key=lambda ln: position[ln.key])

        dropped = [ln for ln in await self.orders.member_lines(campaign.id, sender, "copy")
                   if ln.live and ln.id not in present]
        # Live lines of others that this copy lacks: it was made from an older or
        # parallel version. They stay ordered; the merged list helps people continue.
        out.fork = await self.orders.live_shared(campaign.id) - present_live - len(dropped) > 0

        # Whose each new line is, decided before anything changes.
        placed: list[tuple[Entry, Extraction, str, str | None]] = []  # entry, reading, owner, kept text
        for pos in new_entries:
            entry = entries[pos]
            ex = self._extract(entry.text, catalog)
            raw: str | None = None
            same = self._same_as_above(entries, pos, ex, catalog)
            if same is not None:
                ex, raw = same
            if await self._edits_someone_else(campaign.id, ex, sender, present):
                await self._check(campaign, sender, sender_name, entry.text, EDITED_OTHERS, msg_id, now, out)
                continue
            owner = await self._owner_of(campaign, ex, sender, sender_name, pos == len(entries) - 1, bool(dropped))
            if owner is None:
                await self._check(campaign, sender, sender_name, entry.text, UNKNOWN_OWNER, msg_id, now, out)
                continue
            if owner != sender:
                have = await self.orders.member_order_qty(campaign.id, owner)
                if any(have.get(i.product.id, 0) > 0 for i in ex.items):
                    # Was this line before or after what she has? Only she knows.
                    name = await self.rooms.name_of(campaign.room_id, owner)
                    await self._check(campaign, owner, name, entry.text, OVERLAPS, msg_id, now, out)
                    continue
            placed.append((entry, ex, owner, raw))

        for line in dropped:
            await self._cancel_line(campaign, line, msg_id, now, out)
        # Her latest statement of a product wins, whichever way she made it: a line
        # of hers new in this copy replaces what her plain messages said of it.
        restated = {i.product.id for entry, ex, owner, _ in placed if owner == sender
                    and self._unreadable_reason(ex) is None for i in ex.items}
        for line in revive:
            ex = self._extract(line.raw, catalog)
            if self._unreadable_reason(ex) is None:
                restated |= {i.product.id for i in ex.items}
        if restated:
            await self._restate(campaign, sender, restated, msg_id, now, out)
        for line in revive:
            await self._revive(campaign, catalog, line, msg_id, now, out)
        for entry, ex, owner, raw in placed:
            name = sender_name if owner == sender else await self.rooms.name_of(campaign.room_id, owner)
            await self._new_line(campaign, catalog, owner, name, "copy", entry, msg_id, now, out, ex, raw)
            if owner != sender:
                out.note(owner, f"从接龙中补记「{entry.text}」，不对请告诉团长")
        await self._serve(campaign, msg_id, now, out)
        return out

    async def _restate(self, campaign: Campaign, member_id: str, products: set[int], msg_id: str,
                       now: datetime, out: Outcome) -> None:
        """Her plain-message quantities of these products give way to a line she just wrote."""
        for line in await self.orders.member_lines(campaign.id, member_id, "text"):
            if not line.live:
                continue
            items = await self.orders.items(campaign.id, line.id)
            if any(items.get(pid, 0) for pid in products):
                keep = {pid: q for pid, q in items.items() if pid not in products}
                await self._set_line_items(campaign, line.id, member_id, keep, msg_id, now, out, current=items)

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
        await self._serve(campaign, msg_id, now, out)
        return out

    # -- plain messages --------------------------------------------------------

    async def _text_line(self, campaign_id: int, member_id: str, msg_id: str, now: datetime,
                         her_lines: list[Line]) -> int:
        for line in (ln for ln in her_lines if ln.source == "text"):
            if not line.live:
                await self.orders.set_live(line, True, now)
            return line.id
        return await self.orders.add_line(campaign_id=campaign_id, member_id=member_id, source="text", key=member_id,
                                          message_id=msg_id, now=now)

    async def apply_intent(self, campaign: Campaign, intent: Intent, sender: str, sender_name: str,
                           text: str, msg_id: str, now: datetime) -> Outcome:
        out = Outcome()
        her_lines = await self.orders.member_lines(campaign.id, sender)
        lines = [ln for ln in her_lines if ln.live]
        if intent.action is Action.UNCLEAR:
            await self._check(campaign, sender, sender_name, text, intent.reason, msg_id, now, out)
            out.hints[sender] = (intent.reason, "、".join(intent.words))
            return out
        if intent.action is Action.EDIT_UNNAMED:
            has = [pid for pid, q in (await self.orders.member_order_qty(campaign.id, sender)).items() if q > 0]
            if len(has) != 1:
                # "改成3盒" with several products (or none): which one? She is asked, the owner sees it.
                reason = Reason.WHICH_PRODUCT if has else Reason.NO_PRODUCT
                await self._check(campaign, sender, sender_name, text, reason, msg_id, now, out)
                out.hints[sender] = (reason, "")
                return out
            product = await self.orders.product(has[0])
            ref = ProductRef(product.id, product.name, product.code, product.unit)
            intent = Intent(Action.SET, items=(Item(ref, intent.qty),))
        # Her later message that the bot reads settles what she sent before and the owner has not.
        self.orders.settle_member(campaign.id, sender, MEMBER_FIXABLE, "她后来的消息", now)
        if intent.action is Action.CANCEL_ALL:
            # A line of hers that orders nothing (waiting for the owner) is cancelled too.
            held = await self.orders.member_order_qty(campaign.id, sender)
            if not any(q > 0 for q in held.values()) and all(ln.readable for ln in lines):
                if not await self._leave_waitlist(campaign, sender, None, msg_id, now, out):
                    out.nothing_to_cancel = True
                return out
            for line in lines:
                await self._cancel_line(campaign, line, msg_id, now, out)
            out.touched.add(sender)
            await self._serve(campaign, msg_id, now, out)
            return out
        if intent.action is Action.CANCEL:
            targets = {p.id for p in intent.products}
            has_qty = await self.orders.member_order_qty(campaign.id, sender)
            if not any(has_qty.get(pid, 0) > 0 for pid in targets):
                if not await self._leave_waitlist(campaign, sender, targets, msg_id, now, out):
                    out.nothing_to_cancel = True
                return out
            for line in lines:
                items = await self.orders.items(campaign.id, line.id)
                if targets & {pid for pid, q in items.items() if q > 0}:
                    keep = {pid: q for pid, q in items.items() if pid not in targets}
                    await self._set_line_items(campaign, line.id, sender, keep, msg_id, now, out, current=items)
            out.touched.add(sender)
            await self._serve(campaign, msg_id, now, out)
            return out
        if intent.action not in (Action.SET, Action.ADD):
            return out
        text_line = await self._text_line(campaign.id, sender, msg_id, now, her_lines)
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
        await self._serve(campaign, msg_id, now, out)
        return out
