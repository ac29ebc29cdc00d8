"""Scheduled posts and planned openings, and owners' templates per group."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from storage.campaigns import ts
from storage.db import Database, Row
from storage.records import Schedule


def _schedule(row: Row) -> Schedule:
    return Schedule(
        id=row["id"], room_id=row["room_id"], kind=row["kind"], run_at=datetime.fromisoformat(row["run_at"]),
        payload=json.loads(row["payload"]), plan_id=row["plan_id"], status=row["status"], note=row["note"],
        created_by=row["created_by"],
    )


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


class ScheduleRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # A group's pending schedule of a kind and the last one that ran, by (room, kind): every 接龙
        # copy asks for the merged list's (bot/domain/conversation/merged_list.py), to cancel it or to
        # start it. Kept in step by the writes below (a (room, kind) forgotten when one of them adds
        # one, everything on a status change by id) and dropped on a rollback.
        self._pending: dict[tuple[str, str], Schedule | None] = {}
        self._done: dict[tuple[str, str], Schedule | None] = {}
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._pending.clear()
        self._done.clear()

    def _finished(self, schedule_id: int) -> None:
        """A schedule's status changed: what is remembered of its group and kind is forgotten. That is
        where it was the pending one, or where the pending one is not known (it may be this one). A
        group and kind known to have none pending, or another, cannot be changed by it; the other
        groups' merged lists stay remembered while a hundred groups' jobs run."""
        for key in list(self._done):
            if key in self._pending:
                pending = self._pending[key]
                if pending is None or pending.id != schedule_id:
                    continue
            self._pending.pop(key, None)
            self._done.pop(key, None)

    async def add(self, room_id: str, kind: str, run_at: datetime, payload: dict[str, object], created_by: str,
                  now: datetime, plan_id: int | None = None) -> int:
        self._pending.pop((room_id, kind), None)
        return await self.db.execute(
            "INSERT INTO schedules (room_id, kind, run_at, run_at_utc, payload, plan_id, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (room_id, kind, ts(run_at), _utc(run_at), json.dumps(payload, ensure_ascii=False), plan_id,
             created_by, ts(now)),
        )

    def put(self, room_id: str, kind: str, run_at: datetime, payload: dict[str, object], created_by: str,
            now: datetime) -> None:
        """`add` inside a transaction, when nobody needs its id: it rides in the next trip."""
        self._pending.pop((room_id, kind), None)
        self.db.write(
            "INSERT INTO schedules (room_id, kind, run_at, run_at_utc, payload, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (room_id, kind, ts(run_at), _utc(run_at), json.dumps(payload, ensure_ascii=False), created_by, ts(now)),
        )

    def cancel_pending(self, room_id: str, kind: str, note: str) -> None:
        """Inside a transaction: the group's pending schedules of `kind` are cancelled, in the next trip."""
        key = (room_id, kind)
        if key in self._pending and self._pending[key] is None:
            return  # none is pending (most copies carry every line): the write would change nothing
        self._pending[key] = None
        self.db.write("UPDATE schedules SET status = 'cancelled', note = ? "
                      "WHERE room_id = ? AND status = 'pending' AND kind = ?", (note, room_id, kind))

    async def pending_and_last_done(self, room_id: str, kind: str) -> tuple[Schedule | None, Schedule | None]:
        """The group's pending schedule of `kind` and the latest one that ran, in one trip (or none)."""
        key = (room_id, kind)
        if key in self._pending and key in self._done:
            return self._pending[key], self._done[key]
        pending, done = await self.db.fetch_each([
            ("SELECT * FROM schedules WHERE room_id = ? AND status = 'pending' AND kind = ? ORDER BY id LIMIT 1",
             (room_id, kind)),
            ("SELECT * FROM schedules WHERE room_id = ? AND status = 'done' AND kind = ? ORDER BY id DESC LIMIT 1",
             (room_id, kind))])
        self._pending[key] = _schedule(pending[0]) if pending else None
        self._done[key] = _schedule(done[0]) if done else None
        return self._pending[key], self._done[key]

    async def set_plan(self, schedule_id: int, plan_id: int) -> None:
        self._forget()
        await self.db.execute("UPDATE schedules SET plan_id = ? WHERE id = ?", (plan_id, schedule_id))

    async def next_pending(self) -> Schedule | None:
        row = await self.db.fetchone(
            "SELECT * FROM schedules WHERE status = 'pending' ORDER BY run_at_utc, id LIMIT 1")
        return _schedule(row) if row else None

    async def due(self, now: datetime) -> list[Schedule]:
        rows = await self.db.fetchall(
            "SELECT * FROM schedules WHERE status = 'pending' AND run_at_utc <= ? ORDER BY run_at_utc, id",
            (_utc(now),),
        )
        return [_schedule(r) for r in rows]

    async def pending_in(self, room_id: str) -> list[Schedule]:
        rows = await self.db.fetchall(
            "SELECT * FROM schedules WHERE room_id = ? AND status = 'pending' ORDER BY run_at_utc, id", (room_id,))
        return [_schedule(r) for r in rows]

    async def shared_openings(self, room_id: str) -> list[Schedule]:
        """Pending openings of a drop that `room_id` is part of, kept in the drop's first group."""
        rows = await self.db.fetchall(
            "SELECT * FROM schedules s WHERE status = 'pending' AND kind = 'open' AND room_id != ? "
            "AND EXISTS (SELECT 1 FROM json_each(s.payload, '$.rooms') WHERE value = ?) ORDER BY run_at_utc, id",
            (room_id, room_id))
        return [_schedule(r) for r in rows]

    async def get(self, schedule_id: int) -> Schedule | None:
        row = await self.db.fetchone("SELECT * FROM schedules WHERE id = ?", (schedule_id,))
        return _schedule(row) if row else None

    async def finish(self, schedule_id: int, status: str, note: str = "", *, at: datetime | None = None) -> None:
        """`at`: it ran then, not at its time (run_at becomes when it did)."""
        self._finished(schedule_id)
        if at is None:
            await self.db.execute("UPDATE schedules SET status = ?, note = ? WHERE id = ?", (status, note, schedule_id))
            return
        await self.db.execute("UPDATE schedules SET status = ?, note = ?, run_at = ?, run_at_utc = ? WHERE id = ?",
                              (status, note, ts(at), _utc(at), schedule_id))

    async def cancel_plan(self, plan_id: int) -> None:
        self._forget()
        await self.db.execute(
            "UPDATE schedules SET status = 'cancelled' WHERE (plan_id = ? OR id = ?) AND status = 'pending'",
            (plan_id, plan_id),
        )


class TemplateRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[tuple[str, str, str, str | None]]:
        """(room, kind, text, why it is broken or None) of every group's own template."""
        rows = await self.db.fetchall("SELECT room_id, kind, text, broken FROM template_overrides")
        return [(str(r["room_id"]), str(r["kind"]), str(r["text"]), r["broken"]) for r in rows]

    async def put(self, room_id: str, kind: str, text: str, by: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO template_overrides (room_id, kind, text, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (room_id, kind) DO UPDATE SET text = excluded.text, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at, broken = NULL",
            (room_id, kind, text, by, ts(now)),
        )

    def mark_broken(self, room_id: str, kind: str, text: str, why: str) -> None:
        """Her template `text` failed on real data: the built-in one is used until she sets another."""
        self.db.write("UPDATE template_overrides SET broken = ? WHERE room_id = ? AND kind = ? AND text = ?",
                      (why[:500], room_id, kind, text))

    async def delete(self, room_id: str, kind: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM template_overrides WHERE room_id = ? AND kind = ?", (room_id, kind))
        await self.db.execute("DELETE FROM template_overrides WHERE room_id = ? AND kind = ?", (room_id, kind))
        return row is not None
