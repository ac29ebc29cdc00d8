"""The SQLite connection: numbered migrations, WAL, one transaction at a time.

aiosqlite runs SQLite in its own thread, and every trip to that thread and back
costs a wake-up on each side (about 50-100 µs on a quiet 2-core machine) —
more than the SQL itself. So a transaction here costs as few trips as the
message needs, on aiosqlite's public calls only:

- Writes whose result nobody reads (`write`) wait. A transaction whose reads
  were all answered by the repositories' caches is one trip: BEGIN, its writes
  and COMMIT as one `executescript`, the values written into the script as SQL
  literals (`_literal`; SQLite quoting has no escapes to get wrong).
- Reads made before the transaction has written anything run at once, outside
  it, and its BEGIN still waits: one process writes this database and the
  transaction lock is held, so nothing can change between that read and the
  BEGIN (the same reason the caches are right).
- A read after the transaction's first write sends the waiting writes first:
  the first time as a script (BEGIN and the writes, one trip), after that
  statement by statement, since Python's `executescript` commits an open
  transaction before it runs (one trip per run of the same statement).

Statements still run in the order they were made, on the one connection,
inside the one transaction, so nothing reads around a write.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

Row = sqlite3.Row

_BEGIN = "BEGIN IMMEDIATE"

# A write that must change a row is followed, in a script, by a row for this
# temporary table: its trigger lets a 1 through and stops the script on
# anything else, so the check runs in SQL, in the same trip (see `write`).
_CHECK_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS must_change (n INTEGER);\n"
    "CREATE TEMP TRIGGER IF NOT EXISTS must_change_check BEFORE INSERT ON must_change BEGIN "
    "SELECT CASE WHEN NEW.n = 1 THEN RAISE(IGNORE) ELSE RAISE(ABORT, 'jielong: nothing changed') END; END;"
)
_CHECK = "INSERT INTO temp.must_change VALUES (changes())"
_CHECK_FAILED = "jielong: nothing changed"


class DatabaseError(Exception):
    """The database file cannot be used; the message says why, for a person."""


class NothingChanged(Exception):
    """A write that had to change a row changed none (a message id already claimed).
    Raised where the batch runs; the transaction is rolled back."""


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _ in _migrations())

# (sql, params, must change a row)
_Statement = tuple[str, Sequence[Any], bool]


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        # Message handling and timed jobs share one connection; a transaction
        # must never interleave with another's statements.
        self._lock = asyncio.Lock()
        # Writes waiting for the next trip to the database thread.
        self._pending: list[_Statement] = []
        self._began = False  # the transaction's BEGIN has gone to the database
        self._owner: asyncio.Task[Any] | None = None  # the task inside the transaction
        # Repositories keep read caches of what they wrote; a rollback makes
        # them wrong, so every cache is dropped then.
        self._on_rollback: list[Callable[[], Callable[[], None] | None]] = []
        # Trips to the database thread: what a message costs (see bench/run.py).
        self.calls = 0

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: the transactions are the ones written below, never implicit.
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
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
            await self.fetchall(f"PRAGMA {pragma}")
        for number, sql in _migrations():
            if number <= version:
                continue
            await self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")
        await self._conn.executescript(_CHECK_TABLE)

    def on_rollback(self, forget: Callable[[], None]) -> None:
        # Held weakly: a repository made for one report must not live as long as the connection.
        self._on_rollback.append(weakref.WeakMethod(forget) if inspect.ismethod(forget) else lambda: forget)

    def forget_caches(self) -> None:
        """After a rollback, and for statements the repositories did not make (tests, maintenance)."""
        alive = []
        for ref in self._on_rollback:
            forget = ref()
            if forget is not None:
                forget()
                alive.append(ref)
        self._on_rollback = alive

    async def close(self) -> None:
        await self._conn.close()

    # -- trips to the database thread --------------------------------------------

    async def _script(self, batch: Sequence[_Statement]) -> None:
        """The batch as one script: one trip. Only while no transaction is open
        (Python's executescript would commit it first)."""
        self.calls += 1
        try:
            await self._conn.executescript(_script(batch))
        except sqlite3.IntegrityError as exc:
            if str(exc) == _CHECK_FAILED:
                raise NothingChanged(str(exc)) from exc
            raise

    async def _one_by_one(self, batch: Sequence[_Statement]) -> None:
        """The batch inside an open transaction: one trip per run of the same statement."""
        start = 0
        while start < len(batch):
            sql, params, must_change = batch[start]
            end = start + 1
            if not must_change:
                while end < len(batch) and batch[end][0] == sql and not batch[end][2]:
                    end += 1
            self.calls += 1
            if end - start == 1:
                cursor = await self._conn.execute(sql, params)
                if must_change and cursor.rowcount != 1:
                    raise NothingChanged(sql)
            else:
                await self._conn.executemany(sql, [params for _, params, _ in batch[start:end]])
            start = end

    async def _flush(self, *, reading: bool) -> None:
        """Sends the waiting writes before a statement that answers. A read
        before the transaction's first write leaves its BEGIN waiting."""
        batch, self._pending = self._pending, []
        if not batch or (reading and not self._began and batch == [(_BEGIN, (), False)]):
            self._pending = batch
            return
        if not self._began:
            self._began = True
            await self._script(batch)
        else:
            await self._one_by_one(batch)

    async def _answer(self, ask: Callable[[aiosqlite.Connection], Any], *, reading: bool) -> Any:
        if self._lock.locked() and self._owner is not asyncio.current_task():
            # Another task's transaction is open (the live ticker reads while a
            # message is handled): its waiting writes and its BEGIN are not ours
            # to send, and our statement must not land inside it.
            async with self._lock:
                self.calls += 1
                return await ask(self._conn)
        await self._flush(reading=reading)
        self.calls += 1
        return await ask(self._conn)

    # -- transactions ------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """Everything inside commits together or not at all."""
        async with self._lock:
            self._pending = [(_BEGIN, (), False)]
            self._owner = asyncio.current_task()
            self._began = False
            try:
                yield self
                await self._commit()
            except BaseException:
                self._pending = []
                # First, so that even a second cancellation during the rollback
                # cannot leave the caches holding what is being undone.
                self.forget_caches()
                if self._began:
                    # Shielded: the ROLLBACK must reach the thread before the next BEGIN.
                    await asyncio.shield(self._rollback())
                raise
            finally:
                self._pending = []
                self._owner = None

    async def _commit(self) -> None:
        batch, self._pending = self._pending, []
        if not self._began:
            if batch != [(_BEGIN, (), False)]:
                # A transaction that wrote nothing never began.
                self._began = True
                await self._script([*batch, ("COMMIT", (), False)])
            return
        await self._one_by_one([*batch, ("COMMIT", (), False)])

    async def _rollback(self) -> None:
        self.calls += 1
        # aiosqlite's rollback does nothing when the failure came before BEGIN took.
        await self._conn.rollback()

    def write(self, sql: str, params: Sequence[Any] = (), *, must_change: bool = False) -> None:
        """A write whose result nobody reads: it goes to the database with the next trip.
        Outside a transaction there is no next trip, so callers use `execute` there.
        `must_change`: the write must change exactly one row, or the transaction
        fails with NothingChanged."""
        if self._owner is None:
            raise RuntimeError("Database.write outside a transaction")
        self._pending.append((sql, params, must_change))

    # -- statements that answer --------------------------------------------------

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement now; returns the last inserted row id."""
        async def ask(conn: aiosqlite.Connection) -> int:
            return (await conn.execute(sql, params)).lastrowid or 0
        return int(await self._answer(ask, reading=False))

    async def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement now; returns how many rows it changed."""
        async def ask(conn: aiosqlite.Connection) -> int:
            return (await conn.execute(sql, params)).rowcount
        return int(await self._answer(ask, reading=False))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        async def ask(conn: aiosqlite.Connection) -> None:
            await conn.executemany(sql, rows)
        await self._answer(ask, reading=False)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A read (SELECT, PRAGMA); a statement that writes goes through `execute`."""
        async def ask(conn: aiosqlite.Connection) -> list[Row]:
            return list(await conn.execute_fetchall(sql, params))
        rows: list[Row] = await self._answer(ask, reading=True)
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetch_each(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """Several reads, each with its own rows."""
        return [await self.fetchall(sql, params) for sql, params in queries]


# -- writes as one script --------------------------------------------------------

_split_cache: dict[str, list[str]] = {}


def _pieces(sql: str) -> list[str]:
    """The statement split at its `?` placeholders (never inside a quoted string)."""
    pieces = _split_cache.get(sql)
    if pieces is None:
        pieces, start, quote = [], 0, ""
        for i, ch in enumerate(sql):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"`[":
                quote = "]" if ch == "[" else ch
            elif ch == "?":
                if i + 1 < len(sql) and sql[i + 1].isdigit():
                    raise ValueError(f"numbered placeholders are not supported: {sql}")
                pieces.append(sql[start:i])
                start = i + 1
            elif ch in ":@$" and i + 1 < len(sql) and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
                raise ValueError(f"named placeholders are not supported: {sql}")
        pieces.append(sql[start:])
        _split_cache[sql] = pieces
    return pieces


def _text(value: str) -> str:
    if "\x00" in value:
        # A script cannot hold NUL; the text goes as its UTF-8 bytes instead.
        return f"CAST(X'{value.encode('utf-8').hex()}' AS TEXT)"
    return "'" + value.replace("'", "''") + "'"


def _literal(value: Any) -> str:
    """A value as SQLite reads it back exactly (the types sqlite3 binds by default)."""
    kind = type(value)  # the common two first: a message's writes are texts and integers
    if kind is str:
        return _text(value)
    if kind is int:
        return str(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NULL"  # what sqlite3 stores for a NaN parameter
        return repr(value) if math.isfinite(value) else ("9e999" if value > 0 else "-9e999")
    if isinstance(value, bytes | bytearray | memoryview):
        return f"X'{bytes(value).hex()}'"
    raise TypeError(f"cannot write {type(value).__name__} to the database")


def _inline(sql: str, params: Sequence[Any]) -> str:
    if not params:
        return sql
    pieces = _pieces(sql)
    if len(pieces) - 1 != len(params):
        raise sqlite3.ProgrammingError(
            f"statement takes {len(pieces) - 1} values, {len(params)} given: {sql}")
    out = [pieces[0]]
    for value, piece in zip(params, pieces[1:], strict=True):
        out.append(_literal(value))
        out.append(piece)
    return "".join(out)


def _script(batch: Sequence[_Statement]) -> str:
    parts = []
    for sql, params, must_change in batch:
        parts.append(_inline(sql, params))
        if must_change:
            parts.append(_CHECK)
    return ";\n".join(parts) + ";"
