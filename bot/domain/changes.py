"""Changing a running drop: what the owner may change after the opening, one message each.

Every change applies to the whole drop (every group's part) at once, inside the caller's
transaction, and returns what to say: the one line each affected group hears, the one line she is
answered with, and the members it concerns (told once, in their own group). The book stays exact:
stock added or freed serves the waitlist first (the order book's rule), a withdrawn product's
orders are cancelled and each buyer told, and a new price leaves the units already ordered at
theirs unless she says 全部 (storage/records.py priced_item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.lifecycle import prices_text
from bot.domain.orderbook import Outcome, catalog_of
from bot.domain.pickup import items_text
from bot.domain.services import Services
from bot.models import Outgoing
from bot.parsing.campaign_spec import ProductSpec
from bot.parsing.textnorm import key_of, nfkc
from bot.parsing.timeparse import ImpossibleTime, past_reason, strict_when
from bot.render.templates import money, when
from storage.records import Campaign, Product


@dataclass(frozen=True)
class Told:
    """A member told once, in her group, what a change did to her order."""

    room_id: str
    member_id: str
    name: str
    text: str
    urgent: bool = True


@dataclass
class Change:
    reply: str  # to the owner, privately: one line
    posts: list[Outgoing] = field(default_factory=list)  # each affected group's one line
    told: list[Told] = field(default_factory=list)
    deadlines_changed: bool = False


def named_products(products: list[Product], words: str) -> list[Product] | str:
    """The products `words` names, in the order written; or the one line that says why not."""
    text = nfkc(words).lower()
    found = catalog_of(products).find(text)
    names = "、".join(p.name for p in products)
    if not found:
        return f"没有找到商品「{words.strip()}」。这个团的商品：{names}"
    by_id = {p.id: p for p in products}
    out: list[Product] = []
    for mention in found:
        if len(mention.choices) > 1:
            shared = "、".join(c.name for c in mention.choices)
            return f"「{text[mention.start:mention.end]}」对应几个商品（{shared}），请写全名。"
        product = by_id[mention.product.id]
        if product not in out:
            out.append(product)
    return out


def _unit(product: Product) -> str:
    return product.unit or "份"


def _announce(parts: list[Campaign], text: str) -> list[Outgoing]:
    return [Outgoing(text=text, room_id=part.room_id) for part in parts]


def _groups_told(parts: list[Campaign]) -> str:
    return f"（{len(parts)}个群已通知）" if len(parts) > 1 else "（群里已通知）"


# -- the deadline ----------------------------------------------------------------------


def future_time(text: str, now: datetime) -> datetime | str:
    """The time `text` names, still to come; or the one line that says why not."""
    try:
        at = strict_when(text, now)
    except ImpossibleTime as exc:
        return f"{exc}。"
    if at is None:
        return f"没看懂时间「{text.strip()}」，请写成 12-11 20:00、明天 20:00 或 今晚8点。"
    if at <= now:
        return f"{past_reason(at)}。"
    return at


async def _reschedule_reminder(svc: Services, part: Campaign, close_at: datetime | None, by: str,
                               now: datetime) -> None:
    """The "last 30 minutes" reminder follows the deadline."""
    for s in await svc.schedules.pending_in(part.room_id):
        if s.kind == "reminder" and s.payload.get("campaign_id") == part.id:
            await svc.schedules.finish(s.id, "cancelled", "截单时间改了")
    before = svc.settings.reminder_before
    if close_at is not None and close_at - before > now:
        await svc.schedules.add(part.room_id, "reminder", close_at - before, {"campaign_id": part.id}, by, now)


async def set_deadline(svc: Services, campaign: Campaign, at: datetime, by: str, now: datetime) -> Change:
    """/延长 12-11 20:00 (or /截单 12-11 20:00): every open group of the drop closes then."""
    parts = [p for p in await svc.campaigns.parts(campaign) if p.is_open]
    for part in parts:
        await svc.campaigns.set_close_at(part.id, at)
        await _reschedule_reminder(svc, part, at, by, now)
    posts = _announce(parts, f"⏰ 「{campaign.title}」截单时间改为 {when(at)}，还没下单的抓紧～")
    return Change(f"✅ 「{campaign.title}」截单时间改为 {when(at)}{_groups_told(parts)}", posts,
                  deadlines_changed=True)


async def reopen(svc: Services, campaign: Campaign, at: datetime | None, by: str, now: datetime) -> Change:
    """/重新开团 after a close (until /到货): every group of the drop takes orders again."""
    parts = await svc.campaigns.parts(campaign)
    if at is None and campaign.close_at is not None and campaign.close_at > now:
        at = campaign.close_at
    for part in parts:
        await svc.campaigns.reopen(part.id, at)
        await _reschedule_reminder(svc, part, at, by, now)
    deadline = f"，{when(at)} 截单" if at else ""
    posts = _announce(parts, f"🔓 「{campaign.title}」重新开团{deadline}，接着下单～")
    how = f"{when(at)} 截单" if at else "没有截单时间：要截单时发 /截单，或 /延长 12-11 20:00 定个时间"
    return Change(f"✅ 「{campaign.title}」重新开团了，{how}{_groups_told(parts)}", posts,
                  deadlines_changed=True)


# -- stock ---------------------------------------------------------------------------------


async def _told_served(svc: Services, campaign: Campaign, out: Outcome) -> list[Told]:
    """Members the waitlist served: each hears it in her own group, with her whole order."""
    told = []
    products = await svc.campaigns.products(campaign.id)
    served = [(campaign.id, out.served), *sorted(out.served_in.items())]
    for campaign_id, members in served:
        part = campaign if campaign_id == campaign.id else await svc.campaigns.get(campaign_id)
        if part is None:
            continue
        for member_id, notes in sorted(members.items()):
            name = await svc.rooms.name_of(part.room_id, member_id)
            order = await svc.orders.member_order(part.id, member_id, name, products, with_label=False)
            text = "；".join([f"已记录：{items_text(order)}，共{money(order.amount_cents)}", *notes])
            told.append(Told(part.room_id, member_id, name, text))
    return told


async def _restocked(svc: Services, campaign: Campaign, product: Product, what: str, msg_id: str,
                     now: datetime, *, unlimited: bool = False) -> Change:
    """After the stock changed: the waitlist is served, the groups hear one line, she one line.
    `unlimited`: the stock was made just big enough for everyone waiting; then the limit goes."""
    svc.orders.forget_product(product.id)
    out = await svc.book.serve_waitlist(campaign, {product.id}, msg_id, now)
    if unlimited:
        await svc.campaigns.set_stock(product.id, None)
        svc.orders.forget_product(product.id)
    fresh = await svc.orders.product(product.id)
    left = None if fresh.stock is None else max(fresh.stock - await svc.orders.sold_of(product.id), 0)
    if fresh.stock is not None:
        # The announcement says it: the sold-out / back-in-stock post after the next order must not.
        svc.hype.set_sold_out_told(product.id, left == 0)
    served = len(out.served) + sum(len(m) for m in out.served_in.values())
    unit = _unit(product)
    parts = [
        what,
        f"{product.name}不再限量" if left is None else "",
        f"候补的{served}位已补上" if served else "",
        "" if left is None else f"还剩{left}{unit}" if left else "已抢完，再下单的登记候补",
    ]
    line = "，".join(p for p in parts if p)
    all_parts = await svc.campaigns.parts(campaign)
    posts = _announce([p for p in all_parts if p.is_open], f"📦 「{campaign.title}」{line}")
    return Change(f"✅ {line}{_groups_told(all_parts)}", posts, await _told_served(svc, campaign, out))


MAX_STOCK = 99_999


async def add_stock(svc: Services, campaign: Campaign, product: Product, more: int, msg_id: str,
                    now: datetime) -> Change | str:
    """/加库存 草莓 10."""
    if product.stock is None:
        return f"{product.name}没有限量，不用加库存。要限量发：/限量 {product.name} 40"
    if not 0 < more <= MAX_STOCK:
        return f"加的数量要在1到{MAX_STOCK}之间。"
    await svc.campaigns.set_stock(product.id, product.stock + more)
    return await _restocked(svc, campaign, product, f"{product.name}加了{more}{_unit(product)}", msg_id, now)


async def set_stock(svc: Services, campaign: Campaign, product: Product, stock: int | None, msg_id: str,
                    now: datetime) -> Change | str:
    """/限量 草莓 40 (None: 不限). Never below what is already ordered: that would be oversold."""
    unit = _unit(product)
    if stock is not None:
        if not 0 < stock <= MAX_STOCK:
            return f"限量要在1到{MAX_STOCK}之间；不限量发：/限量 {product.name} 不限"
        held = await _held(svc, campaign, product)
        if stock < held:
            return (f"{product.name}已经订出{held}{unit}，限量不能少于{held}{unit}。"
                    f"要减少，先用 /改单 或 /删单 改掉一些订单。")
        await svc.campaigns.set_stock(product.id, stock)
        return await _restocked(svc, campaign, product, f"{product.name}限量改为{stock}{unit}", msg_id, now)
    if product.stock is None:
        return f"{product.name}本来就不限量。"
    # Everyone waiting is served first (the stock made just big enough), then the limit goes.
    waiting = sum(n for _, _, n in await svc.orders.product_waitlist(product.id))
    await svc.campaigns.set_stock(product.id, await _held(svc, campaign, product) + waiting)
    return await _restocked(svc, campaign, product, "", msg_id, now, unlimited=True)


async def _held(svc: Services, campaign: Campaign, product: Product) -> int:
    """How much of the product the drop's live orders hold, every group together."""
    total = 0
    for part in await svc.campaigns.parts(campaign):
        totals, _ = await svc.orders.totals(part.id, [product])
        total += totals[0].qty
    return total


# -- price -----------------------------------------------------------------------------------


async def set_price(svc: Services, campaign: Campaign, product: Product, cents: int, everyone: bool,
                    now: datetime) -> Change:
    """/改价 草莓 35: new orders at ¥35, the units already ordered keep their price; `everyone`
    (/改价 草莓 35 全部): all of them at ¥35."""
    old = product.price_cents
    keeping = 0
    for part in await svc.campaigns.parts(campaign):
        if everyone:
            await svc.orders.drop_kept_prices(part.id, product.id)
        else:
            keeping += await svc.orders.keep_price(part.id, product, now)
    await svc.campaigns.set_price(product.id, cents)
    svc.orders.forget_product(product.id)
    unit = _unit(product)
    if everyone:
        note, mine = "，已下单的也按新价", "，已下单的也按新价算"
    elif keeping:
        note = f"，已下单的按原价{money(old)}"
        mine = (f"；已下单的{keeping}人保持{money(old)}（要都按新价：/改价 {product.name} {cents / 100:g} 全部）")
    else:
        note, mine = "", ""
    parts = [p for p in await svc.campaigns.parts(campaign) if p.is_open]
    posts = _announce(parts, f"💰 「{campaign.title}」{product.name}改为{money(cents)}/{unit}{note}")
    return Change(f"✅ {product.name} {money(old)} → {money(cents)}{mine}{_groups_told(parts)}", posts)


# -- products ----------------------------------------------------------------------------------


async def add_product(svc: Services, campaign: Campaign, spec: ProductSpec) -> Change | str:
    """/加商品 芒果 40元/箱 限量10: in the /开团 line format."""
    products = await svc.campaigns.products(campaign.id)
    if any(key_of(p.name) == key_of(spec.name) for p in products):
        return f"已经有「{spec.name}」了。改价：/改价 {spec.name} 35；加库存：/加库存 {spec.name} 10"
    if spec.code is not None and any(p.code == spec.code for p in products):
        return f"编号 {spec.code} 已经用了，请换一个编号或不写编号。"
    if spec.stock is not None and not 0 < spec.stock <= MAX_STOCK:
        return f"限量要在1到{MAX_STOCK}之间。"
    await svc.campaigns.add_product(campaign, spec)
    added = next(p for p in await svc.campaigns.products(campaign.id) if p.name == spec.name)
    limits = (f"（限量{spec.stock}{_unit(added)}）" if spec.stock else "") + \
             (f"（每人限购{spec.limit}）" if spec.limit else "")
    line = f"{prices_text([added])}{limits}"
    parts = [p for p in await svc.campaigns.parts(campaign) if p.is_open]
    example = f"{added.name}1{_unit(added)}"
    posts = _announce(parts, f"🆕 「{campaign.title}」加了新商品：{line}，发「{example}」下单")
    return Change(f"✅ 已加商品：{line}{_groups_told(parts)}", posts)


async def withdraw(svc: Services, campaign: Campaign, product: Product, msg_id: str, now: datetime) -> Change:
    """/下架 草莓: it sells nothing more; every order of it is cancelled and each buyer told once."""
    await svc.campaigns.withdraw(product.id)
    svc.orders.forget_product(product.id)
    svc.hype.set_sold_out_told(product.id, False)
    products = await svc.campaigns.products(campaign.id)
    unit = _unit(product)
    told: list[Told] = []
    buyers, pieces, waiters = 0, 0, 0
    parts = await svc.campaigns.parts(campaign)
    for part in parts:
        cancelled, waited = await svc.book.withdraw_product(part, product.id, msg_id, now)
        for member_id, qty in sorted(cancelled.items()):
            # The refund ledger (issue 22): what she had ordered of it is owed back if she paid for it.
            cents = await svc.orders.worth(part.id, member_id, product, qty)
            svc.aftersales.add_refund(part.id, member_id, product.id, "withdrawn", qty, cents, in_book=True,
                                      source_id=None, by=msg_id, now=now)
            name = await svc.rooms.name_of(part.room_id, member_id)
            order = await svc.orders.member_order(part.id, member_id, name, products, with_label=False)
            now_has = f"现在：{items_text(order)}，共{money(order.amount_cents)}" if order.items else "你现在没有订单了"
            text = f"{product.name}下架了，你的{product.name}×{qty}已取消；{now_has}"
            told.append(Told(part.room_id, member_id, name, text))
            buyers, pieces = buyers + 1, pieces + qty
        for member_id in waited:
            name = await svc.rooms.name_of(part.room_id, member_id)
            told.append(Told(part.room_id, member_id, name, f"{product.name}下架了，你的候补已取消"))
            waiters += 1
    open_parts = [p for p in parts if p.is_open]
    posts = _announce(open_parts, f"🚫 「{campaign.title}」{product.name}下架了，不再接单；已订的已取消")
    done = f"取消了{buyers}人的订单（共{pieces}{unit}）" if buyers else "没有人订过"
    waits = f"，{waiters}人的候补" if waiters else ""
    return Change(f"✅ 已下架{product.name}：{done}{waits}{_groups_told(open_parts)}", posts, told)
