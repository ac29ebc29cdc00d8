"""The owner's 质量问答 per group, and members' questions waiting for someone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.parsing.question import QuestionIndex, read_pair
from bot.parsing.textnorm import key_of
from storage.campaigns import ts
from storage.db import Database, Row


@dataclass(frozen=True)
class QaPair:
    id: int
    room_id: str
    number: int
    question: str
    answer: str
    last_posted_at: datetime | None


@dataclass(frozen=True)
class Asked:
    id: int
    room_id: str
    member_id: str
    name: str
    text: str
    asked_at: datetime
    pair_id: int | None
    sent: bool
    answered: bool


def _pair(row: Row) -> QaPair:
    posted = row["last_posted_at"]
    return QaPair(row["id"], row["room_id"], row["number"], row["question"], row["answer"],
                  datetime.fromisoformat(posted) if posted else None)


def _asked(row: Row) -> Asked:
    return Asked(row["id"], row["room_id"], row["member_id"], row["name"], row["text"],
                 datetime.fromisoformat(row["asked_at"]), row["pair_id"], row["sent_at"] is not None,
                 row["answered_at"] is not None)


class QaRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Every question asked in a group reads its pairs; they change only here.
        self._pairs: dict[str, list[QaPair]] = {}
        self._index: dict[str, QuestionIndex] = {}
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._pairs.clear()
        self._index.clear()

    # -- pairs -----------------------------------------------------------------

    async def pairs(self, room_id: str) -> list[QaPair]:
        if room_id not in self._pairs:
            rows = await self.db.fetchall("SELECT * FROM qa_pairs WHERE room_id = ? ORDER BY number", (room_id,))
            self._pairs[room_id] = [_pair(r) for r in rows]
        return self._pairs[room_id]

    async def index(self, room_id: str) -> QuestionIndex:
        if room_id not in self._index:
            self._index[room_id] = QuestionIndex(read_pair(p.id, p.question, p.answer)
                                                 for p in await self.pairs(room_id))
        return self._index[room_id]

    async def get(self, pair_id: int) -> QaPair | None:
        row = await self.db.fetchone("SELECT * FROM qa_pairs WHERE id = ?", (pair_id,))
        return _pair(row) if row else None

    async def put(self, room_id: str, question: str, answer: str, by: str, now: datetime) -> tuple[QaPair, bool]:
        """Saves a pair; the same question again (spacing, punctuation aside)
        replaces its answer. Returns the pair and whether it is new."""
        key = key_of(question)
        for p in await self.pairs(room_id):
            if key_of(p.question) == key:
                await self.db.execute("UPDATE qa_pairs SET answer = ? WHERE id = ?", (answer, p.id))
                self._changed(room_id)
                return QaPair(p.id, room_id, p.number, p.question, answer, p.last_posted_at), False
        number = max((p.number for p in await self.pairs(room_id)), default=0) + 1
        pid = await self.db.execute(
            "INSERT INTO qa_pairs (room_id, number, question, question_key, answer, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (room_id, number, question, key, answer, by, ts(now)))
        self._changed(room_id)
        return QaPair(pid, room_id, number, question, answer, None), True

    async def by_number(self, room_id: str, number: int) -> QaPair | None:
        return next((p for p in await self.pairs(room_id) if p.number == number), None)

    async def set_answer(self, pair: QaPair, answer: str) -> None:
        await self.db.execute("UPDATE qa_pairs SET answer = ?, last_posted_at = NULL WHERE id = ?",
                              (answer, pair.id))
        self._changed(pair.room_id)

    async def remove(self, pair: QaPair) -> None:
        await self.db.execute("DELETE FROM qa_pairs WHERE id = ?", (pair.id,))
        self._changed(pair.room_id)

    async def mark_posted(self, pair: QaPair, now: datetime) -> None:
        self.db.write("UPDATE qa_pairs SET last_posted_at = ? WHERE id = ?", (ts(now), pair.id))
        cached = self._pairs.get(pair.room_id)
        if cached is not None:
            self._pairs[pair.room_id] = [QaPair(p.id, p.room_id, p.number, p.question, p.answer, now)
                                         if p.id == pair.id else p for p in cached]

    def _changed(self, room_id: str) -> None:
        self._pairs.pop(room_id, None)
        self._index.pop(room_id, None)

    # -- questions asked -------------------------------------------------------

    async def ask(self, room_id: str, member_id: str, name: str, text: str, message_id: str, now: datetime,
                  pair_id: int | None = None) -> int:
        return await self.db.execute(
            "INSERT INTO qa_asked (room_id, member_id, name, text, message_id, asked_at, pair_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (room_id, member_id, name, text[:200], message_id, ts(now), pair_id))

    async def asked(self, asked_id: int) -> Asked | None:
        row = await self.db.fetchone("SELECT * FROM qa_asked WHERE id = ?", (asked_id,))
        return _asked(row) if row else None

    async def waiting(self, room_id: str, *, repeats: bool) -> list[Asked]:
        """Questions not yet forwarded (`repeats` False) or repeats not yet pointed to their answer."""
        rows = await self.db.fetchall(
            "SELECT * FROM qa_asked WHERE room_id = ? AND sent_at IS NULL AND answered_at IS NULL AND "
            + ("pair_id IS NOT NULL" if repeats else "pair_id IS NULL") + " ORDER BY id", (room_id,))
        return [_asked(r) for r in rows]

    async def last_sent(self, room_id: str, *, repeats: bool) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT MAX(sent_at) FROM qa_asked WHERE room_id = ? AND "
            + ("pair_id IS NOT NULL" if repeats else "pair_id IS NULL"), (room_id,))
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def mark_sent(self, ids: list[int], now: datetime) -> None:
        for asked_id in ids:
            self.db.write("UPDATE qa_asked SET sent_at = ? WHERE id = ?", (ts(now), asked_id))

    async def unanswered_since(self, room_id: str, since: datetime) -> list[Asked]:
        rows = await self.db.fetchall(
            "SELECT * FROM qa_asked WHERE room_id = ? AND pair_id IS NULL AND answered_at IS NULL AND asked_at >= ? "
            "ORDER BY id", (room_id, ts(since)))
        return [_asked(r) for r in rows]

    async def mark_answered(self, ids: list[int], now: datetime) -> None:
        for asked_id in ids:
            self.db.write("UPDATE qa_asked SET answered_at = ? WHERE id = ?", (ts(now), asked_id))
