"""The SQLite connection: numbered migrations, WAL, one transaction at a time."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

Row = sqlite3.Row


class DatabaseError(Exception):
    """The database file cannot be used; the message says why, for a person."""


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _ in _migrations())


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        # Message handling and timed jobs share one connection; a transaction
        # must never interleave with another's statements.
        self._lock = asyncio.Lock()
        # Repositories keep read caches of what they wrote; a rollback makes
        # them wrong, so every cache is dropped then.
        self._on_rollback: list[Callable[[], None]] = []
        # Round trips to the database thread: what a message costs (see bench/run.py).
        self.calls = 0

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open database {path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, path)
        try:
            await db._prepare()
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise DatabaseError(f"{path} is not a usable database ({exc}); it was left untouched") from exc
        except DatabaseError:
            await conn.close()
            raise
        return db

    async def _prepare(self) -> None:
        row = await self.fetchone("PRAGMA user_version")
        version = int(row[0]) if row else 0
        # Reading the schema proves the file is a database before anything is written.
        await self.fetchall("SELECT name FROM sqlite_master LIMIT 1")
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} was written by a newer version of the bot (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade the bot, the file was left untouched"
            )
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        for number, sql in _migrations():
            if number <= version:
                continue
            await self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")

    def on_rollback(self, forget: Callable[[], None]) -> None:
        self._on_rollback.append(forget)

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """Everything inside commits together or not at all."""
        async with self._lock:
            self.calls += 2  # BEGIN and COMMIT or ROLLBACK
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                await self._conn.execute("ROLLBACK")
                for forget in self._on_rollback:
                    forget()
                raise
            else:
                await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement; returns the last inserted row id."""
        self.calls += 1
        cursor = await self._conn.execute(sql, params)
        rowid = cursor.lastrowid or 0
        await cursor.close()
        return rowid

    async def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement; returns how many rows it changed."""
        self.calls += 1
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.calls += 1
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.calls += 1
        rows = await self._conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None
