"""/帮助: what the bot understands, generated from the commands' and matchers' own `help` and `guide`.

Adding a command with a `help=` line is enough for it to appear here; the template only lays the
sections out. A member gets what members can do (how to order, ask, check her order), where she
asked; an owner or admin gets her commands by task, privately, with a worked /开团 that uses every
kind of line; `/帮助 开团` (any command's name) explains it line by line from its `guide`.
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Command, Router
from bot.parsing.campaign_spec import OPEN_LINES

router = Router("help")


@router.command("帮助", "help", "菜单", help="发「/帮助」查看命令")
async def help_command(ctx: Context, args: str) -> None:
    assert ctx.dispatcher is not None
    admin = ctx.is_admin or (ctx.private and bool(await ctx.svc.rooms.administered_by(ctx.msg.sender.id)))
    topic = ctx.dispatcher.command_named(args.split()[0]) if args.split() else None
    if topic is not None and (admin or not topic.admin_only):
        ctx.reply_private(_explain(topic)) if admin else ctx.reply(_explain(topic))
        return
    sections = [{"title": title, "lines": lines} for title, lines in ctx.dispatcher.help_sections(admin)]
    example = "\n".join(line for line, _ in OPEN_LINES) if admin else ""
    text = await ctx.svc.templates.arender("help", ctx.msg.room_id, sections=sections, example=example)
    if admin:
        ctx.reply_private(text)
    else:
        ctx.reply(text)


def _explain(cmd: Command) -> str:
    """One command, explained: its line, then each kind of line or argument with an example."""
    head = f"📖 /{cmd.names[0]}：{cmd.help.split(' ', 1)[-1] if cmd.help.startswith('/') else cmd.help}"
    if not cmd.guide:
        return head
    lines = [head, "每种行一个例子（除了第一行都可以不写，顺序随意）："]
    for example, meaning in cmd.guide:
        lines += [example, f"  ↳ {meaning}"]
    return "\n".join(lines)
