"""Which group an owner's private command is about.

With one group there is nothing to pick. With several, `/群` numbers them
(oldest first, so numbers stay put when a group is added) and `/群 2` or a
unique part of a group's name picks the one her private commands apply to
until she picks another (stored, so a restart keeps it). A command may name
the group inline: `/汇总 2群`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.app.context import Context
from bot.app.router import Command, refusal
from bot.parsing.textnorm import nfkc

# "2群" as a word on the command's first line.
_INLINE = re.compile(r"(?:^|\s)(\d{1,3})\s*群(?=\s|$)")


@dataclass(frozen=True)
class Group:
    number: int  # as /群 lists it
    room_id: str
    topic: str


async def her_groups(ctx: Context) -> list[Group]:
    rows = await ctx.svc.rooms.administered_by(ctx.msg.sender.id)
    return [Group(i, room_id, topic or room_id) for i, (room_id, topic) in enumerate(rows, 1)]


def pick(groups: list[Group], words: str) -> Group | list[Group] | None:
    """The group `words` names: its number, or a unique part of its name. A list when several match."""
    words = nfkc(words).strip()
    if words.endswith("群") and words[:-1].strip().isdigit():
        words = words[:-1].strip()
    if words.isdigit():
        return next((g for g in groups if g.number == int(words)), None)
    if not words:
        return None
    found = [g for g in groups if words in nfkc(g.topic)]
    if len(found) == 1:
        return found[0]
    exact = [g for g in found if nfkc(g.topic) == words]
    if len(exact) == 1:
        return exact[0]
    return found or None


def listing(groups: list[Group], current: str | None) -> str:
    lines = [f"{g.number}. {g.topic}{'（当前）' if g.room_id == current else ''}" for g in groups]
    return "\n".join(lines)


def split_inline(args: str) -> tuple[int | None, str]:
    """(2, "30") for "30 2群": the inline group number and the arguments without it."""
    first, sep, rest = args.partition("\n")
    m = _INLINE.search(first)
    if m is None:
        return None, args
    first = (first[: m.start()] + " " + first[m.end():]).strip()
    return int(m.group(1)), first + sep + rest


async def current_group(ctx: Context, groups: list[Group]) -> Group | None:
    """Her picked group while she still runs it; her only group when she has one."""
    focus = await ctx.svc.owner_prefs.focus(ctx.msg.sender.id)
    picked = next((g for g in groups if g.room_id == focus), None)
    if picked is None and len(groups) == 1:
        return groups[0]
    return picked


async def resolve_group(ctx: Context, cmd: Command, args: str) -> tuple[str, str] | None:
    """For the router: the group a private owner command applies to, or None after saying why."""
    name = cmd.names[0]
    groups = await her_groups(ctx)
    if not groups:
        ctx.reply_private(refusal(name))
        return None
    number, rest = split_inline(args)
    if number is not None:
        named = next((g for g in groups if g.number == number), None)
        if named is None:
            ctx.reply_private(f"没有 {number}群。你的群：\n{listing(groups, None)}")
            return None
        return named.room_id, rest
    current = await current_group(ctx, groups)
    if current is None:
        ctx.reply_private(f"你管理{len(groups)}个群，/{name} 用在哪个群？\n{listing(groups, None)}\n"
                          f"发 /群 2 选定一个群（之后的私聊命令都用它），或在命令后写群号，如 /{name} 2群")
        return None
    return current.room_id, rest
