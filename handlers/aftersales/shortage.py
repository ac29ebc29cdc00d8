"""缺货 and 补货: /缺货 草莓 24, /补货 草莓 6, /缺货 规则 平均, and her one word that confirms the plan.

The plan reaches her privately first; on 确认 the book changes and each member who lost (or got
back) something is told once, in her own group: one gathered post per group (bot/domain/aftersales/
shortage.py notices), a line each, @-mentioned, with only her own figures.
"""

from __future__ import annotations

import re

from bot.app.context import Context
from bot.app.router import Chat, Router
from bot.domain.aftersales.allocation import RULE_WORDS, Rule
from bot.domain.aftersales.shortage import (
    Applied,
    Plan,
    confirm,
    notices,
    plan,
    plan_text,
    rule_of,
    waiting_plans,
)
from bot.domain.changes import named_products
from bot.domain.pickup import after_drop_target
from bot.domain.scope import runs_whole_drop
from bot.parsing.textnorm import nfkc
from bot.render.templates import money
from storage.records import Campaign, Product

router = Router("shortage", section="缺货与售后")

_YES = re.compile(r"^(?:确认|确定|执行|好|好的|可以|是|对|ok|OK|Ok|yes|嗯|行)[。.!！~～]*$")
_NO = re.compile(r"^(?:取消|不要|算了|不用了|作罢|no|No)[。.!！~～]*$")
_NUMBER = re.compile(r"(少|缺|差)?\s*(?:到了|到|来了)?\s*(\d{1,6})\s*\S{0,2}?$")


async def _business(ctx: Context) -> tuple[Campaign, list[Campaign]] | None:
    """The campaign (a drop: every group's part) the command acts on, or None after saying why."""
    campaign, why = await after_drop_target(ctx.svc, ctx.room_id)
    if campaign is None:
        ctx.reply(why)
        return None
    if not await runs_whole_drop(ctx.svc.campaigns, ctx.scope, campaign):
        ctx.reply(f"「{campaign.title}」在几个群一起进行，缺货要按整批货分，请找团长处理。")
        return None
    parts = await ctx.svc.campaigns.parts(campaign)
    return parts[0], parts


def _product(products: list[Product], words: str) -> Product | str:
    named = named_products(products, words)
    if isinstance(named, str):
        return named
    if len(named) > 1:
        return f"一次一个商品（写了{'、'.join(p.name for p in named)}）。"
    return named[0]


def _rule_word(args: str) -> tuple[Rule | None, str]:
    for word, rule in sorted(RULE_WORDS.items(), key=lambda kv: -len(kv[0])):
        if word in args:
            return rule, args.replace(word, " ")
    return None, args


async def _groups(ctx: Context, parts: list[Campaign]) -> dict[int, str]:
    if len(parts) == 1:
        return {}
    return {p.id: await ctx.svc.rooms.topic(p.room_id) or p.room_id for p in parts}


async def _plan_command(ctx: Context, args: str, kind: str) -> None:
    name = "缺货" if kind == "short" else "补货"
    usage = (f"用法：/{name} 商品 数量，例如 /{name} 草莓 24（到了24盒）" if kind == "short" else
             f"用法：/{name} 商品 数量，例如 /{name} 草莓 6（后来又到了6盒）")
    found = await _business(ctx)
    if found is None:
        return
    business, parts = found
    text = nfkc(args).strip()
    if kind == "short" and text.startswith("规则"):
        rule, _ = _rule_word(text)
        if rule is None:
            current = await rule_of(ctx.svc, business)
            ctx.reply(f"「{business.title}」缺货规则：{current.word}（{current.explained}）。"
                      "可选：按顺序、平均、手动，例如 /缺货 规则 平均")
            return
        ctx.svc.aftersales.set_rule(business.id, rule.value, ctx.msg.sender.id, ctx.now)
        ctx.reply(f"✅ 「{business.title}」缺货规则改为：{rule.word}（{rule.explained}）。")
        return
    rule, text = _rule_word(text)
    m = _NUMBER.search(text)
    if m is None or not text[: m.start()].strip():
        ctx.reply(usage)
        return
    products = await ctx.svc.campaigns.products(business.id)
    product = _product(products, text[: m.start()])
    if isinstance(product, str):
        ctx.reply(f"{product}\n{usage}")
        return
    units = int(m.group(2))
    if rule is None:
        rule = await rule_of(ctx.svc, business)
    else:
        # Named with the command, the rule is the campaign's from now on (she reads it in the plan).
        ctx.svc.aftersales.set_rule(business.id, rule.value, ctx.msg.sender.id, ctx.now)
    if kind == "short" and m.group(1):
        held = 0
        for part in parts:
            held += sum(q for o in await ctx.svc.orders.orders(part.id, products) for p, q in o.items
                        if p.id == product.id)
        units = max(held - units, 0)
    made = await plan(ctx.svc, business, parts, product, kind, units, rule, ctx.msg.sender.id, ctx.now)
    if isinstance(made, str):
        ctx.reply(made)
        return
    ctx.reply(plan_text(made, await _groups(ctx, parts)))


@router.command("缺货", "short", admin_only=True, whole_drop=True,
                help="/缺货 草莓 24 到货不足：按规则（/缺货 规则 按顺序|平均|手动）减单退款，先给你看方案")
async def shortage_command(ctx: Context, args: str) -> None:
    await _plan_command(ctx, args, "short")


@router.command("补货", "resupply", admin_only=True, whole_drop=True, help="/补货 草莓 6 后到的货按同样的规则补回")
async def restock_command(ctx: Context, args: str) -> None:
    await _plan_command(ctx, args, "restock")


@router.matcher(priority=5, chat=Chat.PRIVATE)
async def plan_answer(ctx: Context) -> bool:
    """Her one word on the plans waiting for it: 确认 applies them, 取消 drops them."""
    text = ctx.text.strip()
    if len(text) > 8:
        return False
    yes, no = _YES.match(text), _NO.match(text)
    if not yes and not no:
        return False
    waiting = await waiting_plans(ctx.svc, ctx.msg.sender.id, ctx.now)
    if not waiting:
        return False
    if no:
        for s in waiting:
            ctx.svc.aftersales.set_status(s.id, "dropped", ctx.now)
        ctx.reply_private("好的，缺货方案作罢，订单没有改。")
        return True
    applied: list[Applied] = []
    said: list[str] = []
    for s in waiting:
        business = await ctx.svc.campaigns.get(s.campaign_id)
        if business is None:
            continue
        parts = await ctx.svc.campaigns.parts(business)
        done = await confirm(ctx.svc, s, parts, ctx.msg.sender.id, ctx.msg.id, ctx.now)
        if isinstance(done, str):
            said.append(done)
        elif isinstance(done, Plan):
            again = plan_text(done, await _groups(ctx, parts))
            said.append(f"订单在方案之后变过，按现在的订单重新算了，请再看一遍：\n{again}")
        else:
            said.append(_done_text(done))
            applied.append(done)
    for post in notices(applied):
        ctx.send(post)
    ctx.reply_private("\n\n".join(said))
    return True


def _done_text(done: Applied) -> str:
    p = done.plan
    unit = p.product.unit or "份"
    cents = p.refund_cents
    if not done.changes:
        return f"{p.product.name}：订单没有变化，没有退款。"
    if p.kind == "short":
        head = f"✅ {p.product.name}缺货已按「{p.rule.word}」处理：{len(done.changes)}人减少，共退{money(cents)}"
    else:
        given = sum(c.delta for c in done.changes)
        head = f"✅ {p.product.name}补货{given}{unit}已补回{len(done.changes)}人，退款共少{money(-cents)}"
    return head + "；已在群里@她们（每人一行，只写她自己的）。/导出 的分拣单、采购单按实际到货。"
