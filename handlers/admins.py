"""Who may run the owner's commands: /管理员 添加|移除 @某人.

Only member ids count: the @-mentions the service reports, never a display name
typed in the text, so a member renamed to look like the owner gets nothing.
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router

router = Router("admins", section="管理员")


@router.command("管理员", "admin", admin_only=True, help="/管理员 添加|移除 @某人")
async def admins_command(ctx: Context, args: str) -> None:
    words = args.split()
    action = words[0] if words else ""
    targets = [m for m in ctx.msg.mentions if m]
    rooms = ctx.svc.rooms
    if not action:
        names = [await rooms.name_of(ctx.room_id, m) for m in await rooms.admins(ctx.room_id)]
        ctx.reply("本群管理员：" + ("、".join(names) if names else "（无）"))
        return
    if action not in ("添加", "增加", "add", "移除", "删除", "remove") or not targets:
        ctx.reply("用法：/管理员 添加 @某人，/管理员 移除 @某人（要真的@到人）")
        return
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
