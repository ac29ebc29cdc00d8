"""Commands and matchers, declared per handlers module and included by the app.

A command is `/名字 参数…` (full-width ／ too); a matcher is tried in order on
every other message and returns True when it handled it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.context import Context

CommandFn = Callable[["Context", str], Awaitable[None]]
MatcherFn = Callable[["Context"], Awaitable[bool]]

_COMMAND = re.compile(r"^\s*[/／]\s*(\S+?)(?:[\s\n]+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]
    fn: CommandFn
    admin_only: bool
    help: str


@dataclass
class Router:
    name: str
    commands: list[Command] = field(default_factory=list)
    matchers: list[MatcherFn] = field(default_factory=list)

    def command(self, *names: str, admin_only: bool = False, help: str = "") -> Callable[[CommandFn], CommandFn]:
        def register(fn: CommandFn) -> CommandFn:
            self.commands.append(Command(names, fn, admin_only, help))
            return fn

        return register

    def matcher(self, fn: MatcherFn) -> MatcherFn:
        self.matchers.append(fn)
        return fn


def split_command(text: str) -> tuple[str, str] | None:
    """("开团", "周六水果团\\n草莓 30元/盒") for a command, None otherwise."""
    m = _COMMAND.match(text)
    if m is None:
        return None
    return m.group(1).lower(), (m.group(2) or "").strip()


class Dispatcher:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._matchers: list[MatcherFn] = []

    def include(self, *routers: Router) -> None:
        for router in routers:
            for cmd in router.commands:
                for name in cmd.names:
                    if name in self._commands:
                        raise ValueError(f"command /{name} registered twice")
                    self._commands[name.lower()] = cmd
            self._matchers.extend(router.matchers)

    async def dispatch(self, ctx: Context) -> None:
        parsed = split_command(ctx.text)
        if parsed is not None:
            name, args = parsed
            cmd = self._commands.get(name)
            if cmd is None:
                ctx.reply(f"没有 /{name} 这个命令，发 /帮助 查看可用命令。")
                return
            if cmd.admin_only and not ctx.is_admin:
                ctx.reply(f"抱歉，/{name} 只有团长和管理员可以使用。", mention_sender=True)
                return
            await cmd.fn(ctx, args)
            return
        for matcher in self._matchers:
            if await matcher(ctx):
                return
