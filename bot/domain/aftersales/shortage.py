"""缺货 and 补货 as operations: plan who loses (or gets back) how much, then, on the owner's word,
change the book, write the refunds and say what each member must hear.

A plan is stored with what each member held when it was made; confirming it checks the book still
says so (an order changed since would make the plan wrong: it is made again and shown instead).
Under 手动 the plan is that snapshot alone: the owner changes orders herself (/改单), and her word
turns whatever changed since into the refunds. Runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.aftersales.allocation import Holding, Rule, cut, give_back
from bot.domain.pickup import MENTIONS_PER_MESSAGE
from bot.domain.services import Services
from bot.models import Outgoing
from bot.render.templates import money
from storage.records import Campaign, Product, Shortage, ShortageChange

Who = tuple[int, str]  # (her group's part, member id)


@dataclass(frozen=True)
class Change:
    part: Campaign
    member_id: str
    name: str
    position: int
    before: int
    delta: int  # negative: taken; positive: given back
    cents: int = 0  # the refund it makes (negative: less refund), at the prices she pays for those units


async def _priced(svc: Services, product: Product, c: Change) -> Change:
    """The change with its refund: the worth of what she held less the worth of what she holds after
    (units that kept an earlier price keep it: storage/records.py priced_item)."""
    before = await svc.orders.worth(c.part.id, c.member_id, product, c.before)
    after = await svc.orders.worth(c.part.id, c.member_id, product, c.before + c.delta)
    return replace(c, cents=before - after)


@dataclass(frozen=True)
class Plan:
    id: int
    product: Product
    kind: str  # short, restock
    rule: Rule
    units: int
    held: int
    changes: tuple[Change, ...]
    holders: tuple[Change, ...] = ()  # 手动: everyone who holds the product (delta 0), in book order

    @property
    def refund_cents(self) -> int:
        return sum(c.cents for c in self.changes)


# A plan waits this long for her word; after that she asks again (the book may have moved on).
PLAN_KEEPS = timedelta(hours=24)


async def waiting_plans(svc: Services, owner_id: str, now: datetime) -> list[Shortage]:
    return [s for s in await svc.aftersales.planned(owner_id) if now - s.planned_at <= PLAN_KEEPS]


async def settling_by_hand(svc: Services, campaign: Campaign, owner_id: str, now: datetime) -> bool:
    """Whether she is settling a shortage of this campaign by hand (手动) right now: her /改单 then
    tells the member nothing yet; her 确认 tells her once, with the refund."""
    business = campaign.drop_id if campaign.drop_id is not None else campaign.id
    return any(s.rule == Rule.MANUAL.value and s.campaign_id == business
               for s in await waiting_plans(svc, owner_id, now))


async def rule_of(svc: Services, business: Campaign) -> Rule:
    stored = await svc.aftersales.rule(business.id)
    return Rule(stored) if stored else Rule.IN_ORDER


async def _positions(svc: Services, part: Campaign, member_id: str, product_id: int) -> int | None:
    """Her place in the book for the product: her first live line holding it."""
    for line in await svc.orders.member_lines(part.id, member_id):
        if line.live and (await svc.orders.items(part.id, line.id)).get(product_id, 0) > 0:
            return line.id
    return None


async def holdings(svc: Services, parts: list[Campaign], product: Product) -> tuple[list[Holding[Who]], dict[Who, str]]:
    """Everyone who holds the product or was cut and not given back, in every part; with their names."""
    products = await svc.campaigns.products(parts[0].id)
    shorts = await svc.aftersales.product_shorts(product.id, [p.id for p in parts])
    out: list[Holding[Who]] = []
    names: dict[Who, str] = {}
    by_id = {p.id: p for p in parts}
    seen: set[Who] = set()
    for part in parts:
        for order in await svc.orders.orders(part.id, products):
            qty = sum(q for p, q in order.items if p.id == product.id)
            if qty <= 0:
                continue
            who = (part.id, order.member_id)
            position = await _positions(svc, part, order.member_id, product.id)
            out.append(Holding(who, position if position is not None else 0, qty, shorts.get(who, 0)))
            names[who] = order.name
            seen.add(who)
    old = await svc.aftersales.short_positions(product.id, [p.id for p in parts])
    for who, short in shorts.items():
        if who not in seen:
            out.append(Holding(who, old.get(who, 0), 0, short))
            names[who] = await svc.rooms.name_of(by_id[who[0]].room_id, who[1])
    out.sort(key=lambda h: h.position)
    return out, names


def _change(parts: dict[int, Campaign], names: dict[Who, str], h: Holding[Who], delta: int) -> Change:
    return Change(parts[h.who[0]], h.who[1], names[h.who], h.position, h.qty, delta)


async def plan(svc: Services, business: Campaign, parts: list[Campaign], product: Product, kind: str, units: int,
               rule: Rule, by: str, now: datetime) -> Plan | str:
    """Stores the plan for her word (replacing one still waiting for the product), or says why there is none."""
    found, names = await holdings(svc, parts, product)
    unit = product.unit or "份"
    held = sum(h.qty for h in found)
    by_part = {p.id: p for p in parts}
    if kind == "short":
        if held <= units:
            return f"{product.name}一共订了{held}{unit}，到了{units}{unit}，够分，不用减。"
        deltas = {} if rule is Rule.MANUAL else cut(found, units, rule)
        changes = [_change(by_part, names, h, -deltas[h.who]) for h in found if deltas.get(h.who)]
    else:
        owed = sum(h.short for h in found)
        if not owed:
            return f"{product.name}没有人因缺货被减过，补的{units}{unit}不用分。"
        if units > owed:
            return f"{product.name}缺货一共减了{owed}{unit}，补{units}{unit}多了；请写 /补货 {product.name} {owed}。"
        deltas = {} if rule is Rule.MANUAL else give_back(found, units, rule)
        changes = [_change(by_part, names, h, deltas[h.who]) for h in found if deltas.get(h.who)]
    changes = [await _priced(svc, product, c) for c in changes]
    holders = tuple(_change(by_part, names, h, 0) for h in found) if rule is Rule.MANUAL else ()
    svc.aftersales.drop_planned(business.id, product.id, now)
    stored = holders if rule is Rule.MANUAL else changes
    sid = await svc.aftersales.add_shortage(
        business.id, product.id, kind, rule.value, units, held, by, now,
        [ShortageChange(c.part.id, c.member_id, c.position, c.before, c.delta) for c in stored])
    return Plan(sid, product, kind, rule, units, held, tuple(changes), holders)


def plan_text(p: Plan, groups: dict[int, str]) -> str:
    """What the owner sees privately before she says the word: the rule, who loses or gets how much."""
    unit = p.product.unit or "份"
    rule = f"规则：{p.rule.word}（{p.rule.explained}）"
    if p.kind == "short":
        head = f"📦 {p.product.name}缺货：订了{p.held}{unit}，到了{p.units}{unit}，要少分{p.held - p.units}{unit}。"
    else:
        head = f"📦 {p.product.name}补货{p.units}{unit}：按缺货时的规则补回给被减的人。"
    lines = [head, rule]
    if p.rule is Rule.MANUAL:
        lines.append("订了的人（按下单先后）：")
        lines += [f"{i}. {c.name}{_group(c, groups)} {c.before}{unit}" for i, c in enumerate(p.holders, 1)]
        goal = f"一共分{p.units}{unit}" if p.kind == "short" else f"补回{p.units}{unit}"
        lines.append(f"请用 /改单 调整到{goal}，调好后回复「确认」，我按调整的结果记退款、通知她们；回复「取消」作罢。")
        return "\n".join(lines)
    lines.append("减少的人：" if p.kind == "short" else "补回的人：")
    for c in p.changes:
        after = c.before + c.delta
        money_part = f"退{money(c.cents)}" if c.delta < 0 else f"少退{money(-c.cents)}"
        lines.append(f"· {c.name}{_group(c, groups)} {c.before}{unit}→{after}{unit}，{money_part}")
    total = p.refund_cents
    lines.append(f"{len(p.changes)}人，共{'退' if total >= 0 else '少退'}{money(abs(total))}。")
    other = "、".join(r.word for r in Rule if r is not p.rule)
    lines.append(f"回复「确认」执行（在群里发一条，每人一行@她，只写她自己的数量和退款，不写合计）；回复「取消」作罢。"
                 f"换规则：/缺货 规则 {other.split('、')[0]}（可选：{other}）")
    return "\n".join(lines)


def _group(c: Change, groups: dict[int, str]) -> str:
    return f"（{groups[c.part.id]}）" if c.part.id in groups else ""


# -- changing the book --------------------------------------------------------------------------------


async def _take(svc: Services, part: Campaign, member_id: str, product: Product, n: int) -> None:
    """Her latest lines give up the units first."""
    left = n
    for line in reversed(await svc.orders.member_lines(part.id, member_id)):
        if not left:
            break
        if not line.live:
            continue
        have = (await svc.orders.items(part.id, line.id)).get(product.id, 0)
        if have > 0:
            take = min(have, left)
            await svc.orders.set_item(part.id, line.id, product.id, have - take)
            left -= take
    assert left == 0, "took more than she held"
    if product.stock is not None:
        await svc.orders.add_sold(product.id, -n)


async def _give(svc: Services, part: Campaign, member_id: str, product: Product, n: int, msg_id: str,
                now: datetime) -> None:
    """Back onto her latest live line that held the product (a new plain line if none is left)."""
    lines = [ln for ln in await svc.orders.member_lines(part.id, member_id) if ln.live]
    target = None
    for line in reversed(lines):
        if product.id in await svc.orders.items(part.id, line.id):
            target = line.id
            break
    if target is None:
        text = [ln for ln in lines if ln.source == "text"]
        target = text[0].id if text else await svc.orders.add_line(
            campaign_id=part.id, member_id=member_id, source="text", key=member_id, message_id=msg_id, now=now)
    have = (await svc.orders.items(part.id, target)).get(product.id, 0)
    await svc.orders.set_item(part.id, target, product.id, have + n)
    if product.stock is not None:
        await svc.orders.add_sold(product.id, n)


@dataclass(frozen=True)
class Applied:
    plan: Plan
    changes: tuple[Change, ...]


async def confirm(svc: Services, shortage: Shortage, parts: list[Campaign], by: str, msg_id: str,
                  now: datetime) -> Applied | Plan | str:
    """Applies a stored plan: Applied, or a new plan when the book changed since (shown to her
    again, nothing applied), or why it cannot be (手动 not settled yet)."""
    product = next(p for p in await svc.campaigns.products(parts[0].id) if p.id == shortage.product_id)
    rule = Rule(shortage.rule)
    stored = {(c.campaign_id, c.member_id): c for c in await svc.aftersales.changes(shortage.id)}
    found, names = await holdings(svc, parts, product)
    by_part = {p.id: p for p in parts}
    if rule is Rule.MANUAL:
        changes = []
        for h in found:
            before = stored[h.who].before if h.who in stored else 0
            if h.qty != before:
                delta = h.qty - before
                if delta > 0:
                    delta = min(delta, h.short)  # beyond what she lost is an order, not a refund
                if delta:
                    changes.append(_change(by_part, names, Holding(h.who, h.position, before, h.short), delta))
        for who, snap in stored.items():
            if who not in {h.who for h in found} and snap.before:
                name = await svc.rooms.name_of(by_part[who[0]].room_id, who[1])
                changes.append(Change(by_part[who[0]], who[1], name, snap.position, snap.before, -snap.before))
        total = sum(h.qty for h in found)
        unit = product.unit or "份"
        if shortage.kind == "short" and total > shortage.units:
            return (f"{product.name}现在还分了{total}{unit}，到货只有{shortage.units}{unit}，还要减"
                    f"{total - shortage.units}{unit}：用 /改单 调好再回复「确认」。")
        changes = [await _priced(svc, product, c) for c in changes]
        for change in changes:
            svc.aftersales.set_change(shortage.id, change.part.id, change.member_id, change.delta)
    else:
        current = {h.who: h.qty for h in found}
        if any(current.get(who, 0) != snap.before for who, snap in stored.items()):
            again = await plan(svc, by_part[shortage.campaign_id] if shortage.campaign_id in by_part else parts[0],
                               parts, product, shortage.kind, shortage.units, rule, by, now)
            return again
        changes = [Change(by_part[s.campaign_id], s.member_id, names.get((s.campaign_id, s.member_id), s.member_id),
                          s.position, s.before, s.delta) for s in stored.values()]
        changes = [await _priced(svc, product, c) for c in changes]
        for change in changes:
            if change.delta < 0:
                await _take(svc, change.part, change.member_id, product, -change.delta)
            else:
                await _give(svc, change.part, change.member_id, product, change.delta, msg_id, now)
    for c in changes:
        svc.aftersales.add_refund(c.part.id, c.member_id, product.id, "shortage", -c.delta, c.cents,
                                  in_book=True, source_id=shortage.id, by=by, now=now)
    svc.aftersales.set_status(shortage.id, "applied", now)
    done = Plan(shortage.id, product, shortage.kind, rule, shortage.units, shortage.held, tuple(changes))
    return Applied(done, tuple(changes))


def member_line(name: str, changes: list[tuple[Product, Change]]) -> str:
    """Her line of her group's notice: her own products, quantities and refunds, nothing else."""
    said = []
    for product, c in changes:
        unit = product.unit or "份"
        after = c.before + c.delta
        if c.delta < 0:
            said.append(f"{product.name}到货不足，你订的{c.before}{unit}分到{after}{unit}，少的{-c.delta}{unit}退{money(c.cents)}")
        else:
            said.append(f"{product.name}补到货了，补回{c.delta}{unit}，你现在是{after}{unit}（少退{money(-c.cents)}）")
    return f"@{name} " + "；".join(said)


def notices(applied: list[Applied]) -> list[Outgoing]:
    """What the groups hear after her word: in each group one post (twenty @-mentions to a post, as
    the pickup notice) with a line per member who lost or got back something. WeChat throttles an
    account that posts much, so a 平均 cut touching 30 members is two posts, not 30. A line carries
    only that member's figures; no totals, nobody who was not affected, nothing of the owner's money."""
    rooms: dict[str, dict[str, tuple[str, list[tuple[Product, Change]]]]] = {}
    titles: dict[str, list[str]] = {}
    for done in applied:
        for c in done.changes:
            rooms.setdefault(c.part.room_id, {}).setdefault(c.member_id, (c.name, []))[1].append((done.plan.product, c))
            if c.part.title not in titles.setdefault(c.part.room_id, []):
                titles[c.part.room_id].append(c.part.title)
    posts = []
    for room_id, members in rooms.items():
        ids = list(members)
        chunks = [ids[i:i + MENTIONS_PER_MESSAGE] for i in range(0, len(ids), MENTIONS_PER_MESSAGE)]
        for n, chunk in enumerate(chunks, 1):
            part = f"（{n}/{len(chunks)}）" if len(chunks) > 1 else ""
            head = f"📦 「{'」「'.join(titles[room_id])}」到货有变化{part}，被@的姐妹请看自己这一行："
            lines = [member_line(*members[m]) for m in chunk]
            refunded = any(sum(c.cents for _, c in members[m][1]) > 0 for m in chunk)
            tail = ("退款：已付款的团长退给你，没付的少付。" if refunded else "") + "有疑问请私聊团长。"
            posts.append(Outgoing(text="\n".join([head, *lines, tail]), room_id=room_id, mentions=tuple(chunk)))
    return posts
