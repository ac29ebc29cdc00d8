"""Before any command runs: the sender's scope in the business the command touches, on `ctx.scope`.

The rule is bot/domain/scope.py (owner: her groups; admin: the groups of that owner where she is
admin; partner: the same, and her share); this module applies it to a message, once, before the
command's handler runs (bot/app/router.py calls `resolve_scope`):

- A command typed in a group is about that group. An owner command in her private chat is about the
  group bot/app/groups.py picked for it — only ever among the groups she administers: the one chosen
  with `/群 2`, named inline (`/汇总 2群`), or her one open drop for a drop-wide command.
- `Scope.groups` is what she may act on in that group's business; reports, exports, templates and
  statistics see those groups only, and the owner's own figures only when `sees_owner_figures`.
- A `群 …` line (`/开团`, `/定时开团`) names the groups the command applies to (`Scope.targets`): every
  one must be in her scope (the same owner's, and hers to act on), else nothing happens and she is
  told which group is not. `群 全部` means every group of that business she may act on. So one drop
  never spans two owners.
- An owner command (Role.ADMIN) needs a staff scope (owner, admin or partner of the group); anyone
  else gets the one polite refusal. Commands anyone may send (/帮助, /待确认, /问答 …) get the scope
  of the group they were typed in; in a private chat, the few that find their group in their own
  arguments (`/确认 N`, `/问答 回复 N`) ask `scope_in` for that group — the same rule.

A handler never asks `rooms.is_admin` or walks groups itself: it reads `ctx.scope`.
"""

from __future__ import annotations

from bot.app.context import Context
from bot.app.groups import ALL_WORDS, Group, her_groups, listing, named_groups, split_groups_line
from bot.app.router import Command
from bot.domain.scope import Scope, nobody, scope_of, scopes_of
from bot.parsing.textnorm import nfkc

__all__ = ["Scope", "resolve_scope", "scope_in", "staff_scopes"]


async def scope_in(ctx: Context, room_id: str | None) -> Scope:
    """The sender's scope in the business of `room_id` (the one rule; for commands that find their
    group in their arguments)."""
    return await scope_of(ctx.svc.rooms, ctx.msg.sender.id, room_id)


async def staff_scopes(ctx: Context) -> list[Scope]:
    """Her scope in every business she may act in (a private overview across her groups)."""
    return await scopes_of(ctx.svc.rooms, ctx.msg.sender.id)


async def resolve_scope(ctx: Context, cmd: Command, args: str) -> Scope | None:
    """For the router, after the group is known (`ctx.group_id`): the scope the command runs in,
    or None after telling her why it runs nowhere."""
    scope = await scope_in(ctx, ctx.group_id) if ctx.group_id is not None else nobody(ctx.msg.sender.id)
    if not cmd.many_groups or not scope.is_staff:
        return scope
    words, _ = split_groups_line(args)
    if words is None:
        return scope
    groups = await her_groups(ctx)
    if nfkc(words).strip().lower() in ALL_WORDS:
        named: list[Group] | str = [g for g in groups if scope.covers(g.room_id)]
    else:
        named = named_groups(groups, words)
    if isinstance(named, str):
        ctx.reply(named)
        return None
    outside = [g for g in named if not scope.covers(g.room_id)]
    if outside:
        mine = [g for g in groups if scope.covers(g.room_id)]
        ctx.reply(f"没有开团：「{outside[0].topic}」不在你能一起开团的群里（一个团只能开在同一位团长的、"
                  f"你能管理的群里）。可以一起开的群：\n{listing(mine, None)}")
        return None
    return scope.aimed_at(g.room_id for g in named)
