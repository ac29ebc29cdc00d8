"""Payments: /已付 adds to a member's ledger, /未付 lists who owes (and who paid too much), and
transfers seen in the group are hints for the owner.

A transfer or red packet is never marked paid by itself: the owner confirms. What a member owes is
computed in one place (bot/domain/ledger.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.app.context import Context
from bot.app.router import Router
from bot.domain.money.ledger import (
    BadAmount,
    Debt,
    account,
    add_payment,
    balance_text,
    debts,
    looks_like_amount,
    parse_amount,
    total,
    undo_last,
)
from bot.domain.people import Ambiguous, Person, find_person, not_found, remember_list, which_one
from bot.domain.pickup import after_drop_parts, after_drop_target, group_labels
from bot.models import MessageKind
from bot.parsing.textnorm import nfkc
from bot.render.templates import money, when
from storage.records import Campaign

router = Router("payments", section="收款")

USAGE = ("用法：/已付 张三 30 记她付了¥30（可以付几次，会累加）；/已付 张三 记她把剩下的付清；"
         "/已付 张三 撤销 撤回最后一笔。张三 也可以写门牌号、取货码或 /未付 列表里的序号。")
_UNDO = ("撤销", "撤回", "撤消", "undo")


@router.matcher(priority=20)
async def payment_hint(ctx: Context) -> bool:
    if ctx.msg.kind not in (MessageKind.TRANSFER, MessageKind.RED_PACKET):
        return False
    kind = "转账" if ctx.msg.kind is MessageKind.TRANSFER else "红包"
    await ctx.svc.fulfilment.add_hint(ctx.msg.room_id, ctx.msg.sender.id, kind, ctx.msg.text, ctx.msg.id, ctx.now)
    return True


async def _mentioned(ctx: Context, text: str) -> tuple[list[Person], str]:
    """The people @-mentioned in a group command, and the text without their @names."""
    people = []
    room = ctx.msg.room_id or ctx.room_id
    for member_id in ctx.msg.mentions:
        name = await ctx.svc.rooms.name_of(room, member_id)
        text = text.replace("@" + name, " ")
        people.append(Person(member_id, name, room))
    return people, text


def _split_amount(words: list[str]) -> tuple[str, str | None, bool]:
    """(who, amount word or None, undo) of /已付's words: the amount or 撤销 is the last word."""
    if words and words[-1] in _UNDO:
        return " ".join(words[:-1]), None, True
    if len(words) > 1:
        return " ".join(words[:-1]), words[-1], False
    return " ".join(words), None, False


@router.command("已付", "paid", admin_only=True, whole_drop=True,
                help="/已付 张三 30 记一笔付款（会累加）；/已付 张三 付清；/已付 张三 撤销")
async def paid_command(ctx: Context, args: str) -> None:
    if not args.strip() and not ctx.msg.mentions:
        ctx.reply(USAGE)
        return
    campaign, why = await after_drop_target(ctx.svc, ctx.room_id)
    if campaign is None:
        ctx.reply(why)
        return
    parts = await after_drop_parts(ctx.svc, campaign, ctx.scope)
    text = nfkc(args)
    people, text = await _mentioned(ctx, text)
    who, amount_word, undo = _split_amount(text.split())
    if not people:
        if not who:
            ctx.reply(USAGE)
            return
        found = await _find(ctx, parts, who, amount_word, undo)
        if found is None:
            return
        person, amount_word = found
        people = [person]
    elif who:
        amount_word = who if amount_word is None else amount_word  # "/已付 @张三 30": all that is left is 30
    cents = None
    if amount_word is not None:
        try:
            cents = parse_amount(amount_word)
        except BadAmount as exc:
            ctx.reply(f"没有记录：{exc}。{USAGE}")
            return
        if len(people) > 1:
            ctx.reply("一次记一个人的金额：/已付 张三 30（不写金额可以一次付清几个人）。")
            return
    lines = [await _pay(ctx, parts, person, cents, undo) for person in people]
    ctx.reply("\n".join(lines))


async def _find(ctx: Context, parts: list[Campaign], who: str, amount_word: str | None,
                undo: bool) -> tuple[Person, str | None] | None:
    """The person /已付 names, and the amount word; None after saying why."""
    rooms = [p.room_id for p in parts]
    buyers = {d.member_id for part in parts for d in await debts(ctx.svc, part)}
    me = ctx.msg.sender.id
    found = await find_person(ctx.svc, me, who, rooms, parts, prefer=buyers)
    if found is None and amount_word is not None and not undo and not looks_like_amount(amount_word):
        # "/已付 Amy Wang": a name with a space, and no amount.
        whole = f"{who} {amount_word}"
        found = await find_person(ctx.svc, me, whole, rooms, parts, prefer=buyers)
        if found is not None:
            who, amount_word = whole, None
    if isinstance(found, Ambiguous):
        example = f"/已付 1 {amount_word}" if amount_word else "/已付 1"
        ctx.reply(await which_one(ctx.svc, me, found, example, ctx.now))
        return None
    if found is None:
        ctx.reply(not_found(who))
        return None
    return found, amount_word


async def _pay(ctx: Context, parts: list[Campaign], person: Person, cents: int | None, undo: bool) -> str:
    svc, me, now = ctx.svc, ctx.msg.sender.id, ctx.now
    found = await account(svc, parts, person.member_id)
    title = parts[0].title
    if not found:
        return f"{person.name} 在「{title}」没有订单，没有记录。"
    before = total(found)
    if undo:
        undone = await undo_last(svc, found, me, now)
        if not undone:
            return f"{person.name} 没有可以撤销的付款。"
        after = total(await account(svc, parts, person.member_id))
        taken = sum(p.cents for p in undone)
        return (f"↩️ 已撤销 {person.name} {when(undone[0].recorded_at)} 记的{money(taken)}："
                f"现在共付{money(after.paid_cents)}，应付{money(after.owed_cents)}，{balance_text(after)}")
    if cents is None:
        if before.due_cents <= 0:
            return f"{person.name} 已经{balance_text(before)}（共付{money(before.paid_cents)}），这次没有再记。"
        cents = before.due_cents
    await add_payment(svc, found, cents, me, now)
    after = total(await account(svc, parts, person.member_id))
    mark = "⚠️" if after.over_cents else "✅"
    times = "" if before.paid_cents == 0 else f"，共付{money(after.paid_cents)}"
    return f"{mark} {person.name} 付了{money(cents)}{times}（应付{money(after.owed_cents)}，{balance_text(after)}）"


@router.command("未付", "unpaid", admin_only=True, whole_drop=True,
                help="/未付 谁还没付、谁多付了（带序号，/已付 1 记账）")
async def unpaid_command(ctx: Context, args: str) -> None:
    campaign, why = await after_drop_target(ctx.svc, ctx.room_id)
    if campaign is None:
        ctx.reply(why)
        return
    # A drop is one business: every group of it she runs, each group's part labelled.
    parts = await after_drop_parts(ctx.svc, campaign, ctx.scope)
    labels = await group_labels(ctx.svc, parts)
    accounts: list[Debt] = [d for part in parts for d in await debts(ctx.svc, part)]
    owing = [d for d in accounts if d.balance.due_cents]
    over = [d for d in accounts if d.balance.over_cents]
    numbered = owing + over
    if numbered:
        await remember_list(ctx.svc, ctx.msg.sender.id, [(d.campaign.room_id, d.member_id) for d in numbered],
                            ctx.now)
    lines = [] if owing else [f"「{campaign.title}」都付清了 🎉"]
    if owing:
        due = sum(d.balance.due_cents for d in owing)
        lines.append(f"💰 「{campaign.title}」未付款（{len(owing)}人，共{money(due)}）：")
        lines += _numbered(owing, labels, 1, lambda d: money(d.balance.due_cents))
    if over:
        # A refund (缺货, 售后) or a payment over what she owes: money to give back (/退款 序号 records it).
        lines.append(f"要退给她们（{len(over)}人，共{money(sum(d.balance.over_cents for d in over))}，"
                     "退了发 /退款 序号）：")
        lines += _numbered(over, labels, len(owing) + 1,
                           lambda d: f"{'待退' if d.balance.refund_cents else '多付'}{money(d.balance.over_cents)}")
    hints = [(part.room_id, *hint) for part in parts
             for hint in await ctx.svc.fulfilment.hints(part.room_id, part.opened_at - timedelta(days=1))]
    if hints:
        lines.append("待团长确认的转账/红包（确认后发 /已付 序号 金额）：")
        lines += [f"{await ctx.svc.rooms.name_of(room, m)} {kind} {when(at)}" for room, m, kind, at in hints]
    if owing:
        lines.append("记账：/已付 1 30（付了¥30）或 /已付 1（付清）")
    ctx.reply("\n".join(lines))


def _numbered(accounts: list[Debt], labels: dict[int, str], first: int, shown: Callable[[Debt], str]) -> list[str]:
    """"1. 张三 ¥60", numbered on from `first`, under each group's name when they cover several groups."""
    lines, group = [], None
    for i, d in enumerate(accounts, first):
        if labels[d.campaign.id] and d.campaign.id != group:
            group = d.campaign.id
            lines.append(f"【{labels[group]}】")
        lines.append(f"{i}. {d.name} {shown(d)}")
    return lines
