"""Commands and matchers, declared per handlers module with who may use them, where, and who hears the answer.

In the spirit of aiogram 3 filters and nonebot2 matchers (permission + priority),
kept small: a command is `/名字 参数…` (full-width ／ too) and declares

- `role`: MEMBER (anyone) or ADMIN (the group's owner or an admin). An ADMIN
  command always applies to one group: the group it was typed in or, in a
  private chat, the group the owner picked (bot/app/groups.py);
- `chat`: where it may be typed (GROUP, PRIVATE or ANY);
- `answer`: where `ctx.reply` goes: HERE (where it was typed) or OWNER (the
  sender's private chat). ADMIN commands answer the owner by default, so money,
  debts, statistics, schedules and template sources never reach a group; what
  members need is posted to the group explicitly (`ctx.post`, or an Outgoing
  with the room);
- `filters`: extra conditions, e.g. OPEN_CAMPAIGN, each with the line said when
  it fails;
- `help`: the line /帮助 shows, under its router's `section`;
- `many_groups`: it may carry a line `群 1群 2群` (or `群 全部`) naming several
  groups; in a private chat that line, not the picked group, says where it applies;
- `whole_drop`: it applies to a whole drop (/汇总, /截单, /导出, /到货): in a
  private chat, when her only open (else latest) campaign is one drop across
  several groups, no picking.

A matcher is tried on every message that is not a command, by `priority`
(lower first; equal priorities keep the order routers were included in), when
its `chat`, `role` and filters allow; it returns True when it handled the message.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum, Flag, auto
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from bot.app.context import Context
    from bot.domain.scope import Scope

CommandFn = Callable[["Context", str], Awaitable[None]]
MatcherFn = Callable[["Context"], Awaitable[bool]]
Check = Callable[["Context"], Awaitable[bool]]
# Picks the group a private ADMIN command applies to: (group id, args left) or None after saying why.
GroupResolver = Callable[["Context", "Command", str], Awaitable[tuple[str, str] | None]]
# The sender's scope for the command (bot/app/scope.py), or None after saying why it runs nowhere.
ScopeResolver = Callable[["Context", "Command", str], Awaitable["Scope | None"]]

_COMMAND = re.compile(r"^\s*[/／]\s*(\S+?)(?:[\s\n]+(.*))?$", re.DOTALL)
DEFAULT_PRIORITY = 50


class Chat(Flag):
    GROUP = auto()
    PRIVATE = auto()
    ANY = GROUP | PRIVATE


class Role(Enum):
    MEMBER = "member"
    ADMIN = "admin"


class Answer(Enum):
    HERE = "here"  # where the message was typed
    OWNER = "owner"  # privately, to whoever typed it


@dataclass(frozen=True)
class Filter:
    """A named condition; `refusal` is said when a command fails it (matchers just pass)."""

    name: str
    check: Check
    refusal: str = ""


async def _has_open_campaign(ctx: Context) -> bool:
    return ctx.group_id is not None and await ctx.svc.campaigns.open_in(ctx.group_id) is not None


OPEN_CAMPAIGN = Filter("an open campaign", _has_open_campaign, "现在没有进行中的团。")


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]
    fn: CommandFn
    help: str = ""
    role: Role = Role.MEMBER
    chat: Chat = Chat.ANY
    answer: Answer = Answer.HERE
    filters: tuple[Filter, ...] = ()
    section: str = ""
    # Takes a "群 1群 2群" line naming the groups it applies to (a drop sold in several groups).
    many_groups: bool = False
    # Applies to a whole drop: privately, her one drop open across several groups needs no picking.
    whole_drop: bool = False
    # What /帮助 <name> explains: (an example, what it means), one per kind of line or argument.
    guide: tuple[tuple[str, str], ...] = ()

    @property
    def admin_only(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class Matcher:
    fn: MatcherFn
    priority: int = DEFAULT_PRIORITY
    chat: Chat = Chat.ANY
    role: Role = Role.MEMBER
    filters: tuple[Filter, ...] = ()
    help: str = ""  # a line for members in /帮助 (how to order, how to ask)


@dataclass
class Router:
    name: str
    section: str = ""  # the /帮助 heading of its commands
    commands: list[Command] = field(default_factory=list)
    matchers: list[Matcher] = field(default_factory=list)

    def command(self, *names: str, admin_only: bool = False, role: Role | None = None, chat: Chat = Chat.ANY,
                answer: Answer | None = None, filters: tuple[Filter, ...] = (),
                help: str = "", many_groups: bool = False, whole_drop: bool = False,
                guide: tuple[tuple[str, str], ...] = ()) -> Callable[[CommandFn], CommandFn]:
        """`admin_only=True` is short for role=Role.ADMIN; an ADMIN command answers the owner unless told."""
        who = role or (Role.ADMIN if admin_only else Role.MEMBER)
        where = answer or (Answer.OWNER if who is Role.ADMIN else Answer.HERE)

        def register(fn: CommandFn) -> CommandFn:
            self.commands.append(Command(names, fn, help, who, chat, where, filters, self.section, many_groups,
                                         whole_drop, guide))
            return fn

        return register

    @overload
    def matcher(self, fn: MatcherFn) -> MatcherFn: ...

    @overload
    def matcher(self, *, priority: int = DEFAULT_PRIORITY, chat: Chat = Chat.ANY, role: Role = Role.MEMBER,
                filters: tuple[Filter, ...] = (), help: str = "") -> Callable[[MatcherFn], MatcherFn]: ...

    def matcher(self, fn: MatcherFn | None = None, *, priority: int = DEFAULT_PRIORITY, chat: Chat = Chat.ANY,
                role: Role = Role.MEMBER, filters: tuple[Filter, ...] = (),
                help: str = "") -> Callable[[MatcherFn], MatcherFn] | MatcherFn:
        """`@router.matcher` or `@router.matcher(priority=10, chat=Chat.GROUP, help=...)`."""

        def register(f: MatcherFn) -> MatcherFn:
            self.matchers.append(Matcher(f, priority, chat, role, filters, help))
            return f

        return register(fn) if fn is not None else register


def split_command(text: str) -> tuple[str, str] | None:
    """("开团", "周六水果团\\n草莓 30元/盒") for a command, None otherwise."""
    m = _COMMAND.match(text)
    if m is None:
        return None
    return m.group(1).lower(), (m.group(2) or "").strip()


def _chat_of(ctx: Context) -> Chat:
    return Chat.PRIVATE if ctx.msg.room_id is None else Chat.GROUP


def refusal(name: str) -> str:
    # The same words in a group and in private, and never a figure: a member learns nothing from it.
    return f"抱歉，/{name} 只有团长和管理员可以使用。"


class Dispatcher:
    def __init__(self, resolve_group: GroupResolver | None = None,
                 resolve_scope: ScopeResolver | None = None) -> None:
        self._commands: dict[str, Command] = {}
        self._matchers: list[Matcher] = []
        self._resolve_group = resolve_group
        self._resolve_scope = resolve_scope
        self.commands: list[Command] = []  # in the order included: /帮助 lists them so

    def include(self, *routers: Router) -> None:
        for router in routers:
            for cmd in router.commands:
                for name in cmd.names:
                    if name.lower() in self._commands:
                        raise ValueError(f"command /{name} registered twice")
                    self._commands[name.lower()] = cmd
                self.commands.append(cmd)
            self._matchers.extend(router.matchers)
        # sorted() is stable: equal priorities keep the order of inclusion.
        self._matchers = sorted(self._matchers, key=lambda m: m.priority)

    @property
    def matchers(self) -> list[Matcher]:
        return list(self._matchers)

    async def dispatch(self, ctx: Context) -> None:
        parsed = split_command(ctx.text)
        if parsed is not None:
            await self._command(ctx, *parsed)
            return
        chat = _chat_of(ctx)
        for matcher in self._matchers:
            if not chat & matcher.chat or (matcher.role is Role.ADMIN and not ctx.is_admin):
                continue
            if not all([await f.check(ctx) for f in matcher.filters]):
                continue
            if await matcher.fn(ctx):
                return

    async def _command(self, ctx: Context, name: str, args: str) -> None:
        cmd = self._commands.get(name)
        if cmd is None:
            ctx.reply(f"没有 /{name} 这个命令，发 /帮助 查看可用命令。")
            return
        if cmd.answer is Answer.OWNER:
            ctx.answer_private = True
        if not _chat_of(ctx) & cmd.chat:
            ctx.reply(f"/{name} 请在{'和我的私聊' if cmd.chat is Chat.PRIVATE else '群'}里发。")
            return
        if cmd.role is Role.ADMIN:
            if ctx.msg.room_id is None:
                if self._resolve_group is None:
                    ctx.reply(refusal(name))
                    return
                picked = await self._resolve_group(ctx, cmd, args)
                if picked is None:
                    return  # the resolver said why: not her group, or which one
                ctx.group_id, args = picked
                ctx.is_admin = True  # among the groups she administers; the scope below says what of them
            elif not ctx.is_admin:
                # A member's refusal stays where she typed it: she needs to know, and it holds no figures.
                ctx.answer_private = False
                ctx.reply(refusal(name), mention_sender=True)
                return
        if self._resolve_scope is not None:
            # One rule, before any command runs: what she may act on and what this command applies to.
            scope = await self._resolve_scope(ctx, cmd, args)
            if scope is None:
                return  # the resolver said why
            ctx.scope = scope
            if cmd.role is Role.ADMIN:
                if not scope.is_staff:
                    ctx.reply(refusal(name))
                    return
                ctx.is_admin = True
        for f in cmd.filters:
            if not await f.check(ctx):
                ctx.reply(f.refusal or f"/{name} 现在不能用。")
                return
        await cmd.fn(ctx, args)
        if ctx.private and ctx.group_id is not None:
            await _confirm_group_posts(ctx)

    def command_named(self, name: str) -> Command | None:
        return self._commands.get(name.strip().lstrip("/／").lower())

    def help_sections(self, admin: bool) -> list[tuple[str, list[str]]]:
        """/帮助's sections, from the commands' and matchers' own `help`. A member gets what members can
        do (the matchers' lines and commands without a section); the owner gets her commands by task
        (each router's section, in the order the routers were included), members' lines last."""
        # Ordering first (the catch-all matchers come last by priority), then asking.
        member = [m.help for m in sorted(self._matchers, key=lambda m: -m.priority) if m.help
                  and m.role is Role.MEMBER]
        member += [c.help for c in self.commands if c.help and c.role is Role.MEMBER and not c.section]
        if not admin:
            return [("怎么下单", member)] if member else []
        sections: dict[str, list[str]] = {}
        for c in self.commands:
            if c.help and (c.role is Role.ADMIN or c.section):
                sections.setdefault(c.section or "团长/管理员", []).append(c.help)
        sections["团员可以做的"] = member
        return [(title, lines) for title, lines in sections.items() if lines]


async def _confirm_group_posts(ctx: Context) -> None:
    """A private command that posted in a group tells her so: she cannot see the group from here."""
    posts = [o for o in ctx.replies if o.room_id == ctx.group_id]
    if not posts or any(o.to == ctx.msg.sender.id for o in ctx.replies):
        return
    topic = await ctx.svc.rooms.topic(ctx.room_id) or ctx.room_id
    first = posts[0].text.strip().split("\n")[0][:40]
    more = f"（共{len(posts)}条）" if len(posts) > 1 else ""
    ctx.reply_private(f"✅ 已发到「{topic}」{more}：{first}")
