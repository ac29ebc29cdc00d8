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
from datetime import datetime

from bot.app.context import Context
from bot.app.router import Command, refusal
from bot.parsing.quantity import small_int
from bot.parsing.textnorm import nfkc
from bot.parsing.timeparse import ImpossibleTime, strict_when

# "2群" as a word on the command's first line.
_INLINE = re.compile(r"(?:^|\s)(\d{1,3})\s*群(?=\s|$)")
# A line "群 锦绣1群 锦绣2群" / "群 1 2" / "群 全部" under /开团: the groups one drop is sold in.
_GROUPS_LINE = re.compile(r"^\s*群[\s:：]+(\S.*)$")
# "自提 1群 南门驿站 周六9-12点" / "截单 2群 11-21 18:00": one group's own pickup point or deadline in a drop.
_GROUP_LINE = {
    "自提": re.compile(r"^\s*(?:自提|取货)[\s:：]+(\S+)\s+(\S.*)$"),
    "截单": re.compile(r"^\s*(?:截单|截止)[\s:：]+(\S+)\s+(\S.*)$"),
}
_WORDS = re.compile(r"[\s,，、;；]+")
ALL_WORDS = ("全部", "所有", "所有群", "全部群", "all")


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
    if words.endswith("群") and small_int(words[:-1]) is not None:
        words = words[:-1].strip()
    if (number := small_int(words)) is not None:
        return next((g for g in groups if g.number == number), None)
    if not words:
        return None
    found = [g for g in groups if words in nfkc(g.topic)]
    if len(found) == 1:
        return found[0]
    exact = [g for g in found if nfkc(g.topic) == words]
    if len(exact) == 1:
        return exact[0]
    return found or None


def split_groups_line(args: str) -> tuple[str | None, str]:
    """("锦绣1群 锦绣2群", the arguments without that line) when a line after the first starts with 群."""
    lines = args.split("\n")
    for i, line in enumerate(lines[1:], 1):
        m = _GROUPS_LINE.match(nfkc(line))
        if m is not None:
            return m.group(1).strip(), "\n".join(lines[:i] + lines[i + 1:])
    return None, args


def named_groups(groups: list[Group], words: str) -> list[Group] | str:
    """The groups a 群 line names (numbers from /群, names or unique parts, or 全部), in the order
    written; or the one line that says which word named no group or several."""
    if not groups:
        return "你还没有管理的群：把我拉进群并设为团长或管理员后再开团。"
    if nfkc(words).strip().lower() in ALL_WORDS:
        return groups
    found: dict[str, Group] = {}
    for word in (w for w in _WORDS.split(words) if w):
        hit = pick(groups, word)
        if hit is None:
            return f"没有找到「{word}」这个群，没有开团。你的群：\n{listing(groups, None)}"
        if isinstance(hit, list):
            names = "、".join(g.topic for g in hit)
            return f"「{word}」对应多个群（{names}），请写得更完整或用 /群 的编号，没有开团。"
        found.setdefault(hit.room_id, hit)
    if not found:
        return f"群 这一行没有写群名。你的群：\n{listing(groups, None)}"
    return list(found.values())


def split_group_pickups(args: str, groups: list[Group], named: list[Group],
                        option: str = "自提") -> tuple[dict[str, str], str]:
    """Per-group option lines of a drop (`option`: 自提 or 截单): ({room id: the rest of its line}, the
    arguments without those lines). A line whose first word is not one of the drop's groups is the
    drop's own, left in place."""
    rooms = {g.room_id for g in named}
    pickups: dict[str, str] = {}
    kept: list[str] = []
    for i, line in enumerate(args.split("\n")):
        m = _GROUP_LINE[option].match(nfkc(line)) if i else None
        hit = pick(groups, m.group(1)) if m is not None else None
        if m is not None and isinstance(hit, Group) and hit.room_id in rooms:
            pickups[hit.room_id] = m.group(2).strip()
            continue
        kept.append(line)
    return pickups, "\n".join(kept)


@dataclass(frozen=True)
class DropGroups:
    """Where an opening goes: its rooms, and the 自提 lines it gave each group (taken out of `body`)."""

    rooms: list[str]
    body: str
    pickups: dict[str, str]
    groups: list[Group]  # her groups, when a 群 line named some; else empty
    named: list[Group]


async def drop_groups(ctx: Context, args: str) -> DropGroups | str:
    """The groups a /开团 or /定时开团 names with its 群 line (just this group without one), or the
    one line that says why not. Which groups the line names was decided, and checked against her
    scope, before the command ran (bot/app/scope.py): `ctx.scope.targets`."""
    words, body = split_groups_line(args)
    if words is None:
        return DropGroups([ctx.room_id], body, {}, [], [])
    groups = await her_groups(ctx)
    by_room = {g.room_id: g for g in groups}
    named = [by_room[room] for room in ctx.scope.targets if room in by_room]
    if not named or not ctx.scope.covers_all(g.room_id for g in named):
        return "没有开团：群 这一行里有不能一起开团的群。"
    pickups, body = split_group_pickups(body, groups, named)
    return DropGroups([g.room_id for g in named], body, pickups, groups, named)


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


async def _her_open_drop(ctx: Context, groups: list[Group]) -> Group | None:
    """The first group of the one drop she has open across several groups, when that is all she has open;
    with nothing open, when her groups' latest campaigns are all that one drop (for /到货 after the close)."""
    found = [(g, c) for g in groups if (c := await ctx.svc.campaigns.open_in(g.room_id)) is not None]
    if not found:
        found = [(g, c) for g in groups if (c := await ctx.svc.campaigns.latest_in(g.room_id)) is not None]
    drops = {c.drop_id for _, c in found}
    if len(drops) != 1 or None in drops:
        return None
    return found[0][0]


async def resolve_group(ctx: Context, cmd: Command, args: str) -> tuple[str, str] | None:
    """For the router: the group a private owner command applies to, or None after saying why."""
    name = cmd.names[0]
    groups = await her_groups(ctx)
    if not groups:
        ctx.reply_private(refusal(name))
        return None
    if cmd.many_groups:
        words, _ = split_groups_line(args)
        if words is not None:
            if nfkc(words).strip().lower() in ALL_WORDS:
                # Every group of one business (bot/app/scope.py): her own, when she owns any.
                owned = [g for g in groups if await ctx.svc.rooms.owner(g.room_id) == ctx.msg.sender.id]
                return (owned or groups)[0].room_id, args
            several = named_groups(groups, words)
            if isinstance(several, str):
                ctx.reply_private(several)
                return None
            # Its first group is the business the scope is resolved in; the scope checks the others.
            return several[0].room_id, args
    number, rest = split_inline(args)
    if number is not None:
        named = next((g for g in groups if g.number == number), None)
        if named is None:
            ctx.reply_private(f"没有 {number}群。你的群：\n{listing(groups, None)}")
            return None
        return named.room_id, rest
    current = await current_group(ctx, groups)
    if current is None and cmd.whole_drop:
        current = await _her_open_drop(ctx, groups)
    if current is None:
        ctx.reply_private(f"你管理{len(groups)}个群，/{name} 用在哪个群？\n{listing(groups, None)}\n"
                          f"发 /群 2 选定一个群（之后的私聊命令都用它），或在命令后写群号，如 /{name} 2群")
        return None
    return current.room_id, rest


def group_deadlines(drop: DropGroups, now: datetime, after: datetime | None = None
                    ) -> tuple[dict[str, datetime], str] | str:
    """A drop's own 截单 lines per group ("截单 2群 11-21 18:00"), for /开团 and /定时开团 alike:
    ({room id: its deadline}, the body without those lines), or the one line that says why not. Each
    time must be still to come, and after `after` (a planned opening) when given."""
    if not drop.named:
        return {}, drop.body
    written, body = split_group_pickups(drop.body, drop.groups, drop.named, "截单")
    closes: dict[str, datetime] = {}
    for room, text in written.items():
        try:
            at = strict_when(text, now)
        except ImpossibleTime:
            at = None
        if at is None or at <= now or (after is not None and at <= after):
            return f"「截单 … {text}」的时间看不懂或已经过了" + ("，或不在开团时间之后" if after else "")
        closes[room] = at
    return closes, body
