"""“跟老周一样”, “我也要”, “跟上次一样”: the order she means is named back to her, and only her word
books it (README "How members order").

Whose order she copies is found by member id: the member she names, by (part of) a display name in
the group; the one other member who ordered just before her; her own order in the group's previous
campaign. Nothing is booked from the message itself: she is asked "跟 老周 一样：手工挂面×2、东北小米×1？
回 是", and her 是 books it once (her open question is settled by it). When the bot cannot name one
order — nobody or several by that name, several orders just before hers, nothing last time — she is
asked who, or what she wants.

The questions are built by pure functions; `question_for` gathers what they need inside the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.services import Services
from bot.parsing.asking import Reading, choose, confirm, items_label
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.conversation.same_as import MENTIONED, Same, SameAs
from bot.parsing.intent import Action, Intent, Question
from bot.parsing.items import Item
from bot.parsing.textnorm import key_of
from storage.records import Campaign

# "我也要" copies an order placed this recently (by one other member only).
RECENT = timedelta(minutes=5)

Order = tuple[Item, ...]


def _what(leftover: str, why: str = "") -> Question:
    return Question(leftover, f"{why}要什么、几份？请回「商品+数量」", ())


def copy_of(leftover: str, name: str, items: Order) -> Question:
    """跟 老周 一样：手工挂面×2、东北小米×1？回 是"""
    asked = confirm(leftover, Intent(Action.SET, items=items))
    return replace(asked, text=f"跟 {name} 一样：{items_label(items)}？回 是")


def one_of(leftover: str, who: str, orders: list[tuple[str, Order]]) -> Question:
    """Several members go by that name: which one's order (each shown), in a word."""
    readings = [Reading(Intent(Action.SET, items=items), (name,), None, f"跟 {name} 一样：{items_label(items)}")
                for name, items in orders]
    asked = choose(leftover, readings)
    return replace(asked, text=asked.text.replace(f"「{leftover}」是要哪个？", f"群里有几位「{who}」，跟谁一样？", 1))


def person(leftover: str, who: str, found: list[tuple[str, Order]]) -> Question:
    """Her question when she named `who`: `found` is each member that name fits, with her order now."""
    if not found:
        return Question(leftover, f"群里没找到「{who}」，是跟谁一样？请回「跟+群名+一样」，或直接回「商品+数量」", ())
    with_orders = [(name, items) for name, items in found if items]
    if not with_orders:
        why = f"{found[0][0]} 这次还没有下单，" if len(found) == 1 else f"几位「{who}」这次都还没有下单，"
        return _what(leftover, why)
    if len(with_orders) == 1:
        # (Of several by that name, only one ordered: that order is named, and she confirms or not.)
        return copy_of(leftover, *with_orders[0])
    return one_of(leftover, who, with_orders)


def me_too(leftover: str, recent: list[tuple[str, Order]]) -> Question:
    """我也要: the one order placed just before hers, or what she wants."""
    if len(recent) == 1 and recent[0][1]:
        return copy_of(leftover, *recent[0])
    return _what(leftover)


def last_time(leftover: str, then: list[tuple[str, int]], catalog: Catalog) -> Question:
    """跟上次一样：… naming only what is sold now (and which of last time's are not)."""
    if not then:
        return _what(leftover, "上次没有你的订单，这次")
    now = {key_of(p.name): p for p in catalog.products}
    items: list[Item] = []
    gone: list[str] = []
    for name, qty in then:
        product: ProductRef | None = now.get(key_of(name))
        if product is None:
            gone.append(name)
        else:
            items.append(Item(product, qty))
    if not items:
        return _what(leftover, f"上次的 {'、'.join(gone)} 这次没有，")
    asked = confirm(leftover, Intent(Action.SET, items=tuple(items)))
    note = f"（{'、'.join(gone)} 这次没有）" if gone else ""
    return replace(asked, text=f"跟上次一样：{items_label(items)}？{note}回 是")


async def _order(svc: Services, campaign: Campaign, member_id: str, catalog: Catalog) -> Order:
    qty = await svc.orders.member_order_qty(campaign.id, member_id)
    return tuple(Item(p, qty[p.id]) for p in catalog.products if qty.get(p.id, 0) > 0)


async def question_for(svc: Services, campaign: Campaign, catalog: Catalog, same: SameAs, leftover: str,
                       member_id: str, now: datetime, mentions: tuple[str, ...] = ()) -> Question:
    """What she is asked for a message copying an order (she is `member_id`; `mentions`: the members
    her message @-mentions)."""
    if same.kind is Same.LAST_TIME:
        before = await svc.campaigns.previous_in(campaign.room_id, campaign.id)
        if before is None:
            return _what(leftover, "上次没有你的订单，这次")
        products = {p.id: p.name for p in await svc.campaigns.products(before.id)}
        qty = await svc.orders.member_order_qty(before.id, member_id)
        return last_time(leftover, [(products[pid], n) for pid, n in sorted(qty.items()) if n > 0 and pid in products],
                         catalog)
    if same.kind is Same.ME_TOO:
        others = [m for m in await svc.orders.ordered_since(campaign.id, now - RECENT) if m != member_id]
        recent = [(await svc.rooms.name_of(campaign.room_id, m), await _order(svc, campaign, m, catalog))
                  for m in others[:2]]
        return me_too(leftover, recent)
    ids = [m for m in dict.fromkeys(mentions) if m != member_id][:5]
    if same.who.startswith(MENTIONED) and ids:
        # "跟 @老周 一样": the member she mentioned, by id.
        picked = [(m, await svc.rooms.name_of(campaign.room_id, m)) for m in ids]
    else:
        wanted = key_of(same.who.removeprefix(MENTIONED))
        named = [(m, name) for m, name in await svc.rooms.members(campaign.room_id)
                 if m != member_id and wanted and wanted in key_of(name)]
        picked = [(m, name) for m, name in named if key_of(name) == wanted] or named[:5]
    found = [(name, await _order(svc, campaign, m, catalog)) for m, name in picked]
    return person(leftover, same.who.removeprefix(MENTIONED), found)
