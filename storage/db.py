"""The SQLite connection: numbered migrations, WAL, one transaction at a time.

aiosqlite runs SQLite in its own thread, and every trip to that thread and back
costs a wake-up on each side (about 50-100 µs on a quiet 2-core machine) —
more than the SQL itself. So a transaction here costs as few trips as the
message needs: writes whose result nobody reads (`write`) wait in a batch, the
batch goes along with the next statement that must answer (a read, an insert
whose id is needed), and the commit carries what is left. A message whose
reads are all answered by the repositories' caches is one trip: BEGIN, its
writes, COMMIT. Statements still run in the order they were made, on the one
connection, inside the one transaction, so nothing reads around a write.

Bookkeeping that must be durable before something happens but belongs to no
message (the outbox's send records) goes `with_next_commit`: it rides in the
commit of whatever transaction commits next, usually the message being handled,
so it costs neither a trip nor a commit of its own.

A trip is one public aiosqlite call: `SELECT jielong_trip(?)`, an SQL function
registered with `create_function` that runs the batch in the database thread
(SQLite lets a function run statements on its own connection). Each statement
keeps its prepared form and its bound parameters; see README "Performance" for
the SQL-script form that was measured first.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

Row = sqlite3.Row
T = TypeVar("T")
log = logging.getLogger("storage.db")

_BEGIN = "BEGIN IMMEDIATE"


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



class RowId:
    """The id SQLite gives a row inserted with `write_returning`: known once the insert has
    gone to the database with its trip, which for the caller is after the commit."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value: int | None = None

    def fill(self, value: int) -> None:
        """In the database thread, as the insert runs."""
        self._value = value

    @property
    def value(self) -> int:
        if self._value is None:
            raise RuntimeError("the row has not reached the database yet")
        return self._value


# (sql, params, must change a row, where its RETURNING id goes)
_Statement = tuple[str, Sequence[Any], bool, RowId | None]
_BEGIN_STATEMENT: _Statement = (_BEGIN, (), False, None)

_TRIP = "SELECT jielong_trip(?)"


class _Trip:
    """What one trip carries to the database thread, and what it brings back."""

    __slots__ = ("batch", "error", "result", "then")

    def __init__(self, batch: list[_Statement], then: Callable[[sqlite3.Connection], Any]) -> None:
        self.batch = batch
        self.then = then
        self.result: Any = None
        self.error: BaseException | None = None


class Database:
    def __init__(self, conn: aiosqlite.Connection, raw: sqlite3.Connection, path: str) -> None:
        self._conn = conn
        # The sqlite3 connection aiosqlite's thread owns; only touched from that thread.
        self._raw = raw
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
        self._on_rollback: list[Callable[[], None]] = []
        # Trips to the database thread: what a message costs (see bench/run.py).
        self.calls = 0
        # Trips on their way to the thread, by number (the SQL function's argument).
        self._trips: dict[int, _Trip] = {}
        self._numbers = itertools.count()
        # Writes that go with whichever transaction commits next (see `with_next_commit`),
        # each with the future told when they are committed.
        self._riders: list[tuple[Callable[[], None], asyncio.Future[None]]] = []
        self._carrier: asyncio.Task[None] | None = None
        self._free = asyncio.Event()  # no transaction is open
        self._free.set()
        # Trips on their way to the database thread and back: work the event loop cannot see
        # (a driver of simulated time waits for it, see `settled`).
        self._in_flight = 0
        self._no_trips = asyncio.Event()
        self._no_trips.set()
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        opened: list[sqlite3.Connection] = []

        def connector() -> sqlite3.Connection:
            raw = sqlite3.connect(path, isolation_level=None)
            opened.append(raw)
            return raw

        try:
            conn = await aiosqlite.Connection(connector, 64)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open database {path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, opened[0], path)
        try:
            await conn.create_function("jielong_trip", 1, db._run_trip)
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

    def on_rollback(self, forget: Callable[[], None]) -> None:
        """A repository that caches registers here once: the repositories with caches
        are made once per connection (bot/domain/services.py); a one-off reading
        (storage/book.py) keeps no cache and registers nothing."""
        self._on_rollback.append(forget)

    def forget_caches(self) -> None:
        """After a rollback, and for statements the repositories did not make (tests, maintenance)."""
        for forget in self._on_rollback:
            forget()

    async def close(self) -> None:
        """Closes the connection; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        # Records still waiting for a commit (a send's "delivered") are committed first: lost, the
        # row would come back after a restart as uncertain rather than sent.
        if self._riders:
            try:
                async with self.transaction():
                    pass
            except Exception:
                log.exception("the last outbox records could not be committed before closing")
        if self._carrier is not None and not self._carrier.done():
            self._carrier.cancel()
        await self._conn.close()

    # -- the trip to the database thread ----------------------------------------

    def _run_trip(self, number: int) -> None:
        """The SQL function: runs in the database thread, inside `SELECT jielong_trip(?)`."""
        trip = self._trips.pop(number, None)
        if trip is None:
            return  # its task was cancelled before the trip left: nothing of it runs
        try:
            trip.result = self._run_batch(trip.batch, trip.then)
        except BaseException as exc:  # carried back and raised in the caller's task
            trip.error = exc

    def _run_batch(self, batch: list[_Statement], then: Callable[[sqlite3.Connection], T]) -> T:
        """Runs in the database thread: the waiting writes in order, then `then`."""
        raw = self._raw
        for sql, params, must_change, row_id in batch:
            cursor = raw.execute(sql, params)
            if row_id is not None:
                row_id.fill(int(cursor.fetchone()[0]))
            if must_change and cursor.rowcount != 1:
                raise NothingChanged(sql)
        return then(raw)

    async def _trip(self, then: Callable[[sqlite3.Connection], T]) -> T:
        if self._lock.locked() and self._owner is not asyncio.current_task():
            # Another task's transaction is open (the live ticker reads while a
            # message is handled): its waiting writes and its BEGIN are not ours
            # to send, and our statement must not land inside it.
            async with self._lock:
                return await self._send(then)
        return await self._send(then)

    async def _send(self, then: Callable[[sqlite3.Connection], T]) -> T:
        batch, self._pending = self._pending, []
        self._began = self._began or self._owner is not None
        self.calls += 1
        number = next(self._numbers)
        trip = self._trips[number] = _Trip(batch, then)
        self._leaving()
        try:
            await self._conn.execute_fetchall(_TRIP, (number,))
        finally:
            self._trips.pop(number, None)  # a trip that never ran (the connection closed)
            self._back()
        if trip.error is not None:
            raise trip.error
        result: T = trip.result
        return result

    # -- transactions ------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """Everything inside commits together or not at all."""
        async with self._lock:
            self._free.clear()
            self._pending = [_BEGIN_STATEMENT]
            self._owner = asyncio.current_task()
            self._began = False
            riders: list[tuple[Callable[[], None], asyncio.Future[None]]] = []
            try:
                yield self
                riders = self._take_riders()
                if self._pending != [_BEGIN_STATEMENT]:
                    # A transaction that wrote nothing and read only caches never began.
                    await self._trip(_commit)
                for _, committed in riders:
                    if not committed.done():
                        committed.set_result(None)
            except BaseException:
                if riders:
                    # Not theirs to fail with: they go with the next commit (the carrier's
                    # own transaction, if nobody else's, tells them its failure).
                    self._riders[:0] = riders
                    self._carry()
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
                self._free.set()

    def _take_riders(self) -> list[tuple[Callable[[], None], asyncio.Future[None]]]:
        taken, self._riders = self._riders, []
        riders = []
        for writes, committed in taken:
            mark = len(self._pending)
            try:
                writes()
            except Exception as exc:  # a broken rider fails alone, never the transaction carrying it
                del self._pending[mark:]
                if not committed.done():
                    committed.set_exception(exc)
                    committed.exception()
            else:
                riders.append((writes, committed))
        return riders

    def with_next_commit(self, writes: Callable[[], None]) -> asyncio.Future[None]:
        """`writes` (calls to `write`) go with the next transaction to commit, whoever's it is;
        the future is done when they are committed (or has the error of the carrier's own
        transaction, when no other came to carry them).

        For bookkeeping that must be durable before something happens but is no part of
        any message (the outbox's send records): on a busy bot it rides in the commit of
        the message being handled, so it costs no trip and no commit of its own; on a quiet
        one a carrier commits it as soon as no transaction is open. A message's transaction
        that rolls back hands its riders on, so they never fail because of it. The other way
        round, a rider's statements run in the message's commit: they must be writes that
        cannot fail on their own (updates by key), so only a failing database fails both."""
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._riders.append((writes, committed))
        self._carry()
        return committed

    def _carry(self) -> None:
        if self._carrier is None or self._carrier.done():
            self._carrier = asyncio.ensure_future(self._carry_riders())

    async def _carry_riders(self) -> None:
        while self._riders:
            # A transaction that starts in this turn (the next message) takes them along.
            await asyncio.sleep(0)
            if self._lock.locked():
                if self._free.is_set():
                    # A read outside any transaction holds the lock for its one trip: wait for
                    # the lock itself, not in a loop of sleep(0) that takes the GIL from that trip.
                    async with self._lock:
                        pass
                else:
                    await self._free.wait()
                continue
            riders = list(self._riders)
            try:
                async with self.transaction():
                    pass
            except BaseException as exc:
                # Its own transaction failed: the riders it was carrying fail with it, and
                # none is kept to fail every later transaction too.
                for _, committed in riders:
                    if not committed.done():
                        committed.set_exception(exc)
                        committed.exception()  # a rider nobody waits for must not warn
                self._riders = [r for r in self._riders if r not in riders]
                if isinstance(exc, asyncio.CancelledError):
                    raise

    async def _rollback(self) -> None:
        # Not a trip: aiosqlite's own rollback, which does nothing when the
        # failure came before BEGIN took. The waiting writes are discarded.
        self.calls += 1
        self._leaving()
        try:
            await self._conn.rollback()
        finally:
            self._back()

    def _leaving(self) -> None:
        self._in_flight += 1
        self._no_trips.clear()

    def _back(self) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            self._no_trips.set()

    async def settled(self) -> bool:
        """Waits for the trips on their way to the database thread; whether there were any.

        For drivers of simulated time (bench/ack_volume.py, tests): a task waiting for its trip is
        not runnable, so without this the driver would move the clock on while a send's record
        is still on its way, and the same run would give different times."""
        if not self._in_flight:
            return False
        await self._no_trips.wait()
        return True

    def write(self, sql: str, params: Sequence[Any] = (), *, must_change: bool = False) -> None:
        """A write whose result nobody reads: it goes to the database with the next trip.
        Outside a transaction there is no next trip, so callers use `execute` there."""
        if self._owner is None:
            raise RuntimeError("Database.write outside a transaction")
        self._pending.append((sql, params, must_change, None))

    def write_returning(self, sql: str, params: Sequence[Any] = ()) -> RowId:
        """An insert ending in `RETURNING id` whose id is wanted only after the commit: it
        waits for the next trip like `write`, and SQLite's id is in the answer then."""
        if self._owner is None:
            raise RuntimeError("Database.write_returning outside a transaction")
        row_id = RowId()
        self._pending.append((sql, params, False, row_id))
        return row_id

    # -- statements that answer --------------------------------------------------

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement now; returns the last inserted row id."""
        return await self._trip(lambda raw: raw.execute(sql, params).lastrowid or 0)

    async def execute_count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement now; returns how many rows it changed."""
        return await self._trip(lambda raw: raw.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        await self._trip(lambda raw: raw.executemany(sql, rows))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._trip(lambda raw: _fetch(raw, sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetch_each(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Row]]:
        """Several reads in one trip, each with its own rows."""
        return await self._trip(lambda raw: [_fetch(raw, sql, params) for sql, params in queries])


def _fetch(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    return raw.execute(sql, params).fetchall()


def _commit(raw: sqlite3.Connection) -> None:
    raw.execute("COMMIT")
