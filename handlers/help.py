"""/帮助: what the bot understands, generated from the commands' and matchers' own `help`.

Adding a command with a `help=` line is enough for it to appear here; the
template only lays the sections out. Members get how to order, in the group;
an owner or admin gets her commands too, privately (the group stays quiet).
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router

router = Router("help")


@router.command("帮助", "help", "菜单", help="发「/帮助」查看命令")
async def help_command(ctx: Context, args: str) -> None:
    assert ctx.dispatcher is not None
    admin = ctx.is_admin or (ctx.private and bool(await ctx.svc.rooms.administered_by(ctx.msg.sender.id)))
    sections = [{"title": title, "lines": lines} for title, lines in ctx.dispatcher.help_sections(admin)]
    text = await ctx.svc.templates.arender("help", ctx.msg.room_id, sections=sections)
    if admin:
        ctx.reply_private(text)
    else:
        ctx.reply(text)
