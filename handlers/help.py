"""/帮助: what the bot understands."""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router

router = Router("help")


@router.command("帮助", "help", "菜单", help="/帮助 查看命令")
async def help_command(ctx: Context, args: str) -> None:
    ctx.reply(ctx.svc.templates.render("help", ctx.msg.room_id))
