"""/退款 张三 [金额]: the owner records that she handed a refund back (the bot moves no money).

Without an amount it is everything still to give back to her; more than that is refused with what
is due. What is due comes from the same accounts as /未付 and the workbook's 团员对账.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.aftersales.accounts import accounts, cash_due
from bot.domain.reports import MemberRow
from bot.parsing.textnorm import key_of, nfkc
from bot.render.templates import money

router = Router("refunds", section="缺货与售后")

# The latest campaigns of a group a refund may still be due in.
RECENT = 5
_AMOUNT = re.compile(r"(?:^|\s)[¥￥]?\s*(\d+(?:\.\d{1,2})?)\s*(?:元|块)?\s*$")


async def _rooms(ctx: Context) -> list[str]:
    """The groups she runs that the command is about: this one, or privately all of hers."""
    rooms = [ctx.msg.room_id] if ctx.msg.room_id else await ctx.svc.rooms.rooms_of(ctx.msg.sender.id)
    return [r for r in rooms if await ctx.svc.rooms.is_admin(r, ctx.msg.sender.id)]


async def _due(ctx: Context, rooms: list[str]) -> list[MemberRow]:
    """Accounts with a refund still to hand back, in these groups, oldest campaign first."""
    out: list[MemberRow] = []
    for room_id in rooms:
        for campaign in await ctx.svc.campaigns.recent_in(room_id, RECENT):
            if not campaign.is_open:
                out += [r for r in await accounts(ctx.svc.db, campaign) if cash_due(r) > 0]
    return out


def _who(rows: list[MemberRow], mentions: tuple[str, ...], words: str) -> list[MemberRow] | str:
    if mentions:
        return [r for r in rows if r.member_id in mentions] or "她现在没有要退的钱。"
    key = key_of(words)
    if not key:
        return "用法：/退款 名字 [金额]（不写金额就是全部退清）"
    exact = [r for r in rows if key_of(r.name) == key]
    named = exact or [r for r in rows if key in key_of(r.name)]
    people = {r.member_id for r in named}
    if len(people) == 1:
        return named
    if not people:
        return f"「{words}」对不上要退款的人。要退款的：" + "、".join(dict.fromkeys(r.name for r in rows))
    return f"「{words}」有好几个人：" + "、".join(dict.fromkeys(r.name for r in named)) + "，请写全名或@她。"


@router.command("退款", "refund", help="/退款 名字 [金额] 记下退给她的钱（不写金额就是全部）")
async def refund_command(ctx: Context, args: str) -> None:
    rooms = await _rooms(ctx)
    if not rooms:
        ctx.reply("抱歉，/退款 只有团长和管理员可以使用。", mention_sender=ctx.msg.room_id is not None)
        return
    text = nfkc(args).strip()
    for member_id in ctx.msg.mentions:
        text = text.replace("@" + await ctx.svc.rooms.name_of(ctx.msg.room_id or "", member_id), " ")
    m = _AMOUNT.search(text)
    cents: int | None = None
    if m is not None:
        try:
            cents = int(Decimal(m.group(1)) * 100)
        except InvalidOperation:
            cents = None
        text = text[: m.start()]
    rows = await _due(ctx, rooms)
    if not rows:
        ctx.reply_private("现在没有要退给谁的钱。")
        return
    found = _who(rows, ctx.msg.mentions, text.strip())
    if isinstance(found, str):
        ctx.reply_private(found)
        return
    due = sum(cash_due(r) for r in found)
    name = found[0].name
    if cents is not None and not 0 < cents <= due:
        ctx.reply_private(f"没有记：要退给{name}的是{money(due)}，写的是{money(cents)}。")
        return
    left = due if cents is None else cents
    for row in found:  # oldest campaign first
        take = min(left, cash_due(row))
        if take:
            ctx.svc.aftersales.add_refund_payment(row.campaign.id, row.member_id, take, ctx.msg.sender.id, ctx.now)
            left -= take
    given = due if cents is None else cents
    rest = due - given
    state = "已退清" if not rest else f"还要退{money(rest)}"
    ctx.reply_private(f"✅ 已记：退给{name} {money(given)}（{state}）。")
