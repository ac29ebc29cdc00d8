"""An interactive group chat in the terminal: speak as the owner or any member.

    团长: /开团 周六水果团\n草莓 30元/盒
    张三: 草莓2盒
    私聊 团长: /汇总          (团长 writes to the bot in her private chat)

`\n` typed in a line is a line break; a line ending in `\\` continues on the
next. `@名字` mentions a member by name, as WeChat would report it.

The console has no real accounts, so a name is the identity here: `李四` is
member `console_李四` in every run, and after a restart her orders are hers.
Message ids carry a mark of the run, so a restarted console is never taken for
a re-delivery of what an earlier run said.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import itertools
import os
import re
import secrets
import sys
from typing import IO

from bot.clock import Clock
from bot.models import Member, Message, Outgoing, RoomInfo, RoomSeen
from bot.transports.base import EventHandler

ROOM_ID = "console"
OWNER = Member("owner", "团长")
PRIVATE = "私聊"
_SPEAKER = re.compile(r"^\s*([^:：\s][^:：]{0,23})\s*[:：]\s?(.*)$", re.DOTALL)
_MENTION = re.compile(r"@([^\s@\u2005]+)")
NO_SPEAKER = "⚠️ 没有发出：每行先写是谁说的，例如「张三: 草莓2盒」（团长是群主；「私聊 团长: /汇总」是私聊）。"


def member_id(name: str) -> str:
    """The same name is the same member, in this run and the next."""
    return OWNER.id if name == OWNER.name else f"console_{name}"


class ConsoleTransport:
    name = "console"

    def __init__(self, clock: Clock, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> None:
        self.clock = clock
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._members: dict[str, Member] = {OWNER.name: OWNER}
        self._run = secrets.token_hex(8)
        self._ids = itertools.count(1)
        self._stopped = False
        self._stopping = asyncio.Event()
        self._reader: _Lines | None = None

    def _member(self, name: str) -> Member:
        if name not in self._members:
            self._members[name] = Member(member_id(name), name)
        return self._members[name]

    async def _readline(self) -> str:
        """The next line typed ("" at the end of input, or once stop() is called).

        A terminal or a pipe is watched by the event loop, so Ctrl-C and SIGTERM end the
        console at once, even while it waits for a line (a thread blocked in readline could
        not be interrupted). Anything else (a file, a test's StringIO) never blocks for long
        and is read in a worker thread."""
        if self._reader is None:
            self._reader = _Lines.open(self.stdin)
        if self._reader is None:
            return await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        read = asyncio.ensure_future(self._reader.next())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({read, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not read.done():
                read.cancel()
        return read.result() if read.done() and not read.cancelled() else ""

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def run(self, on_event: EventHandler) -> None:
        self._print("接龙团购助手 · 控制台群聊。每行「名字: 内容」，团长是群主；\\n 换行，Ctrl-D 退出。")
        self._print("例：团长: /开团 周六水果团\\n草莓 30元/盒\\n砂糖橘 25元/箱    然后    张三: 草莓2盒")
        self._print("私聊：「私聊 团长: /汇总」是团长私聊机器人；金额、统计、导出都私聊回复。")
        self._print("下单确认会合并发：群里安静时几秒内；机器人刚说过话时，每人5分钟内收到（有问题的1分钟内）。")
        await on_event(RoomSeen(RoomInfo(ROOM_ID, "控制台演示群", OWNER.id, (OWNER,)), self.clock.now()))
        buffer = ""
        while not self._stopped:
            line = await self._readline()
            if not line:
                break
            line = line.rstrip("\n")
            if line.endswith("\\") and not line.endswith("\\\\"):
                buffer += line[:-1] + "\n"
                continue
            text = (buffer + line).replace("\\n", "\n")
            buffer = ""
            if not text.strip():
                continue
            m = _SPEAKER.match(text)
            if m is None or "\n" in m.group(1):
                # Never booked to whoever spoke last (or to 团长): a name is who orders, and guessing
                # one is how an order lands on the wrong neighbour.
                self._print(NO_SPEAKER)
                continue
            private = False
            name = m.group(1).strip()
            # "私聊 团长: …" is 团长 writing to the bot privately.
            if name.startswith(PRIVATE) and name[len(PRIVATE):].strip():
                private, name = True, name[len(PRIVATE):].strip()
            speaker, text = self._member(name), m.group(2)
            # A name is an identity here, so @李四 reaches her even before she speaks in this run.
            mentions = tuple(member_id(n) for n in _MENTION.findall(text))
            await on_event(Message(id=f"console-{self._run}-{next(self._ids)}", ts=self.clock.now(), sender=speaker,
                                   text=text, room_id=None if private else ROOM_ID,
                                   mentions=() if private else mentions))

    async def send(self, out: Outgoing) -> None:
        names = {m.id: m.name for m in self._members.values()}
        where = f"私聊 {names.get(out.to, out.to)}" if out.to else "群"
        body = out.text.replace("\n", "\n    ")
        if out.file is not None:
            # A terminal cannot hand over a file: say where it is.
            body += f"\n    📎 {out.file.path or out.file.name}"
        self._print(f"🤖 [{where}] {body}")

    async def stop(self) -> None:
        self._stopped = True
        self._stopping.set()
        if self._reader is not None:
            self._reader.close()


class _Lines:
    """Lines from a file descriptor the event loop can watch (a terminal, a pipe), UTF-8."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._eof = False
        self._ready = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(fd, self._readable)

    @classmethod
    def open(cls, stream: IO[str]) -> _Lines | None:
        try:
            fd = stream.fileno()
            return cls(fd)
        except (AttributeError, OSError, ValueError):
            # No descriptor (a StringIO), or one epoll cannot watch (a regular file: never blocks).
            return None

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._buffer += self._decoder.decode(b"", final=True)
            self._eof = True
            self.close()
        else:
            self._buffer += self._decoder.decode(data)
        self._ready.set()

    async def next(self) -> str:
        while True:
            cut = self._buffer.find("\n")
            if cut >= 0:
                line, self._buffer = self._buffer[: cut + 1], self._buffer[cut + 1:]
                return line
            if self._eof:
                line, self._buffer = self._buffer, ""
                return line
            self._ready.clear()
            await self._ready.wait()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._fd)
