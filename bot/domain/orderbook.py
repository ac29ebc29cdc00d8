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
from collections.abc import Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from bot.domain.stores import MemberNames, OrderStore
from bot.parsing.asking import which_product
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.conversation.whose import name_forms
from bot.parsing.intent import Action, Choice, Intent, Question, Reason
from bot.parsing.items import Extraction, extract, house_numbers, name_words
from bot.parsing.jielong import Entry, JielongCopy, without_note
from bot.parsing.native_solitaire import NativeList
from bot.parsing.order_text import line_question
from bot.parsing.privacy import mask
from bot.parsing.reading.change import Change, Item, Op
from bot.parsing.textnorm import key_of
from storage.records import Campaign, CopyKeys, Line, Product


@dataclass(frozen=True)
class ToAsk:
    """Something of one message the book could not take exactly, to ask its member about
    (bot/domain/asking.py makes it her open question)."""

    name: str  # hers
    text: str  # what was written: the message, or the 接龙 line
    reason: str  # a Reason (or why it went to the owner, for her check-list entry)
    detail: str = ""  # for AMBIGUOUS: the shared words
    question: Question | None = None  # the reader's; None: made from the reason
    items: tuple[Item, ...] = ()  # the reading she may confirm ("草莓2盒可以吗？"), if any
    line_id: int | None = None
    from_member: str | None = None  # another member passed this order on for her


@dataclass
class Outcome:
    """What one message did, for the acknowledgements sent after commit."""

    touched: set[str] = field(default_factory=set)  # members whose order changed
    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # member → (reason, detail): why her message went to the owner; her hint names it.
    hints: dict[str, tuple[str, str]] = field(default_factory=dict)
    # member → what she is asked, in the group, before anything reaches the owner.
    asks: dict[str, ToAsk] = field(default_factory=dict)
    fork: bool = False  # the copy missed live lines of others: post the merged list
    # New entries of the owner's check list made by this message: (number, who, text, reason).
    checks: list[tuple[int, str, str, str]] = field(default_factory=list)
    nothing_to_cancel: bool = False  # 取消 from a member with no order
    # member → what her 取消 (her whole order) took away, product id → quantity: her confirmation says it.
    cancelled: dict[str, dict[int, int]] = field(default_factory=dict)
    freed: set[int] = field(default_factory=set)  # stocked products someone released
    # Members told in the group that stock freed up for them from the waitlist.
    served: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # The same, for members served in another group of a drop: campaign → member → notes.
    served_in: dict[int, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def note(self, member_id: str, text: str) -> None:
        self.notes[member_id].append(text)

    def ask(self, member_id: str, what: ToAsk) -> None:
        """One question per member and message: a second thing to ask her joins the first as
        one open question (she rewrites both)."""
        earlier = self.asks.get(member_id)
        if earlier is None:
            self.asks[member_id] = what
            return
        self.asks[member_id] = ToAsk(earlier.name, f"{earlier.text}\n{what.text}", earlier.reason,
                                     line_id=earlier.line_id if earlier.line_id == what.line_id else None)


def ref_of(p: Product) -> ProductRef:
    return ProductRef(p.id, p.name, p.code, p.unit, p.price_cents, p.aliases)


def catalog_of(products: list[Product], aliases: tuple[tuple[str, int], ...] = ()) -> Catalog:
    """The catalogue index of a campaign's products and the owner's aliases for them."""
    return _catalog(tuple(ref_of(p) for p in products), aliases)


@lru_cache(maxsize=1024)
def _catalog(refs: tuple[ProductRef, ...], aliases: tuple[tuple[str, int], ...]) -> Catalog:
    # Building the index is the costly part and changes only with the campaign's products
    # or the owner's aliases; keyed by both, never by a campaign id.
    return Catalog(list(refs), aliases)


def totals_after(changes: tuple[Change, ...], held: dict[int, int]) -> tuple[dict[int, int], list[Change]]:
    """Her total of each product the changes touch, from what she holds (`held`); and the
    changes that find nothing to change (less of, or moving, what she does not have)."""
    totals: dict[int, int] = {}
    idle: list[Change] = []
    for c in changes:
        pid = c.product.id
        have = totals.get(pid, held.get(pid, 0))
        if c.op is Op.SET:
            totals[pid] = c.qty
        elif c.op is Op.ADD:
            totals[pid] = have + c.qty
        elif c.op is Op.LESS:
            if have <= 0:
                idle.append(c)
            totals[pid] = max(have - c.qty, 0)
        elif c.op is Op.CANCEL:
            totals[pid] = 0
        else:
            assert c.source is not None
            moved = totals.get(c.source.id, held.get(c.source.id, 0))
            if moved <= 0:
                idle.append(c)
                continue
            totals[c.source.id] = 0
            totals[pid] = have + moved
    return totals, idle


# How members address the owner or each other: never a member's name in an order, whatever
# someone's display name is.
ADDRESS_WORDS = frozenset(("团长", "群主", "老板", "管理员", "亲", "亲们", "宝", "宝子", "姐", "哥", "妹", "美女",
                           "帅哥", "老师", "阿姨", "大家", "谢谢", "谢谢团长"))
HELD_FOR = "别人替她报的单"
WHO_UNCLEAR = "看不出是替谁报的"

# Check-list reasons about a 接龙 line's owner, which her own later message does not settle.
EDITED_OTHERS = "改动了别人的接龙行"
UNKNOWN_OWNER = "接龙里这行对不上是谁的"
OVERLAPS = "从接龙补记的行和她已有的订单重叠"
# Reasons a member settles herself by a later order message that the bot reads.
MEMBER_FIXABLE = tuple(r.value for r in Reason)


class OrderBook:
    def __init__(self, orders: OrderStore, rooms: MemberNames, *, max_qty: int = 99) -> None:
        self.orders = orders
        self.rooms = rooms
        self.max_qty = max_qty

    async def _check(self, campaign: Campaign, member_id: str, name: str, text: str, reason: str,
                     msg_id: str, now: datetime, out: Outcome, line_id: int | None = None,
                     in_list: bool = False) -> None:
        """`in_list`: a line of a 接龙 copy, which every later copy repeats, whoever sends it."""
        if line_id is None and await self.orders.has_open_check(campaign.id, None if in_list else member_id,
                                                                text, reason):
            return  # a re-sent or re-copied line (or the same line twice): on the list once, told once
        number = await self.orders.add_unreadable(campaign.id, member_id, name, text, reason, msg_id, now, line_id)
        out.checks.append((number, name, text, reason))

    # -- items with stock and limits ---------------------------------------

    async def _set_line_items(self, campaign: Campaign, line_id: int, member_id: str,
                              desired: dict[int, int], msg_id: str, now: datetime,
                              out: Outcome, current: dict[int, int] | None = None,
                              asked_again: Set[int] = frozenset()) -> None:
        """`current`: the line's items when the caller has just read them; `asked_again`:
        products another line of hers in the same message asks for (see _release)."""
        if current is None:
            current = await self.orders.items(campaign.id, line_id)
        for product_id in sorted(set(current) | set(desired)):
            have = current.get(product_id, 0)
            want = desired.get(product_id, 0)
            if want == have:
                continue
            if want < have:
                await self.orders.set_item(campaign.id, line_id, product_id, want)
                await self._release(campaign, product_id, have - want, member_id, msg_id, now, out,
                                    keep_place=product_id in asked_again)
                out.touched.add(member_id)
                continue
            grant = await self._grant(campaign, member_id, product_id, want - have, msg_id, now, out)
            if grant:
                await self.orders.set_item(campaign.id, line_id, product_id, have + grant)
                out.touched.add(member_id)

    async def _release(self, campaign: Campaign, product_id: int, qty: int, member_id: str, msg_id: str,
                       now: datetime, out: Outcome, *, keep_place: bool = False) -> None:
        """She has less of a product: she no longer waits for more of it, and what
        she freed goes to the waitlist once the whole message is applied (see _serve).
        `keep_place`: a line of hers in the same message asks for it again (she edited
        her line): that line's grant, before anyone is served, sets how many she waits
        for, and her row, updated, keeps its place; deleted here, she would queue last."""
        product = await self.orders.product(product_id)
        if product.stock is None:
            return
        await self.orders.add_sold(product_id, -min(qty, await self.orders.sold_of(product_id)))
        if not keep_place:
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

    async def _stop_waiting(self, campaign: Campaign, member_id: str, products: set[int] | None, msg_id: str,
                            now: datetime) -> None:
        """Her places in the waitlist for these products (all of them with None) go, with
        her cancellation, which she is told of. Named products cost only deletes, which
        ride the message's one trip to the database; all of them needs the list read."""
        if products is None:
            products = {pid for waiting, pid, qty in await self.orders.waitlist(campaign.id)
                        if waiting == member_id and qty > 0}
        for product_id in sorted(products):
            if (await self.orders.product(product_id)).stock is not None:
                await self.orders.set_waitlist(campaign.id, product_id, member_id, 0, msg_id, now)

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
        if product.withdrawn:
            out.note(member_id, f"{product.name}已下架，没有记上")
            out.touched.add(member_id)
            return 0
        if product.per_member_limit is not None:
            has = await self.orders.member_product_qty(campaign.id, member_id, product_id) \
                if campaign.drop_id is None else \
                await self.orders.drop_product_qty(campaign.drop_id, member_id, product_id)
            if campaign.drop_id is not None and product.stock is not None:
                # Waiting in another group of the drop counts too: served there later, she would
                # hold more than the limit.
                has += await self.orders.waiting_elsewhere(campaign.id, member_id, product_id)
            room = max(product.per_member_limit - has, 0)
            if qty > room:
                out.note(member_id, f"{product.name}每人限购{product.per_member_limit}{unit}")
                qty = room
        if qty <= 0:
            # Her latest word, cut to nothing, leaves nothing to wait for either (a place
            # kept for her edited line must not outlive it: see _release).
            if product.stock is not None:
                await self.orders.set_waitlist(campaign.id, product_id, member_id, 0, msg_id, now)
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
                           out: Outcome, asked_again: Set[int] = frozenset()) -> None:
        await self._set_line_items(campaign, line.id, line.member_id, {}, msg_id, now, out,
                                   asked_again=asked_again)
        await self.orders.set_live(line, False, now)
        out.touched.add(line.member_id)

    async def _withdraw_line(self, campaign: Campaign, catalog: Catalog, line: Line, msg_id: str, now: datetime,
                             out: Outcome, restated: Set[int] = frozenset()) -> None:
        """A 接龙 line gone from the list: cancelled, and she no longer waits for what
        it asked (a sold-out product holds nothing on the line, so cancelling the
        line alone left her in the queue, to be served what she had withdrawn).
        `restated`: products a line of hers in the same message asks for again (her
        line edited): she keeps her place for them, whether the line held some of
        them or none, and the new line sets how many."""
        await self._cancel_line(campaign, line, msg_id, now, out, restated)
        ex = self._extract(line.raw, catalog)
        # A line that needed the owner ordered nothing, and withdraws nothing.
        if self._unreadable_reason(ex) is None:
            gone = {i.product.id for i in ex.items} - restated
            if gone:
                await self._stop_waiting(campaign, line.member_id, gone, msg_id, now)

    # -- 接龙 lines -----------------------------------------------------------

    def _extract(self, text: str, catalog: Catalog) -> Extraction:
        # A line's note (备注：多放2个袋子) is kept with the line, never read as an order.
        return extract(without_note(text), catalog, bare_number_ok=True, max_qty=self.max_qty)

    @staticmethod
    def _unreadable_reason(ex: Extraction) -> tuple[str, str] | None:
        """Why a line orders nothing it says, with the detail for her hint; None when readable."""
        if ex.too_large:
            return Reason.TOO_LARGE, ""
        if ex.ambiguous:
            return Reason.AMBIGUOUS, "、".join(ex.ambiguous)
        if not ex.items or ex.leftovers:
            # Part of the line could not be read exactly: booking the rest would confirm less than she wrote.
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
        elif problem[0] == Reason.TOO_LARGE:
            # Past the sane maximum the owner decides: she is told it went there.
            await self._check(campaign, member_id, name, entry.text, problem[0], msg_id, now, out, line_id)
            out.hints[member_id] = problem
        else:
            # What the reader could not read exactly is asked about in its words (「…」没看懂：…).
            out.ask(member_id, ToAsk(name, entry.text, problem[0], problem[1], line_id=line_id,
                                     question=line_question(ex, catalog)))

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
        label_key = key_of(ex.label)
        if any(key_of(line.label) == label_key for line in await self.orders.member_lines(campaign.id, sender)):
            # The very label of a line of hers: her own line, whoever shows that name today.
            return sender
        me, others = await self.named(campaign, ex.label, sender, by_house=False)
        if me:
            return sender
        # A line naming another member is never hers, whatever house number or word it shares with hers.
        if not others:
            for house in houses:
                if sender in await self.orders.members_at(campaign.id, house):
                    return sender
            if words:
                for line in await self.orders.member_lines(campaign.id, sender):
                    if words & set(name_words(line.label)):
                        return sender
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
        index = await self.orders.copy_index(campaign.id)
        known = index.by_key
        entries = copy.with_loose(lambda entry: self._loose_is_entry(entry, known, catalog),
                                  lambda entry: self._carries_on(entry, catalog))
        if entries is copy.entries and copy.keys is not None and copy.key_set is not None:
            match = _match_copy(copy.keys, index, sender, copy.key_set)
        else:
            match = _match_copy([entry.key for entry in entries], index, sender)
        dropped = [ln for ln in await self.orders.member_lines(campaign.id, sender, "copy")
                   if ln.live and not match.carries(ln)]
        # Live lines of others that this copy lacks: it was made from an older or
        # parallel version. They stay ordered; the merged list helps people continue.
        out.fork = await self.orders.live_shared(campaign.id) - match.present_live - len(dropped) > 0
        # Whose each new line is, decided before anything changes.
        placed = await self._place_new(campaign, catalog, entries, match, sender, sender_name, bool(dropped),
                                       msg_id, now, out)
        restated = self._restated(catalog, sender, placed, match.revive)
        for line in dropped:
            await self._withdraw_line(campaign, catalog, line, msg_id, now, out, restated)
        if restated:
            await self._restate(campaign, sender, restated, msg_id, now, out)
        for line in match.revive:
            await self._revive(campaign, catalog, line, msg_id, now, out)
        await self._add_placed(campaign, catalog, sender, sender_name, placed, msg_id, now, out)
        await self._serve(campaign, msg_id, now, out)
        return out

    async def _place_new(self, campaign: Campaign, catalog: Catalog, entries: tuple[Entry, ...],
                         match: _CopyMatch, sender: str, sender_name: str, her_dropped: bool, msg_id: str,
                         now: datetime, out: Outcome) -> list[_Placed]:
        """The copy's new lines, each read and given to its owner; a line whose owner
        is in doubt goes to the owner's check list instead."""
        placed: list[_Placed] = []
        mine = key_of(sender_name)
        owners: dict[int, str | None] = {}  # whose each new line of this copy went to (None: the check list)
        for pos in match.new:
            entry = entries[pos]
            ex, raw = self._read_new_entry(entries, pos, catalog)
            # A new line elsewhere in the copy with her name is hers: then the last is not hers for being last.
            is_last = pos == len(entries) - 1 and not (
                len(mine) > 1 and mine not in name_words(ex.label)
                and any(mine in word for other in match.new[:-1]
                        for word in name_words(self._extract(entries[other].text, catalog).label)))
            dropped_here = her_dropped
            if (is_last or her_dropped) and not name_words(ex.label) and not house_numbers(ex.label):
                is_last, dropped_here = await self._unlabeled_may_be_hers(campaign, entries, pos, sender, owners,
                                                                          is_last, her_dropped)
            owner = await self._owner_or_check(campaign, entry, ex, sender, sender_name, is_last,
                                               dropped_here, match, msg_id, now, out)
            owners[pos] = owner
            if owner is not None:
                placed.append(_Placed(entry, ex, owner, raw))
        return placed

    async def _unlabeled_may_be_hers(self, campaign: Campaign, entries: tuple[Entry, ...], pos: int, sender: str,
                                     owners: dict[int, str | None], is_last: bool,
                                     her_dropped: bool) -> tuple[bool, bool]:
        """(is_last, her_dropped) for a new line naming nobody, which is the poster's for being last
        or for standing where her changed line was. Neither holds for a line an earlier copy put on
        the check list (someone else's copy carried it: reposting it never makes it hers), nor, when
        she changed her line, for a loose line right under another member's row (that row wrapping:
        her repost carries it, it is not hers). At the end of her copy, a wrapped line under another
        member's row is not hers either."""
        entry = entries[pos]
        if await self.orders.was_checked(campaign.id, entry.text, UNKNOWN_OWNER):
            return False, False
        if entry.numbered or pos == 0:
            return is_last, her_dropped
        above = entries[pos - 1]
        if pos - 1 in owners:
            whose = {owners[pos - 1]}
        else:
            whose = {line.member_id for line in (await self.orders.copy_index(campaign.id)).by_key.get(above.key, [])}
        under_another = bool(whose) and sender not in whose
        return is_last and not (under_another and entry.follows), her_dropped and not under_another

    async def _add_placed(self, campaign: Campaign, catalog: Catalog, sender: str, sender_name: str,
                          placed: list[_Placed], msg_id: str, now: datetime, out: Outcome) -> None:
        for new in placed:
            name = sender_name if new.owner == sender else await self.rooms.name_of(campaign.room_id, new.owner)
            await self._new_line(campaign, catalog, new.owner, name, "copy", new.entry, msg_id, now, out,
                                 new.ex, new.raw)
            if new.owner != sender:
                # Said in the group: a phone number or address in the line stays masked there.
                out.note(new.owner, f"从接龙中补记「{mask(new.entry.text)}」，不对请告诉团长")

    def _carries_on(self, entry: Entry, catalog: Catalog) -> bool:
        """A line under an entry that only names products with quantities (no house number, no
        name) carries on the entry above it."""
        ex = self._extract(entry.text, catalog)
        # A quantity alone ("   2袋") joins the row too: read with it, that row is asked about, never
        # booked as if the line under it were not there.
        return (bool(ex.items) or ex.quantity_without_product) and not ex.ambiguous and not ex.too_large \
            and not ex.label

    def _loose_is_entry(self, entry: Entry, known: dict[str, list[Line]], catalog: Catalog) -> bool:
        """An unnumbered line among the entries is an entry when the book knows it
        or it names a product with a quantity; a deadline note is not."""
        if entry.key in known:
            return True
        ex = self._extract(entry.text, catalog)
        # A product with a quantity that cannot be taken as written ("烟薯一袋半") is an order to ask about.
        tried = any(left.why != "noqty" for left in ex.leftovers)
        return bool(ex.mentioned or ex.ambiguous) and (bool(ex.items) or ex.too_large or bool(ex.ambiguous) or tried)

    def _read_new_entry(self, entries: tuple[Entry, ...], pos: int,
                        catalog: Catalog) -> tuple[Extraction, str | None]:
        """A new entry's reading, and the text to keep for it when that is not the
        entry's own (同上 written out)."""
        ex = self._extract(entries[pos].text, catalog)
        same = self._same_as_above(entries, pos, ex, catalog)
        return (ex, None) if same is None else same

    async def _owner_or_check(self, campaign: Campaign, entry: Entry, ex: Extraction, sender: str,
                              sender_name: str, is_last: bool, her_dropped: bool, match: _CopyMatch,
                              msg_id: str, now: datetime, out: Outcome) -> str | None:
        """Whose a new line of a copy is; None when it went to the owner's check list instead."""
        if await self._edits_someone_else(campaign.id, ex, sender, match):
            await self._check(campaign, sender, sender_name, entry.text, EDITED_OTHERS, msg_id, now, out, in_list=True)
            return None
        owner = await self._owner_of(campaign, ex, sender, sender_name, is_last, her_dropped)
        if owner is None:
            await self._check(campaign, sender, sender_name, entry.text, UNKNOWN_OWNER, msg_id, now, out, in_list=True)
            return None
        if owner != sender:
            have = await self.orders.member_order_qty(campaign.id, owner)
            if any(have.get(i.product.id, 0) > 0 for i in ex.items):
                # Was this line before or after what she has? Only she knows.
                name = await self.rooms.name_of(campaign.room_id, owner)
                await self._check(campaign, owner, name, entry.text, OVERLAPS, msg_id, now, out, in_list=True)
                return None
        return owner

    def _restated(self, catalog: Catalog, sender: str, placed: list[_Placed], revive: list[Line]) -> set[int]:
        """The products a line of hers new (or back) in this copy asks for. Her latest
        statement of a product wins, whichever way she made it: it replaces what her
        plain messages said of it, and a line of hers withdrawn in the same copy (she
        edited it) does not take her out of their queue."""
        restated = {i.product.id for new in placed if new.owner == sender
                    and self._unreadable_reason(new.ex) is None for i in new.ex.items}
        for line in revive:
            ex = self._extract(line.raw, catalog)
            if self._unreadable_reason(ex) is None:
                restated |= {i.product.id for i in ex.items}
        return restated

    async def _restate(self, campaign: Campaign, member_id: str, products: set[int], msg_id: str,
                       now: datetime, out: Outcome) -> None:
        """Her plain-message quantities of these products give way to a line she just wrote."""
        for line in await self.orders.member_lines(campaign.id, member_id, "text"):
            if not line.live:
                continue
            items = await self.orders.items(campaign.id, line.id)
            if any(items.get(pid, 0) for pid in products):
                keep = {pid: q for pid, q in items.items() if pid not in products}
                # The line she just wrote asks for them: her place in their queue stays.
                await self._set_line_items(campaign, line.id, member_id, keep, msg_id, now, out, current=items,
                                           asked_again=products)

    async def _edits_someone_else(self, campaign_id: int, ex: Extraction, sender: str,
                                  match: _CopyMatch) -> bool:
        """A new line carrying the label (house number, name) of another member's
        line that this copy lacks is that member's line changed by someone else:
        attributing it to the sender would invent an order."""
        label_key = key_of(ex.label)
        if not label_key:
            return False
        for line in await self.orders.lines_with_label(campaign_id, label_key):
            if line.member_id != sender and not match.carries(line) and line.source == "copy":
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
        # What each author's new entries ask for: an edited line keeps her place in those queues.
        restated: dict[str, set[int]] = defaultdict(set)
        for (author, key), entries in wanted.items():
            for entry in entries[len(existing.get((author, key), [])):]:
                ex = self._extract(entry.text, catalog)
                if self._unreadable_reason(ex) is None:
                    restated[author] |= {i.product.id for i in ex.items}
        for pair, lines in existing.items():
            keep = len(wanted.get(pair, []))
            for line in lines[keep:]:
                await self._withdraw_line(campaign, catalog, line, msg_id, now, out, restated.get(pair[0], set()))
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
                           text: str, msg_id: str, now: datetime, *, serve: bool = True, label: str = "",
                           for_whom: str | None = None) -> Outcome:
        """`serve`: stock she frees goes to the waitlist (False: the owner changes an order after the
        close, when nobody is served what she did not ask for). `label`: what the message says
        besides its items (a name in it is checked: an order naming another member is never the
        sender's); `for_whom`: the words of "帮…带", "替…报" naming who the order is for ("" for
        herself)."""
        out = Outcome()
        if intent.action in (Action.SET, Action.ADD, Action.ASK) and (label or for_whom):
            intent = await self._whose(campaign, intent, sender, sender_name, text, label, for_whom, out)
            if intent.action is Action.NONE:
                return out
        her_lines = await self.orders.member_lines(campaign.id, sender)
        if intent.action is Action.UNCLEAR and (intent.reason == Reason.TOO_LARGE or (
                intent.reason == Reason.QUESTION and not intent.items)):
            # Past the sane maximum, or an order hanging on a question only the owner can answer
            # ("草莓甜吗？甜的话要2盒"): the owner decides, and she is told it went there.
            await self._check(campaign, sender, sender_name, text, intent.reason, msg_id, now, out)
            out.hints[sender] = (intent.reason, "、".join(intent.words))
            return out
        if intent.action is Action.UNCLEAR:
            out.ask(sender, ToAsk(sender_name, text, intent.reason, "、".join(intent.words), items=intent.items))
            return out
        if intent.action is Action.ASK:
            # Only what is certain is booked; the leftover is asked about.
            assert intent.question is not None
            out.ask(sender, ToAsk(sender_name, text, intent.reason or Reason.UNREADABLE, question=intent.question))
            if not intent.items:
                return out
            intent = Intent(Action.SET, items=intent.items)
        if intent.action is Action.EDIT_UNNAMED:
            named = await self._name_the_product(campaign, intent, sender, sender_name, text, msg_id, now, out)
            if named is None:
                return out
            intent = named
        if intent.action is Action.CHANGE:
            totals = await self._as_totals(campaign, intent, sender, out)
            if totals is None:
                return out
            intent = totals
        # Her later message that the bot reads settles what she sent before and the owner has not.
        self.orders.settle_member(campaign.id, sender, MEMBER_FIXABLE, "她后来的消息", now)
        lines = [ln for ln in her_lines if ln.live]
        if intent.action is Action.CANCEL_ALL:
            await self._cancel_all(campaign, sender, lines, msg_id, now, out)
        elif intent.action is Action.CANCEL:
            await self._cancel_products(campaign, sender, {p.id for p in intent.products}, lines, msg_id, now, out)
        elif intent.action in (Action.SET, Action.ADD):
            await self._order(campaign, intent, sender, her_lines, msg_id, now, out)
        elif intent.action is Action.CHANGE:
            # Her totals after 草莓2盒 砂糖橘不要了 / 砂糖橘换成草莓: what goes first, then what she wants.
            gone = {c.product.id for c in intent.changes if c.op is Op.CANCEL}
            if gone:
                await self._cancel_products(campaign, sender, gone, lines, msg_id, now, out)
            wanted = tuple(Item(c.product, c.qty) for c in intent.changes if c.op is Op.SET)
            if wanted:
                await self._order(campaign, Intent(Action.SET, items=wanted), sender,
                                  await self.orders.member_lines(campaign.id, sender), msg_id, now, out)
        # Stock someone released goes to the waitlist (nothing to do when none was).
        if serve:
            await self._serve(campaign, msg_id, now, out)
        return out

    # -- the owner changing a running drop (bot/domain/changes.py) ---------------------

    async def serve_waitlist(self, campaign: Campaign, product_ids: set[int], msg_id: str,
                             now: datetime) -> Outcome:
        """Stock added to these products goes to the waitlist, first come first, across the drop."""
        out = Outcome()
        out.freed |= product_ids
        await self._serve(campaign, msg_id, now, out)
        return out

    async def _whose(self, campaign: Campaign, intent: Intent, sender: str, sender_name: str, text: str,
                     label: str, for_whom: str | None, out: Outcome) -> Intent:
        """Whose an order is when its words name someone. For another member it is held until she
        confirms it (she is asked, the sender told: Action.NONE comes back); for someone outside
        the group ("帮楼下刘奶奶捎一袋") it is the sender's, on top of her own (ADD)."""
        if for_whom == "":
            return intent
        me, others = await self.named(campaign, for_whom if for_whom is not None else label, sender,
                                      by_house=for_whom is not None)
        if me or (not others and for_whom is None):
            return intent
        if not others:
            # Someone outside the group: hers to pay and collect, added to what she has.
            return Intent(Action.ADD, items=intent.items) if intent.action is Action.SET else intent
        if len(others) > 1 or intent.action is Action.ASK or not intent.items:
            # Several members, or an order not read exactly for one of them: she says it herself.
            whose = "看不出是替谁报的" if len(others) > 1 else \
                f"是{await self.rooms.name_of(campaign.room_id, next(iter(others)))}的，但没看懂要什么"
            out.ask(sender, ToAsk(sender_name, text, WHO_UNCLEAR, question=Question(
                text, f"「{text[:30]}」{whose}，没有记录。请让她自己在群里发，或写清楼号、名字和「商品+数量」", ())))
            return Intent(Action.NONE)
        (member,) = others
        self._hold(member, await self.rooms.name_of(campaign.room_id, member), text, intent.items, sender,
                   sender_name, out)
        return Intent(Action.NONE)

    @staticmethod
    def _hold(member: str, name: str, text: str, items: tuple[Item, ...], sender: str, sender_name: str,
              out: Outcome) -> None:
        """An order one member passed on for another: she is asked, and her yes books it, once,
        for her; the one who passed it on is told it waits for her."""
        spelled = "、".join(f"{i.product.name}×{i.qty}" for i in items)
        yes = Choice("是", (), Intent(Action.SET, items=items))
        out.ask(member, ToAsk(name, text, HELD_FOR, items=items, from_member=sender,
                              question=Question(text, f"{sender_name}替你报了 {spelled}，是你要的吗？"
                                                      f"回「是」就记上，不要回「不要」", (yes,))))
        out.note(sender, f"「{text[:30]}」是{name}的，没有记在你名下；已请她回复确认，她确认后记在她名下")
        out.touched.add(sender)

    async def named(self, campaign: Campaign, label: str, sender: str, *,
                    by_house: bool) -> tuple[bool, set[str]]:
        """(whether `label` names the sender, the other members it names): by their display
        names, and with `by_house` by the house numbers of their lines too. Words of address
        (团长) never name anyone, whatever someone's display name is."""
        me = False
        others: set[str] = set()
        for word in name_words(label):
            for form in name_forms(word):
                if len(form) < 2 or form in ADDRESS_WORDS:
                    continue
                named = await self.rooms.members_named(campaign.room_id, form)
                me |= sender in named
                others |= named - {sender}
        if by_house and not me and not others:
            for house in house_numbers(label):
                at = await self.orders.members_at(campaign.id, house)
                me |= sender in at
                others |= at - {sender}
        return me, others

    async def withdraw_product(self, campaign: Campaign, product_id: int, msg_id: str,
                               now: datetime) -> tuple[dict[str, int], list[str]]:
        """/下架: every live line of this group's part gives the product up and nobody waits for it
        any more; nobody is served. ({member: quantity cancelled}, members who only waited)."""
        cancelled: dict[str, int] = {}
        out = Outcome()
        for source in ("copy", "native", "text"):
            for line in await self.orders.live_lines(campaign.id, source):
                items = await self.orders.items(campaign.id, line.id)
                if items.get(product_id, 0) > 0:
                    cancelled[line.member_id] = cancelled.get(line.member_id, 0) + items[product_id]
                    keep = {pid: q for pid, q in items.items() if pid != product_id}
                    await self._set_line_items(campaign, line.id, line.member_id, keep, msg_id, now, out,
                                               current=items)
        waited = []
        for member_id, pid, _qty in await self.orders.waitlist(campaign.id):
            if pid == product_id:
                await self.orders.set_waitlist(campaign.id, pid, member_id, 0, msg_id, now)
                if member_id not in cancelled:
                    waited.append(member_id)
        return cancelled, waited

    async def _name_the_product(self, campaign: Campaign, intent: Intent, sender: str, sender_name: str,
                                text: str, msg_id: str, now: datetime, out: Outcome) -> Intent | None:
        """"改成3盒" sets the one product she has; with several (or none), which one?
        She is asked, the owner sees it (None)."""
        has = [pid for pid, q in (await self.orders.member_order_qty(campaign.id, sender)).items() if q > 0]
        if not has:
            out.ask(sender, ToAsk(sender_name, text, Reason.NO_PRODUCT))
            return None
        if len(has) > 1:
            held = [await self.orders.product(pid) for pid in sorted(has)]
            refs = [ref_of(p) for p in held]
            leftover = intent.question.leftover if intent.question is not None else text
            out.ask(sender, ToAsk(sender_name, text, Reason.WHICH_PRODUCT,
                                  question=which_product(leftover, refs, intent.qty)))
            return None
        ref = ref_of(await self.orders.product(has[0]))
        if intent.op is Op.SET:
            return Intent(Action.SET, items=(Item(ref, intent.qty),))
        return Intent(Action.CHANGE, changes=(Change(intent.op, ref, intent.qty),))

    async def _as_totals(self, campaign: Campaign, intent: Intent, sender: str, out: Outcome) -> Intent | None:
        """A CHANGE as the totals she ends with: a SET of each product she keeps or gets, a
        cancellation of each she no longer has. None (and she is told) when it changes nothing."""
        held = await self.orders.member_order_qty(campaign.id, sender)
        totals, idle = totals_after(intent.changes, held)
        refs = {c.product.id: c.product for c in intent.changes}
        refs |= {c.source.id: c.source for c in intent.changes if c.source is not None}
        for c in idle:
            out.note(sender, f"你还没有订{(c.source or c.product).name}，没有改动")
        changes = tuple(Change(Op.SET, refs[pid], qty) if qty > 0 else Change(Op.CANCEL, refs[pid])
                        for pid, qty in totals.items() if qty != held.get(pid, 0) or qty > 0)
        if not changes:
            out.touched.add(sender)
            return None
        return Intent(Action.CHANGE, changes=changes)

    async def _cancel_all(self, campaign: Campaign, sender: str, lines: list[Line], msg_id: str,
                          now: datetime, out: Outcome) -> None:
        """取消: all her live lines; with nothing ordered, what she waits for."""
        held = await self.orders.member_order_qty(campaign.id, sender)
        # A line of hers that orders nothing (waiting for the owner) is cancelled too.
        if not any(q > 0 for q in held.values()) and all(ln.readable for ln in lines):
            if not await self._leave_waitlist(campaign, sender, None, msg_id, now, out):
                out.nothing_to_cancel = True
            return
        out.cancelled[sender] = {pid: q for pid, q in held.items() if q > 0}
        for line in lines:
            await self._cancel_line(campaign, line, msg_id, now, out)
        # What she only waited for goes too: 取消 is all of it.
        await self._stop_waiting(campaign, sender, None, msg_id, now)
        out.touched.add(sender)

    async def _cancel_products(self, campaign: Campaign, sender: str, targets: set[int], lines: list[Line],
                               msg_id: str, now: datetime, out: Outcome) -> None:
        """草莓不要了: these products leave every line of hers; without any, her place on their waitlist."""
        has_qty = await self.orders.member_order_qty(campaign.id, sender)
        if not any(has_qty.get(pid, 0) > 0 for pid in targets):
            if not await self._leave_waitlist(campaign, sender, targets, msg_id, now, out):
                out.nothing_to_cancel = True
            return
        for line in lines:
            items = await self.orders.items(campaign.id, line.id)
            if targets & {pid for pid, q in items.items() if q > 0}:
                keep = {pid: q for pid, q in items.items() if pid not in targets}
                await self._set_line_items(campaign, line.id, sender, keep, msg_id, now, out, current=items)
        # 草莓和砂糖橘都不要了 with only 草莓 held: her place in the 砂糖橘 queue goes too.
        await self._stop_waiting(campaign, sender, targets, msg_id, now)
        out.touched.add(sender)

    async def _order(self, campaign: Campaign, intent: Intent, sender: str, her_lines: list[Line],
                     msg_id: str, now: datetime, out: Outcome) -> None:
        """草莓2盒 / 再来1盒: her plain-message line takes the change; 改成 sets her total."""
        text_line = await self._text_line(campaign.id, sender, msg_id, now, her_lines)
        text_items = await self.orders.items(campaign.id, text_line)
        desired = dict(text_items)
        for item in intent.items:
            pid = item.product.id
            if intent.action is Action.ADD:
                desired[pid] = desired.get(pid, 0) + item.qty
            else:
                desired[pid] = await self._text_share(campaign, sender, item, text_line, text_items.get(pid, 0),
                                                      her_lines, msg_id, now, out)
        await self._set_line_items(campaign, text_line, sender, desired, msg_id, now, out, current=text_items)
        out.touched.add(sender)

    async def _text_share(self, campaign: Campaign, sender: str, item: Item, text_line: int, in_text: int,
                          her_lines: list[Line], msg_id: str, now: datetime, out: Outcome) -> int:
        """How much of a product her plain-message line must hold (it has `in_text`)
        for her to have `item.qty` of it in all."""
        pid = item.product.id
        elsewhere = await self.orders.member_product_qty(campaign.id, sender, pid) - in_text
        if elsewhere <= item.qty:
            return item.qty - elsewhere
        # She now wants less than her 接龙 lines say: her latest word wins.
        for line in her_lines:
            if not line.live or line.id == text_line:
                continue
            items = await self.orders.items(campaign.id, line.id)
            if items.get(pid, 0):
                items[pid] = 0
                await self._set_line_items(campaign, line.id, sender, items, msg_id, now, out)
        return item.qty


class _Placed(NamedTuple):
    """A new line of a copy, read and given to its owner, to be added to the book."""

    entry: Entry
    ex: Extraction
    owner: str
    raw: str | None  # the text to keep when it is not the entry's (同上 written out)


@dataclass
class _CopyMatch:
    """How the entries of a copy meet the 接龙 lines the book already has."""

    keys: Set[str] = field(default_factory=set)  # every key in the copy
    # Positions of the keys not one-to-one (once in the copy, one line in the book).
    others: dict[str, list[int]] = field(default_factory=dict)
    carried: set[int] = field(default_factory=set)  # ids of the book's lines those keys matched
    present_live: int = 0  # how many of the lines it carries are live
    revive: list[Line] = field(default_factory=list)  # the poster's cancelled lines it carries again
    new: list[int] = field(default_factory=list)  # positions of entries the book has no line for

    def carries(self, line: Line) -> bool:
        """Whether this line of the book is in the copy."""
        if line.source != "copy":
            return False
        # A one-to-one key's line is the only line the book has with that key.
        return (line.key in self.keys and line.key not in self.others) or line.id in self.carried

    def carry(self, line: Line, sender: str) -> None:
        self.carried.add(line.id)
        if line.live:
            self.present_live += 1
        elif line.member_id == sender:
            self.revive.append(line)


def _match_copy(keys: Sequence[str], index: CopyKeys, sender: str, key_set: Set[str] | None = None) -> _CopyMatch:
    """Which known line each entry (by its key, in copy order) is, if any. Her own
    lines are matched first, so an identical line of someone else's never makes
    her own look dropped. Revived lines come in the copy's order (stock goes
    first come, first served). `key_set`: the keys as a set, when the copy has it."""
    match = _CopyMatch(set(keys) if key_set is None else key_set)
    _match_one_to_one(keys, index, sender, match)
    if match.others:
        _match_the_rest(keys, index.by_key, sender, match)
    return match


def _match_one_to_one(keys: Sequence[str], index: CopyKeys, sender: str, match: _CopyMatch) -> None:
    """The common case, every other line of every copy: a key once in the copy and
    once in the book. The other keys' positions go to `match.others`, in order of
    first appearance. Every line of a copy passes through here: a copy without a
    repeated line is matched with set operations, which cost a fraction of a Python
    loop over its lines; the keys left over (new lines, cancelled lines, keys the
    book holds twice) are few, and only they are looked at one by one."""
    if len(match.keys) != len(keys):
        _match_one_to_one_by_line(keys, index.by_key, sender, match)
        return
    # Each difference walks the copy's keys once and builds only the (small) set of those left over.
    rest = match.keys - index.single  # new to the book, or held by more than one line
    not_live = match.keys - index.live_single  # `rest`, and the keys of cancelled lines
    match.present_live += len(match.keys) - len(not_live)
    if not not_live:
        return
    mine = [k for k in not_live - rest if index.by_key[k][0].member_id == sender]
    where = _positions(keys, rest | set(mine))
    for key in sorted(rest, key=where.__getitem__):
        match.others[key] = [where[key]]
    match.revive.extend(index.by_key[k][0] for k in sorted(mine, key=where.__getitem__))


def _positions(keys: Sequence[str], wanted: Set[str]) -> dict[str, int]:
    """Where each of `wanted` (keys each once in `keys`) stands in `keys`. Looked for from the end:
    a new line is nearly always the last one or the last few."""
    where: dict[str, int] = {}
    for pos in range(len(keys) - 1, -1, -1):
        if len(where) == len(wanted):
            break
        if keys[pos] in wanted:
            where[keys[pos]] = pos
    return where


def _match_one_to_one_by_line(keys: Sequence[str], known: dict[str, list[Line]], sender: str,
                              match: _CopyMatch) -> None:
    """`_match_one_to_one` for a copy that repeats a line: key by key."""
    counts = Counter(keys)
    others, revive, live, get = match.others, match.revive, 0, known.get
    for pos, key in enumerate(keys):
        lines = get(key)
        if lines is None or len(lines) != 1 or counts[key] != 1:
            others.setdefault(key, []).append(pos)
            continue
        line = lines[0]
        if line.live:
            live += 1
        elif line.member_id == sender:
            revive.append(line)
    match.present_live += live


def _match_the_rest(keys: Sequence[str], known: dict[str, list[Line]], sender: str, match: _CopyMatch) -> None:
    """Keys new to the book, or in the copy or the book more than once."""
    revived_before = len(match.revive)
    for key, positions in match.others.items():
        lines = known.get(key)
        if not lines:
            match.new.extend(positions)
            continue
        ranked = [ln for ln in lines if ln.member_id == sender] + [ln for ln in lines if ln.member_id != sender]
        for line in ranked[: len(positions)]:
            match.carry(line, sender)
        match.new.extend(positions[len(lines):])
    match.new.sort()
    if len(match.revive) > revived_before:
        first: dict[str, int] = {}
        for pos, key in enumerate(keys):
            first.setdefault(key, pos)
        match.revive.sort(key=lambda ln: first[ln.key])
