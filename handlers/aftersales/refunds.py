"""/退款 张三 [金额]: the owner records that she handed a refund back (the bot moves no money).

Without an amount it is everything still to give back to her; more than that is refused with what
is due. She is named as for /已付 (a name, house number, pickup code or the number /未付 showed:
bot/domain/people.py), and what is due comes from the one computation of what a member owes
(bot/domain/money/ledger.py), as /未付 and the workbook's 团员对账 read it.
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.money.ledger import BadAmount, Debt, balance_text, debts, looks_like_amount, parse_amount, total
from bot.domain.people import Ambiguous, find_person, not_found, which_one
from bot.domain.pickup import after_drop_parts
from bot.parsing.textnorm import nfkc
from bot.render.templates import money
from storage.records import Campaign

router = Router("refunds", section="缺货与售后")

# The latest campaigns of a group a refund may still be due in (a claim comes days after the drop).
RECENT = 5
USAGE = "用法：/退款 张三 [金额]，记下退给她的钱（不写金额就是全部退清）；张三 也可以写门牌号、取货码或 /未付 的序号。"


async def _parts(ctx: Context) -> list[Campaign]:
    """The group's latest closed campaigns, each a drop's every part she runs (a drop is one business),
    oldest first."""
    found: dict[int, Campaign] = {}
    for campaign in await ctx.svc.campaigns.recent_in(ctx.room_id, RECENT):
        if not campaign.is_open:
            found.update((p.id, p) for p in await after_drop_parts(ctx.svc, campaign, ctx.scope))
    return [found[k] for k in sorted(found)]


async def _owed(ctx: Context, parts: list[Campaign], member_id: str) -> list[Debt]:
    """Her accounts with money to give back, oldest campaign first."""
    return [d for part in parts for d in await debts(ctx.svc, part)
            if d.member_id == member_id and d.balance.over_cents]


@router.command("退款", "refund", admin_only=True, help="/退款 张三 [金额] 记下退给她的钱（不写金额就是全部）")
async def refund_command(ctx: Context, args: str) -> None:
    words = nfkc(args).split()
    people = list(ctx.msg.mentions)
    for member_id in people:
        name = await ctx.svc.rooms.name_of(ctx.room_id, member_id)
        words = [w for w in words if w != "@" + name]
    # The amount is the last word, after whom ("/退款 1 60": the first person /未付 listed, ¥60).
    amount_word = words.pop() if words and (len(words) > 1 or people) and looks_like_amount(words[-1]) else None
    if not people and not words:
        ctx.reply(USAGE)
        return
    parts = await _parts(ctx)
    if not people:
        who = " ".join(words)
        to_whom = {d.member_id for part in parts for d in await debts(ctx.svc, part) if d.balance.over_cents}
        rooms = list(dict.fromkeys(p.room_id for p in parts)) or [ctx.room_id]
        found = await find_person(ctx.svc, ctx.msg.sender.id, who, rooms, parts, prefer=to_whom)
        if isinstance(found, Ambiguous):
            example = f"/退款 1 {amount_word or ''}".strip()
            ctx.reply(await which_one(ctx.svc, ctx.msg.sender.id, found, example, ctx.now))
            return
        if found is None:
            ctx.reply(not_found(who))
            return
        people = [found.member_id]
    if len(people) > 1:
        ctx.reply("一次记一个人：/退款 张三 [金额]。")
        return
    cents = None
    if amount_word is not None:
        try:
            cents = parse_amount(amount_word)
        except BadAmount as exc:
            ctx.reply(f"没有记录：{exc}。{USAGE}")
            return
    member_id = people[0]
    owed = await _owed(ctx, parts, member_id)
    name = await ctx.svc.rooms.name_of(owed[0].campaign.room_id if owed else ctx.room_id, member_id)
    due = total(owed).over_cents if owed else 0
    if not due:
        ctx.reply(f"{name} 现在没有要退的钱。")
        return
    if cents is not None and cents > due:
        ctx.reply(f"没有记：要退给{name}的是{money(due)}，写的是{money(cents)}。")
        return
    left = due if cents is None else cents
    for d in owed:  # oldest campaign first
        take = min(left, d.balance.over_cents)
        if take:
            ctx.svc.aftersales.add_refund_payment(d.campaign.id, member_id, take, ctx.msg.sender.id, ctx.now)
            left -= take
    after = total([d for part in parts for d in await debts(ctx.svc, part) if d.member_id == member_id])
    ctx.reply(f"✅ 已记：退给{name} {money(due if cents is None else cents)}（{balance_text(after)}）。")
