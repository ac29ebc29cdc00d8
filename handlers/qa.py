"""The owner's 质量问答: /问答 to keep pairs, and members' questions answered from them.

`/问答 草莓甜吗 = 丹东99草莓，不甜包退` saves a pair, `/问答` lists them,
`/问答 删除 N`, `/问答 修改 N = 新回答`; `/问答 回复 N 答案` answers a question
the bot forwarded (in the group, @-mentioning her) and saves it as a pair —
`只回复` answers without saving. It works from the owner's private chat too:
the forwarded question knows its group, and the rest apply to the group she
picked (or her one drop). A drop is one business: a pair saved, changed or
removed in one of its groups is saved, changed or removed in every group of it
she runs. What the bot says about managing the
pairs goes to her privately: members see the answers, not the bookkeeping.
"""

from __future__ import annotations

import re

from bot.app.context import Context
from bot.app.groups import resolve_group
from bot.app.router import Router
from bot.app.scope import scope_in
from bot.domain.orderbook import catalog_of
from bot.domain.qa import on_question, reply_to
from bot.domain.scope import parts_in_scope
from bot.models import MessageKind
from bot.parsing.jielong import parse_copy
from bot.parsing.order_text import Action, Intent, parse_order_text
from bot.parsing.question import MAX_PAIR_ANSWER, MAX_PAIR_QUESTION, carries_order, looks_like_question
from bot.parsing.textnorm import key_of
from storage.qa import QaPair

router = Router("qa", section="质量问答")

USAGE = ("用法：\n/问答 草莓甜吗 = 丹东99草莓，糖度12以上，不甜包退\n/问答 —— 查看本群的问答\n"
         "/问答 删除 2\n/问答 修改 2 = 新的回答\n"
         "/问答 回复 12 答案 —— 回答转给你的问题（只回复不保存：/问答 只回复 12 答案）")
_PAIR = re.compile(r"^(.+?)\s*[=＝]\s*(.+)$", re.DOTALL)
# The number stands alone: "/问答 改3盒可以吗 = 可以" is a new pair, not a change to #3.
_NUMBERED = re.compile(r"^(删除|删|修改|改|回复|只回复)\s*#?\s*([0-9]{1,9})(?=\s|[=＝]|$)\s*(.*)$", re.DOTALL)
_NOT_ADMIN = "抱歉，/问答 只有团长和管理员可以使用。"


@router.command("问答", "qa", whole_drop=True, help="/问答 问题 = 回答（团长的质量问答，群友问到自动回复）")
async def qa_command(ctx: Context, args: str) -> None:
    numbered = _NUMBERED.match(args)
    if numbered and numbered.group(1) in ("回复", "只回复"):
        await _reply(ctx, int(numbered.group(2)), numbered.group(3).strip(), save=numbered.group(1) == "回复")
        return
    if ctx.msg.room_id is None:
        # Privately: the group she picked (or her one drop), as for every owner command.
        cmd = ctx.dispatcher.command_named("问答") if ctx.dispatcher is not None else None
        picked = await resolve_group(ctx, cmd, args) if cmd is not None else None
        if picked is None:
            return
        ctx.group_id, args = picked
        ctx.scope = await scope_in(ctx, ctx.group_id)
        numbered = _NUMBERED.match(args)
    if not ctx.scope.is_staff:
        ctx.reply(_NOT_ADMIN, mention_sender=True)
        return
    rooms = await _business_rooms(ctx)
    if not args:
        await _list(ctx, rooms)
    elif numbered:
        await _change(ctx, rooms, numbered.group(1), int(numbered.group(2)), numbered.group(3).strip())
    elif (pair := _PAIR.match(args)) is not None:
        question, answer = pair.group(1).strip(), pair.group(2).strip()
        if len(question) > MAX_PAIR_QUESTION or len(answer) > MAX_PAIR_ANSWER:
            ctx.reply_private(f"没有保存：问题请在{MAX_PAIR_QUESTION}字以内，回答在{MAX_PAIR_ANSWER}字以内。")
            return
        saved = [await ctx.svc.qa.put(room, question, answer, ctx.msg.sender.id, ctx.now) for room in rooms]
        first, new = saved[0]
        where = await _where(ctx, rooms, [pair for pair, _ in saved])
        ctx.reply_private(f"✅ 已{'保存' if new else '更新'}问答 #{first.number}{where}：{question}\n"
                          f"群友问到时会自动回复：{answer}")
    else:
        ctx.reply_private(USAGE)


async def _business_rooms(ctx: Context) -> list[str]:
    """The groups a pair is kept for: the group's, or every group of its drop she runs (one business)."""
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id) or await ctx.svc.campaigns.latest_in(ctx.room_id)
    if campaign is None or campaign.drop_id is None:
        return [ctx.room_id]
    rooms = [p.room_id for p in await parts_in_scope(ctx.svc.campaigns, ctx.scope, campaign)]
    return [ctx.room_id, *(r for r in rooms if r != ctx.room_id)]


async def _where(ctx: Context, rooms: list[str], pairs: list[QaPair]) -> str:
    """"（2个群：锦绣1群 #3、锦绣2群 #1）" when a pair is kept in several groups."""
    if len(rooms) < 2:
        return ""
    named = [f"{await ctx.svc.rooms.topic(p.room_id) or p.room_id} #{p.number}" for p in pairs]
    return f"（{len(rooms)}个群：{'、'.join(named)}）"


async def _list(ctx: Context, rooms: list[str]) -> None:
    lines: list[str] = []
    for room in rooms:
        pairs = await ctx.svc.qa.pairs(room)
        topic = await ctx.svc.rooms.topic(room)
        if pairs:
            lines.append(f"📖 {'「' + topic + '」' if topic else '本群'}的问答（{len(pairs)}条）：")
            lines += [f"{p.number}. {p.question} = {p.answer}" for p in pairs]
    if not lines:
        ctx.reply_private("本群还没有问答。\n" + USAGE)
        return
    if len(rooms) > 1:
        first = await ctx.svc.rooms.topic(rooms[0]) or rooms[0]
        lines.append(f"删除、修改按「{first}」的编号，其他群里同一个问题一起改。")
    lines.append("删除：/问答 删除 N；改回答：/问答 修改 N = 新回答")
    ctx.reply_private("\n".join(lines))


async def _change(ctx: Context, rooms: list[str], verb: str, number: int, rest: str) -> None:
    pair = await ctx.svc.qa.by_number(ctx.room_id, number)
    if pair is None:
        ctx.reply_private(f"没有第{number}条问答，发 /问答 查看编号。")
        return
    # The same question in the drop's other groups is the same pair of the business.
    same = [pair] + [p for room in rooms[1:] for p in await ctx.svc.qa.pairs(room)
                     if key_of(p.question) == key_of(pair.question)]
    where = f"（{len(same)}个群）" if len(same) > 1 else ""
    if verb in ("删除", "删"):
        for p in same:
            await ctx.svc.qa.remove(p)
        ctx.reply_private(f"已删除问答 #{number}{where}：{pair.question}")
        return
    answer = rest.lstrip("=＝ ").strip()
    if not answer or len(answer) > MAX_PAIR_ANSWER:
        ctx.reply_private(f"请写上新的回答（{MAX_PAIR_ANSWER}字以内）：/问答 修改 {number} = 新的回答")
        return
    for p in same:
        await ctx.svc.qa.set_answer(p, answer)
    ctx.reply_private(f"✅ 已修改问答 #{number}{where}：{pair.question}\n新的回答：{answer}")


async def _reply(ctx: Context, asked_id: int, answer: str, *, save: bool) -> None:
    asked = await ctx.svc.qa.asked(asked_id)
    allowed = asked is not None and (await scope_in(ctx, asked.room_id)).is_staff
    if asked is None or asked.pair_id is not None or (ctx.msg.room_id not in (None, asked.room_id)):
        ctx.reply_private(f"没有编号 #{asked_id} 的待回答问题（编号见转给你的私信）。")
        return
    if not allowed:
        ctx.reply(_NOT_ADMIN, mention_sender=ctx.msg.room_id is not None)
        return
    if asked.answered:
        ctx.reply_private(f"#{asked_id} 已经回复过了。")
        return
    if not answer or len(answer) > MAX_PAIR_ANSWER:
        ctx.reply_private(f"请写上回答（{MAX_PAIR_ANSWER}字以内）：/问答 回复 {asked_id} 答案")
        return
    post, askers, pair = await reply_to(ctx.svc, asked, answer, ctx.msg.sender.id, ctx.now, save)
    ctx.replies.append(post)
    who = "、".join(dict.fromkeys(a.name for a in askers))
    saved = f"；已存为问答 #{pair.number}，下次有人问自动回答" if pair is not None else ""
    # The group already sees the answer; the confirmation is hers alone.
    ctx.reply_private(f"✅ 已在群里回复{who}{saved}。")


@router.matcher
async def member_question(ctx: Context) -> bool:
    """A member's question: answered from the pairs, gathered as a repeat, or forwarded.

    Never an order: a message that reads as one (even asked as a question,
    "草莓甜吗？甜的话要2盒") is left to ordering, which sends it to the owner."""
    if ctx.msg.room_id is None or ctx.msg.kind is not MessageKind.TEXT or ctx.is_admin:
        return False
    if not looks_like_question(ctx.text) or ("\n" in ctx.text.strip() and parse_copy(ctx.text) is not None):
        return False
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id) or await ctx.svc.campaigns.latest_in(ctx.room_id)
    products = await ctx.svc.campaigns.products(campaign.id) if campaign is not None else []
    if products and parse_order_text(ctx.text, catalog_of(products),
                                     max_qty=ctx.svc.settings.max_qty).action is not Action.NONE:
        return False
    if carries_order(ctx.text):
        if campaign is None or not campaign.is_open:
            return False
        # "草莓甜吗？甜的话要2盒": the owner decides, as for any order asked as a question.
        await ctx.svc.book.apply_intent(campaign, Intent(Action.UNCLEAR, reason="带问句"), ctx.msg.sender.id,
                                        ctx.msg.sender.name, ctx.text, ctx.msg.id, ctx.now)
        example = f"{products[0].name}2{products[0].unit or '份'}" if products else "草莓2盒"
        ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name,
                f"这条又问又订，已转给团长确认；确定要的话直接发「{example}」", urgent=True)
        return True
    # The same catalogue orders are read with: 橘子 names 砂糖橘 in a question as in an order.
    on_sale = catalog_of(products) if campaign is not None and campaign.is_open else ()
    heard = await on_question(ctx.svc, ctx.room_id, ctx.msg.sender, ctx.text, ctx.msg.id, ctx.now, on_sale)
    ctx.replies.extend(heard.posts)
    if heard.schedules_changed:
        ctx.deadlines_changed = True
    return heard.taken
