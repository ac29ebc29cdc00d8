"""Feeds a recorded chat (transcript.jsonl) through the live pipeline.

Prints everything the bot says as one JSON object per line, stamped with
transcript time. Format: ../shared/corpus/README.md.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from bot.clock import Clock
from bot.models import Event, Member, Message, MessageKind, Outgoing, RoomInfo, RoomSeen, Tick
from bot.transports.base import EventHandler

log = logging.getLogger("bot.replay")


class TranscriptError(Exception):
    pass


def _aware(value: str, clock: Clock) -> datetime:
    ts = datetime.fromisoformat(value)
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=clock.tz)


def parse_record(record: dict[str, Any], clock: Clock) -> Event | None:
    kind = record.get("kind")
    if kind == "room":
        members = tuple(Member(str(mid), str(name)) for mid, name in (record.get("members") or {}).items())
        owner = record.get("owner")
        return RoomSeen(RoomInfo(str(record["room"]), str(record.get("topic", "")),
                                 str(owner) if owner else None, members))
    if kind == "message":
        try:
            msg_kind = MessageKind(record.get("type") or "text")
        except ValueError:
            msg_kind = MessageKind.OTHER
        room = record.get("room")
        return Message(
            id=str(record["id"]),
            ts=_aware(str(record["ts"]), clock),
            sender=Member(str(record["from"]), str(record.get("name") or record["from"])),
            text=str(record.get("text") or ""),
            room_id=str(room) if room else None,
            kind=msg_kind,
            mentions=tuple(str(m) for m in record.get("mentions") or ()),
        )
    if kind == "tick":
        return Tick(_aware(str(record["ts"]), clock))
    return None


def read_transcript(path: Path, clock: Clock) -> Iterator[Event]:
    """Events in file order; a malformed line is logged and skipped."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                event = parse_record(record, clock) if isinstance(record, dict) else None
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("%s:%d skipped: %s", path, number, exc)
                continue
            if event is None:
                log.warning("%s:%d skipped: unknown kind", path, number)
                continue
            yield event


class ReplayTransport:
    name = "replay"

    def __init__(self, path: Path, clock: Clock, out: IO[str] | None = None) -> None:
        self.path = path
        self.clock = clock
        self.out = out or sys.stdout
        self._stopped = False

    async def run(self, on_event: EventHandler) -> None:
        for event in read_transcript(self.path, self.clock):
            if self._stopped:
                break
            await on_event(event)

    async def send(self, out: Outgoing) -> None:
        record: dict[str, Any] = {"ts": self.clock.now().isoformat(), "room": out.room_id, "text": out.text,
                                  "mentions": list(out.mentions)}
        if out.to is not None:
            record["to"] = out.to
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        if out.file is not None:
            # The file itself is already beside the database (exports/); the line says it was sent.
            sent = {"ts": record["ts"], "to": out.to, "file": out.file.name, "bytes": len(out.file.read())}
            self.out.write(json.dumps(sent, ensure_ascii=False) + "\n")
        self.out.flush()

    async def stop(self) -> None:
        self._stopped = True
