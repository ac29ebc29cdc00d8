"""Feeds a recorded chat (transcript.jsonl) through the live pipeline.

Prints everything the bot says as one JSON object per line, stamped with
transcript time. Format: README.md, "Recorded chats".

The whole file is read and checked before the first event is handled, so a file
that is not a transcript changes nothing: it is refused in one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from bot.clock import Clock
from bot.models import Event, Member, Message, MessageKind, Outgoing, RoomInfo, RoomSeen, Tick
from bot.transports.base import EventHandler


class TranscriptError(Exception):
    pass


def _aware(value: str, clock: Clock) -> datetime:
    ts = datetime.fromisoformat(value)
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=clock.tz)


def parse_record(record: dict[str, Any], clock: Clock) -> Event | None:
    kind = record.get("kind")
    if kind == "room":
        listed = record.get("members") or {}
        if not isinstance(listed, dict):
            raise ValueError("members must map member ids to names")
        members = tuple(Member(str(mid), str(name)) for mid, name in listed.items())
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


@dataclass
class Transcript:
    events: list[Event] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg})"
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return str(exc) or type(exc).__name__


def load_transcript(path: Path, clock: Clock) -> Transcript:
    """Every event in file order; lines that are not events are listed in `skipped`.
    Raises TranscriptError (one line, for a person) when the file cannot be a transcript."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read transcript {path}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"{path} is not UTF-8 text (bad byte at offset {exc.start}); "
                              "a transcript is UTF-8 JSON lines, see README, Recorded chats") from exc
    found = Transcript()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            event = parse_record(record, clock)
        except (ValueError, KeyError, TypeError) as exc:
            found.skipped.append((number, _why(exc)))
            continue
        if event is None:
            found.skipped.append((number, f"unknown kind {record.get('kind')!r}"))
            continue
        found.events.append(event)
    if not found.events or len(found.skipped) > len(found.events):
        # A few bad lines in a chat are skipped with a warning; a file that is
        # mostly not events (a README quoting a few) is not a chat at all.
        what = (f"holds no chat events{_first(found)}" if not found.events else
                f"does not look like a transcript: {len(found.skipped)} of "
                f"{len(found.skipped) + len(found.events)} lines are not chat events{_first(found)}")
        raise TranscriptError(f"{path} {what}; a transcript is one JSON object per line with kind room, "
                              "message or tick, see README, Recorded chats")
    return found


def _first(found: Transcript) -> str:
    return f" (line {found.skipped[0][0]}: {found.skipped[0][1]})" if found.skipped else " (it is empty)"


class ReplayTransport:
    name = "replay"

    def __init__(self, events: Iterable[Event], clock: Clock, out: IO[str] | None = None) -> None:
        """`events`: a transcript's, from `load_transcript`."""
        self.events = events
        self.clock = clock
        self.out = out or sys.stdout
        self._stopped = False
        self._reader_gone = False

    async def run(self, on_event: EventHandler) -> None:
        for event in self.events:
            if self._stopped:
                break
            await on_event(event)

    async def send(self, out: Outgoing) -> None:
        record: dict[str, Any] = {"ts": self.clock.now().isoformat(), "room": out.room_id, "text": out.text,
                                  "mentions": list(out.mentions)}
        if out.to is not None:
            record["to"] = out.to
        if self._reader_gone:
            return
        lines = [json.dumps(record, ensure_ascii=False)]
        if out.file is not None:
            # The file itself is already beside the database (exports/); the line says it was sent.
            sent = {"ts": record["ts"], "to": out.to, "file": out.file.name, "bytes": len(out.file.read())}
            lines.append(json.dumps(sent, ensure_ascii=False))
        try:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
        except BrokenPipeError:
            # `replay … | head`: nobody reads any more; the book is still written in full.
            self._reader_gone = True

    async def stop(self) -> None:
        self._stopped = True
