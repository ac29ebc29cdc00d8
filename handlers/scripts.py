"""/话术: an owner replaces the bot's text of one kind for her group.

A new template is tried on sample data before it is accepted, in the template
worker (bot/render/sandbox.py: jinja2's sandbox on a budget of time, memory and
output, with undefined names as errors); a refusal says which line failed and why.
The 汇总 template is the owner's own totals: only she changes it (bot/domain/scope.py).
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.router import Router
from bot.render.templates import KINDS, OWNER_KINDS, kind_named, variables_of

router = Router("scripts", section="定时与话术")

USAGE = ("用法：\n/话术 查看 预告\n/话术 设置 预告\n（下一行起写新的话术，可用 {{ title }}、{{ open_at | when }} 等）\n"
         "/话术 恢复 预告\n可改的话术：" + "、".join(aliases[0] for aliases in KINDS.values()))


@router.command("话术", "script", admin_only=True, help="/话术 查看|设置|恢复 类型")
async def scripts_command(ctx: Context, args: str) -> None:
    first, _, body = args.partition("\n")
    words = first.split()
    if len(words) < 2:
        ctx.reply(USAGE)
        return
    action, name = words[0], words[1]
    kind = kind_named(name)
    if kind is None:
        ctx.reply(f"没有「{name}」这种话术。\n" + USAGE)
        return
    templates, room = ctx.svc.templates, ctx.room_id
    label = KINDS[kind][0]
    if action not in ("查看", "view") and kind in OWNER_KINDS and not ctx.scope.is_owner:
        ctx.reply(f"【{label}】是团长自己的汇总，只有团长可以改。")
        return
    if action in ("查看", "view"):
        own = templates.override(room, kind)
        which = "本群自定义" if own is not None else "默认"
        broken = templates.broken(room, kind)
        note = f"（它出过错：{broken}；现在用的是默认话术，改好后重新设置）" if broken and own is not None else ""
        ctx.reply(f"【{label}】{which}话术{note}：\n{own if own is not None else templates.source(kind)}\n——\n"
                  + variables_of(kind))
    elif action in ("设置", "set"):
        # The text may start on the command line itself or on the next line.
        text = "\n".join(part for part in (" ".join(words[2:]), body) if part).strip("\n")
        if not text.strip():
            ctx.reply(f"请在「/话术 设置 {name}」的下一行起写新的话术。")
            return
        # Tried in the template worker, on its budget: a runaway template is refused, the bot goes on.
        problem = await templates.acheck(kind, text)
        if problem is not None:
            ctx.reply(f"这段话术没有保存，用示例数据试了一下出错：{problem}")
            return
        await ctx.svc.owner_templates.put(room, kind, text, ctx.msg.sender.id, ctx.now)
        ctx.after_commit.append(lambda: templates.set_override(room, kind, text))
        ctx.reply(f"✅ 已保存本群的【{label}】话术。")
    elif action in ("恢复", "reset"):
        if await ctx.svc.owner_templates.delete(room, kind):
            ctx.after_commit.append(lambda: templates.clear_override(room, kind))
            ctx.reply(f"已恢复默认的【{label}】话术。")
        else:
            ctx.reply(f"【{label}】本来就是默认话术。")
    else:
        ctx.reply(USAGE)
