"""Drives the real App through a recording transport, on a clock the test controls."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app.pipeline import App
from bot.clock import DEFAULT_TZ, ManualClock
from bot.domain.services import Services, Settings
from bot.models import Member, Message, MessageKind, Outgoing, RoomInfo, RoomSeen, Tick
from bot.render.export import order_book
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


class Harness:
    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        self.clock = ManualClock(START)
        self.transport = RecordingTransport(self.clock)
        self.svc = Services.build(db, settings or Settings())
        self.app = App(self.svc, self.clock, self.transport.send, build_dispatcher(),
                       wait_for_background=True)
        self._ids = itertools.count(1)
        self.now = START

    @classmethod
    async def create(cls, path: Path, settings: Settings | None = None, room: str = "r1") -> Harness:
        h = cls(await Database.open(path), settings)
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
        await self.db.close()


FRUIT = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n截单 11-21 20:00\n自提 东门快递柜 11-22 09:00-12:00"
HEADER = "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n例：楼栋-房号 姓名 商品数量\n\n"


def copy(*entries: str) -> str:
    return HEADER + "\n".join(f"{i}. {e}" for i, e in enumerate(entries, 1))
