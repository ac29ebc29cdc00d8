"""Faults are loud: a storage fault, or a handler that raised; the member and the owner hear of them.

When a message cannot be stored (disk full, a read-only or unwritable file,
an I/O error) its transaction rolls back and nothing about it is
acknowledged. The member whose message asked for an answer is told briefly to
resend later, at most once per member per few minutes; the group's owner is
told privately, at most once per group per few minutes. Both go straight to
the sender, around the outbox table, because the table is what failed. The
next message simply tries again: SQLite's connection survives these errors,
so the bot recovers by itself once the disk has room or the file is writable.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.services import Services
from bot.models import Member, Message, Outgoing, RoomInfo

log = logging.getLogger("bot.app.faults")

# SQLite's wording for a database that cannot be written or read, as opposed
# to a bug in a statement (no such table, a constraint).
_STORAGE_WORDS = ("disk", "full", "readonly", "read-only", "i/o", "unable to open", "locked", "malformed",
                  "corrupt", "out of memory", "no space")

MEMBER_TEXT = "⚠️ 系统存储出了故障，刚才这条没有记录上，请过几分钟再发一次。"
OWNER_TEXT = ("⚠️ 机器人的数据库写不进去（{why}），群「{room}」的消息现在记录不上，已提醒发消息的人稍后重发。"
              "请检查服务器磁盘空间和数据文件权限；恢复后会自动继续。")
RECOVERED_TEXT = "✅ 数据库恢复正常，消息又能记录了。故障期间没记上的消息请提醒大家重发。"


def is_storage_fault(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    if not isinstance(exc, sqlite3.Error) or isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
        return False
    text = str(exc).lower()
    return any(word in text for word in _STORAGE_WORDS)


class StorageAlarm:
    def __init__(self, svc: Services, clock: Clock, say: Callable[[Outgoing], Awaitable[None]],
                 quiet: timedelta = timedelta(minutes=5)) -> None:
        self.svc = svc
        self.clock = clock
        self._say = say
        self.quiet = quiet
        # Kept here, not read from the database: the database is what fails.
        self._owners: dict[str, str] = {}
        self._told_member: dict[str, datetime] = {}
        self._told_owner: dict[str, datetime] = {}
        self._topics: dict[str, str] = {}
        self.failing = False

    def remember_owner(self, room_id: str, owner_id: str | None, topic: str = "") -> None:
        if owner_id:
            self._owners[room_id] = owner_id
        if topic:
            self._topics[room_id] = topic

    def _due(self, told: dict[str, datetime], key: str, now: datetime) -> bool:
        last = told.get(key)
        if last is not None and now - last < self.quiet:
            return False
        told[key] = now
        return True

    async def raised(self, msg: Message, exc: BaseException, *, answered: bool) -> None:
        """`msg` could not be stored; `answered`: it would have got an answer (an order, a command)."""
        now = self.clock.now()
        log.error("storage failed; message %s from %s was NOT recorded: %s", msg.id, msg.sender.id, exc)
        self.failing = True
        if answered and self._due(self._told_member, msg.sender.id, now):
            if msg.room_id is not None:
                await self._say(Outgoing(text=f"@{msg.sender.name} {MEMBER_TEXT}", room_id=msg.room_id,
                                         mentions=(msg.sender.id,)))
            else:
                await self._say(Outgoing(text=MEMBER_TEXT, to=msg.sender.id))
        room = msg.room_id or ""
        owner = self._owners.get(room) if room else None
        if owner is None:
            owner = await self._owner_from_cache(room)
        if owner is not None and self._due(self._told_owner, room, now):
            topic = self._topics.get(room, room)
            await self._say(Outgoing(text=OWNER_TEXT.format(why=str(exc)[:60], room=topic), to=owner))

    async def _owner_from_cache(self, room_id: str) -> str | None:
        if not room_id:
            return None
        try:
            owner = await self.svc.rooms.owner(room_id)
        except Exception:
            return None
        self.remember_owner(room_id, owner)
        return owner

    async def cleared(self) -> None:
        """A message was stored again: the owners who were alerted hear that it is over."""
        if not self.failing:
            return
        self.failing = False
        log.warning("storage works again")
        owners = {self._owners[room] for room in self._told_owner if room in self._owners}
        self._told_member.clear()
        self._told_owner.clear()
        for owner in sorted(owners):
            await self._say(Outgoing(text=RECOVERED_TEXT, to=owner))


# --- everything else that goes wrong in a handler ---------------------------------------------------
# A handler that raised (a bug, or input no handler foresaw): the message is rolled back, its sender
# hears one short line and the group's owner an alert, each at most once every few minutes; nothing a
# member types ends in silence. What is said goes through the outbox like any reply. And text that
# cannot be stored (a lone surrogate) is made storable before any handler sees it.

MISHAP_MEMBER_TEXT = "抱歉，这条没有处理成功，什么都没有改动。请换个写法再发，或联系团长。"
MISHAP_OWNER_TEXT = ("⚠️ 「{room}」里{name}的一条消息没有处理成功（{why}），没有做任何改动：「{text}」。"
              "如果反复出现，请把日志发给维护机器人的人。")

# A lone surrogate (from a replayed "\ud800" or a broken client) cannot be encoded, stored or sent.
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    # Every message passes here, a 500-line copy is 12,000 characters: the UTF-8 encoder finds a
    # surrogate about five times faster than a regex scan (a character class is tested char by char).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def storable_message(msg: Message) -> Message:
    """`msg` with any lone surrogate in its text or the sender's name replaced (usually `msg` itself)."""
    text, name = storable(msg.text), storable(msg.sender.name)
    if text is msg.text and name is msg.sender.name:
        return msg
    return replace(msg, text=text, sender=Member(msg.sender.id, name))


def storable_room(room: RoomInfo) -> RoomInfo:
    return replace(room, topic=storable(room.topic),
                   members=tuple(Member(m.id, storable(m.name)) for m in room.members))


class HandlerFaults:
    def __init__(self, svc: Services, clock: Clock, say: Callable[[list[Outgoing]], Awaitable[None]],
                 quiet: timedelta = timedelta(minutes=5)) -> None:
        self.svc = svc
        self.clock = clock
        self._say = say
        self.quiet = quiet
        self._told: dict[str, datetime] = {}  # member id, or "owner:" + room id -> when

    def _due(self, key: str) -> bool:
        now = self.clock.now()
        last = self._told.get(key)
        if last is not None and timedelta() <= now - last < self.quiet:
            return False
        self._told[key] = now
        return True

    async def raised(self, msg: Message, exc: BaseException) -> None:
        """`msg` failed in a handler and was rolled back."""
        log.exception("message %s from %s failed and changed nothing", msg.id, msg.sender.id, exc_info=exc)
        outs: list[Outgoing] = []
        if self._due(msg.sender.id):
            if msg.room_id is not None:
                outs.append(Outgoing(text=f"@{msg.sender.name} {MISHAP_MEMBER_TEXT}", room_id=msg.room_id,
                                     mentions=(msg.sender.id,)))
            else:
                outs.append(Outgoing(text=MISHAP_MEMBER_TEXT, to=msg.sender.id))
        if msg.room_id is not None and self._due("owner:" + msg.room_id):
            try:
                owner = await self.svc.rooms.owner(msg.room_id)
                topic = await self.svc.rooms.topic(msg.room_id) or msg.room_id
            except Exception:
                log.exception("the owner of %s could not be read", msg.room_id)
                owner = None
            if owner is not None and owner != msg.sender.id:  # the owner's own message: her line is enough
                outs.append(Outgoing(to=owner, text=MISHAP_OWNER_TEXT.format(
                    room=topic, name=msg.sender.name, why=type(exc).__name__, text=msg.text[:40])))
        if outs:
            await self._say(outs)
