"""Drives the real App through a recording transport, on a clock the test controls."""

from __future__ import annotations

import atexit
import contextlib
import io
import itertools
import json
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from bot.app.pipeline import App
from bot.clock import DEFAULT_TZ, ManualClock
from bot.domain.services import Services, Settings
from bot.models import Member, Message, MessageKind, Outgoing, RoomInfo, RoomSeen, Tick
from bot.render.export import order_book
from bot.render.templates import Templates
from bot.routers import build_dispatcher
from storage.db import Database

MEMBERS = {
    "wx_owner": "王姐(团长)",
    "wx_zhang": "张三",
    "wx_li": "李四",
    "wx_wang": "王五",
    "wx_zhao": "赵六",
}

START = datetime(2026, 11, 20, 8, 0, 0, tzinfo=DEFAULT_TZ)


@dataclass
class RecordingTransport:
    """Records every send with the clock's time, like the replay printer."""

    clock: ManualClock
    sent: list[tuple[datetime, Outgoing]] = field(default_factory=list)
    fail_next: int = 0

    async def send(self, out: Outgoing) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("send failed")
        self.sent.append((self.clock.now(), out))


_template: Path | None = None


def _template_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="jielong-tests-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder / "migrated.sqlite"


def _copy_if_new(template: Path, path: Path) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)


async def _migrated(path: Path) -> Path:
    """`path` made a new database, as Database.open makes one, by copying one made once per run:
    the migrations take three times as long as the rest of a harness's start, hundreds of times a
    run. (Each migration still runs in every run, on the template; tests/reliability/test_storage.py
    and the command-line tests open databases from nothing.) An existing `path` is a restart."""
    global _template
    if _template is None:
        template = _template_folder()
        db = await Database.open(template)
        await db.close()
        _template = template
    _copy_if_new(_template, path)
    return path


class _CompiledTemplates(BytecodeCache):
    """jinja2's compiled default templates, kept for the run: each harness has its own Templates (an
    owner's templates are per database), and compiling the same defaults again took longer than the
    rest of a typical test's messages. jinja2 checks each entry against the template's source."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class Harness:
    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        self.clock = ManualClock(START)
        self.transport = RecordingTransport(self.clock)
        self.svc = Services.build(db, settings or Settings(), Templates(bytecode_cache=_COMPILED))
        self.app = App(self.svc, self.clock, self.transport.send, build_dispatcher(),
                       wait_for_background=True)
        self._ids = itertools.count(1)
        self.now = START

    @classmethod
    async def create(cls, path: Path, settings: Settings | None = None, room: str = "r1") -> Harness:
        h = cls(await Database.open(await _migrated(path)), settings)
        await h.svc.load_owner_templates()
        await h.room(room)
        return h

    async def room(self, room_id: str, owner: str = "wx_owner") -> None:
        members = tuple(Member(i, n) for i, n in MEMBERS.items())
        await self.app.on_event(RoomSeen(RoomInfo(room_id, "阳光花园水果团购群", owner, members)))

    async def say(self, member: str, text: str, *, room: str | None = "r1", after: float = 10,
                  mentions: tuple[str, ...] = (), msg_id: str | None = None, name: str | None = None,
                  kind: MessageKind = MessageKind.TEXT) -> str:
        """`member` says `text`, `after` seconds after the previous message."""
        self.now += timedelta(seconds=after)
        mid = msg_id or f"m{next(self._ids)}"
        msg = Message(id=mid, ts=self.now, sender=Member(member, name or MEMBERS.get(member, member)),
                      text=text, room_id=room, kind=kind, mentions=mentions)
        await self.app.on_event(msg)
        # Deferred work (an export) is done before the test looks, as a replay does before the next line.
        await self.app.finish_background()
        return mid

    async def redeliver(self, member: str, text: str, msg_id: str, room: str = "r1") -> None:
        msg = Message(id=msg_id, ts=self.now, sender=Member(member, MEMBERS.get(member, member)), text=text,
                      room_id=room)
        await self.app.on_event(msg)

    async def wait(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await self.app.on_event(Tick(self.now))

    async def settle(self) -> None:
        """Lets time pass until every acknowledgement still gathering has gone out (a few seconds in a
        group the bot has been quiet in, up to the 5-minute promise in a busy one)."""
        await self.wait(self.svc.settings.ack_window.total_seconds() + 1)
        for _ in range(100):
            due = self.app.acks.next_due()
            if due is None:
                return
            await self.wait(max((due - self.now).total_seconds(), 0) + 1)
        raise AssertionError("acknowledgements kept gathering")

    def texts(self, room: str | None = "r1") -> list[str]:
        return [o.text for _, o in self.transport.sent if room is None or o.room_id == room]

    def private(self, member: str = "wx_owner") -> list[str]:
        """What the bot said to `member` in her private chat."""
        return [o.text for _, o in self.transport.sent if o.to == member]

    def take(self) -> list[Outgoing]:
        out = [o for _, o in self.transport.sent]
        self.transport.sent.clear()
        return out

    async def book(self) -> dict[tuple[str, str], int]:
        """Live quantities per (member, product) over every campaign."""
        data: dict[str, Any] = await order_book(self.db)
        out: dict[tuple[str, str], int] = {}
        for c in data["campaigns"]:
            for o in c["orders"]:
                for item in o["items"]:
                    out[(o["member"], item["product"])] = out.get((o["member"], item["product"]), 0) + item["qty"]
        return out

    async def close(self) -> None:
        """Closes its database (a second call does nothing: a test may close before a restart, its
        fixture again at the end)."""
        await self.db.close()


# The `open_bot` fixture (tests/conftest.py): `await open_bot(path=..., settings=...)`.
OpenBot = Callable[..., Awaitable[Harness]]

FRUIT = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n截单 11-21 20:00\n自提 东门快递柜 11-22 09:00-12:00"
HEADER = "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n例：楼栋-房号 姓名 商品数量\n\n"


def copy(*entries: str) -> str:
    return HEADER + "\n".join(f"{i}. {e}" for i, e in enumerate(entries, 1))


def replay(transcript: Path, db: Path) -> list[dict[str, Any]]:
    """What `bot.py replay TRANSCRIPT --db DB` prints, one JSON object a line, run by the same main in
    this process: the tests of recorded chats read what the bot said. (That the program itself starts,
    refuses and exits as it should is tests/project/test_fresh_machine.py's and test_cli.py's.)"""
    from bot import cli  # the composition root: only this helper needs it

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["replay", str(transcript), "--db", str(db)])
    assert code == 0, err.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]
