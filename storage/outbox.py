"""The outbox table and the acknowledgements being gathered: what the bot still has to say.

Rows are written with `Database.write_returning`, so they ride in the trip that
commits the message that caused them, and SQLite's id for each comes back in
that trip's answer: the sender, handed the rows after the commit, knows which
row it sends without reading it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.models import Outgoing
from storage.campaigns import ts
from storage.db import Database, RowId

UNSENT = ("pending", "sending", "uncertain")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    out: Outgoing
    status: str
    on_sent: str | None  # JSON, see `delivered`


def notified(campaign_id: int, member_ids: tuple[str, ...]) -> str:
    """`on_sent` of a pickup notice part: its buyers count as notified once it is delivered."""
    return json.dumps({"notified": [campaign_id, list(member_ids)]})


def schedule_delivered(schedule_id: int) -> str:
    """`on_sent` of a scheduled job's last post."""
    return json.dumps({"schedule": schedule_id})


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, out: Outgoing, now: datetime, on_sent: str | None = None) -> RowId:
        """Queues `out` inside the caller's transaction (no trip of its own); its row id is
        known after the commit."""
        return self.db.write_returning(
            "INSERT INTO outbox (room_id, to_id, text, mentions, mergeable, on_sent, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (out.room_id, out.to, out.text, json.dumps(list(out.mentions)), int(out.mergeable), on_sent, ts(now)),
        )

    async def unsent(self) -> list[OutboxRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE status IN ('pending', 'sending', 'uncertain') ORDER BY id")
        return [OutboxRow(r["id"], Outgoing(text=r["text"], room_id=r["room_id"], to=r["to_id"],
                                            mentions=tuple(json.loads(r["mentions"])),
                                            mergeable=bool(r["mergeable"])),
                          r["status"], r["on_sent"]) for r in rows]

    def sending(self, row_id: int, out: Outgoing, merged: list[int]) -> None:
        """Before the attempt: the row with the text it is sent with, and the rows merged into it."""
        self.db.write("UPDATE outbox SET status = 'sending', attempts = attempts + 1, text = ?, mentions = ? "
                      "WHERE id = ?", (out.text, json.dumps(list(out.mentions)), row_id))
        for other in merged:
            self.db.write("UPDATE outbox SET status = 'merged', note = ? WHERE id = ?", (f"sent as #{row_id}", other))

    def set_status(self, row_id: int, status: str, note: str = "") -> None:
        self.db.write("UPDATE outbox SET status = ?, note = ? WHERE id = ?", (status, note[:200], row_id))

    def delivered(self, row_id: int, on_sent: str | None, now: datetime, status: str = "sent") -> None:
        """Marks the row delivered and applies what delivery means, in the same transaction."""
        self.db.write("UPDATE outbox SET status = ?, sent_at = ? WHERE id = ?", (status, ts(now), row_id))
        effect: dict[str, Any] = json.loads(on_sent) if on_sent else {}
        if "notified" in effect:
            campaign_id, members = effect["notified"]
            for member_id in members:
                self.db.write("UPDATE fulfilment SET notified_at = ? WHERE campaign_id = ? AND member_id = ?",
                              (ts(now), campaign_id, member_id))
        if "schedule" in effect:
            self.db.write("UPDATE schedules SET delivered_at = ? WHERE id = ?", (ts(now), effect["schedule"]))


@dataclass(frozen=True)
class PendingAck:
    room_id: str
    member_id: str
    name: str
    text: str
    since: datetime
    urgent_since: datetime | None


class PendingAckRepo:
    """The acknowledgement batcher's entries, so a crash inside the gathering window loses none."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, room_id: str, member_id: str, name: str, text: str, since: datetime,
            urgent_since: datetime | None = None) -> None:
        """Her entry as the batcher holds it: `since` her first change still waiting (not the latest:
        her wait goes on while she edits), `urgent_since` when something not as she wrote first waited."""
        # REPLACE gives the entry a new seq: her latest change comes last, as in the batcher.
        self.db.write("INSERT OR REPLACE INTO ack_pending (room_id, member_id, name, text, added_at, urgent_at) "
                      "VALUES (?, ?, ?, ?, ?, ?)", (room_id, member_id, name, text, ts(since), ts(urgent_since)))

    def withdraw(self, room_id: str, member_id: str) -> None:
        """Nothing is left to tell her (her copy shows what she ordered)."""
        self.db.write("DELETE FROM ack_pending WHERE room_id = ? AND member_id = ?", (room_id, member_id))

    def clear(self, room_id: str) -> None:
        self.db.write("DELETE FROM ack_pending WHERE room_id = ?", (room_id,))

    async def all(self) -> list[PendingAck]:
        rows = await self.db.fetchall("SELECT * FROM ack_pending ORDER BY seq")
        return [PendingAck(r["room_id"], r["member_id"], r["name"], r["text"], datetime.fromisoformat(r["added_at"]),
                           datetime.fromisoformat(r["urgent_at"]) if r["urgent_at"] else None) for r in rows]
