"""Who may run the owner's commands: /管理员 添加|移除 @某人, and her partners (/合伙人).

Only member ids count: the @-mentions the service reports or, where there is no @ (her private
chat), the one member of the group a name, house number or list number names (bot/domain/people.py:
a name that fits several is asked about, never guessed). A member renamed to look like the owner
gets nothing: the name only chooses who the owner means, and the owner cannot be removed.
"""

from __future__ import annotations

import re

from bot.app.context import Context
from bot.app.groups import her_groups, split_inline
from bot.app.router import Router
from bot.domain.partners import rate_text
from bot.domain.people import Ambiguous, Person, find_person, not_found, which_one
from bot.parsing.textnorm import nfkc

router = Router("admins", section="管理员与合伙人")


@router.command("管理员", "admin", admin_only=True,
                help="/管理员 添加|移除 张三（群里可以@她；私聊写名字、门牌号或序号）")
async def admins_command(ctx: Context, args: str) -> None:
    words = args.split()
    action = words[0] if words else ""
    targets = [m for m in ctx.msg.mentions if m]
    rooms = ctx.svc.rooms
    if not action:
        names = [await rooms.name_of(ctx.room_id, m) for m in await rooms.admins(ctx.room_id)]
        ctx.reply("本群管理员：" + ("、".join(names) if names else "（无）"))
        return
    usage = "用法：/管理员 添加 张三，/管理员 移除 张三（群里可以@她；私聊写群昵称、门牌号或列表序号）"
    if action not in ("添加", "增加", "add", "移除", "删除", "remove"):
        ctx.reply(usage)
        return
    if not ctx.scope.is_owner:
        # Who runs her groups is hers to decide: an admin neither adds helpers nor removes another.
        ctx.reply("只有群主（团长）可以添加或移除管理员。")
        return
    if not targets:
        person = await _named(ctx, ctx.room_id, " ".join(words[1:]), f"/管理员 {action} 1", usage)
        if person is None:
            return
        targets = [person.member_id]
    owner = await rooms.owner(ctx.room_id)
    done = []
    for member_id in targets:
        name = await rooms.name_of(ctx.room_id, member_id)
        if action in ("添加", "增加", "add"):
            if not await rooms.is_member(ctx.room_id, member_id):
                done.append(f"{name}不在本群，不能设为管理员")
                continue
            await rooms.add_admin(ctx.room_id, member_id, ctx.msg.sender.id)
            done.append(f"已添加管理员：{name}")
        elif member_id == owner:
            done.append(f"{name}是群主，不能移除")
        elif await rooms.remove_admin(ctx.room_id, member_id):
            done.append(f"已移除管理员：{name}")
        else:
            done.append(f"{name}不是管理员")
    ctx.reply("\n".join(done))


async def _named(ctx: Context, room_id: str, who: str, example: str, usage: str) -> Person | None:
    """The one member of the group `who` names; None after saying why (or asking which one)."""
    if not who.strip():
        ctx.reply(usage)
        return None
    found = await find_person(ctx.svc, ctx.msg.sender.id, who, [room_id])
    if isinstance(found, Ambiguous):
        ctx.reply(await which_one(ctx.svc, ctx.msg.sender.id, found, example, ctx.now))
        return None
    if found is None:
        ctx.reply(not_found(who))
        return None
    return found


_RATE = re.compile(r"(?:佣金|分润|提成)?\s*(\d{1,2}(?:\.\d{1,2})?)\s*[%％]")
_PARTNER_USAGE = ("用法：/合伙人 添加 张三 佣金10%（她管理这个群，按这个群的销售额分润；群里可以@她，"
                  "私聊写群昵称、门牌号或列表序号）；/合伙人 移除 张三；/合伙人 查看本群的合伙人。"
                  "也可以写群号：/合伙人 添加 张三 2群 佣金10%")


@router.command("合伙人", "partner", admin_only=True,
                help="/合伙人 添加 张三 [2群] 佣金10%：她管理这个群，按这个群的销售额分润")
async def partners_command(ctx: Context, args: str) -> None:
    number, args = split_inline(args)
    room_id = ctx.room_id
    if number is not None and not ctx.private:
        named = next((g for g in await her_groups(ctx) if g.number == number), None)
        if named is None or not ctx.scope.covers(named.room_id):
            ctx.reply(f"没有 {number}群，发 /群 查看你的群。")
            return
        room_id = named.room_id
    rooms = ctx.svc.rooms
    if not ctx.scope.is_owner:
        ctx.reply("只有群主（团长）可以设合伙人。")
        return
    words = args.split()
    action = words[0] if words else ""
    targets = [m for m in ctx.msg.mentions if m]
    group = await rooms.topic(room_id) or room_id
    if not action:
        partners = await rooms.partners(room_id)
        names = [f"{await rooms.name_of(room_id, m)}（{rate_text(bp)}）" for m, bp in partners]
        ctx.reply(f"「{group}」的合伙人：" + ("、".join(names) if names else "（无）"))
        return
    rate = _RATE.search(nfkc(args))
    adding = action in ("添加", "增加", "add")
    if not ((adding and rate) or action in ("移除", "删除", "remove")):
        ctx.reply(_PARTNER_USAGE)
        return
    if not targets:
        who = _RATE.sub(" ", nfkc(" ".join(words[1:]))).strip()
        rate_word = f" 佣金{rate.group(1)}%" if rate else ""
        person = await _named(ctx, room_id, who, f"/合伙人 {action} 1{rate_word}", _PARTNER_USAGE)
        if person is None:
            return
        targets = [person.member_id]
    done = []
    for member_id in targets:
        name = await rooms.name_of(room_id, member_id)
        if adding and rate is not None:
            bp = round(float(rate.group(1)) * 100)
            await rooms.add_partner(room_id, member_id, bp, ctx.msg.sender.id, ctx.now.isoformat())
            done.append(f"✅ {name} 是「{group}」的合伙人了，分润{rate_text(bp)}（按这个群的销售额）；"
                        "她可以管理这个群的团，私聊 /汇总 只看到这个群的数字。")
        elif await rooms.remove_partner(room_id, member_id):
            done.append(f"已移除「{group}」的合伙人：{name}")
        else:
            done.append(f"{name}不是「{group}」的合伙人")
    ctx.reply("\n".join(done))
