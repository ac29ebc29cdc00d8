"""The one-trip transaction (storage/db.py): writes wait and travel with the next trip.

Every value a member can type comes back exactly (quotes, SQL, NUL, emoji, huge
numbers), reads inside a transaction see its earlier writes, a failure rolls
back the whole transaction, and a message whose reads need no write is one
trip for its reads and one for its writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database, NothingChanged

AWKWARD = [
    "张三's 草莓", "'; DROP TABLE t; --", 'say "hi"', "a\x00b", "🍓" * 3, "?", "问号? 和 :name @x $y", "",
    "line\nbreak\r\n", "\\", "[x]", "`tick`",
]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.sqlite")
    try:
        await database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
        yield database
    finally:
        await database.close()


async def test_awkward_values_are_written_and_read_back_exactly(db: Database) -> None:
    values: list[object] = [*AWKWARD, None, 0, -1, 2**62, 2.5, -0.125, 1e300, b"\x00\xffbytes"]
    async with db.transaction():
        for i, value in enumerate(values):
            db.write("INSERT INTO t (id, v) VALUES (?, ?)", (i, value))
    rows = await db.fetchall("SELECT v FROM t ORDER BY id")
    assert [r[0] for r in rows] == values


async def test_a_read_inside_the_transaction_sees_its_earlier_writes(db: Database) -> None:
    async with db.transaction():
        db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
        assert [r[0] for r in await db.fetchall("SELECT v FROM t")] == ["a"]
        db.write("UPDATE t SET v = ? WHERE id = ?", ("b", 1))
        db.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "c"))
        assert [r[0] for r in await db.fetchall("SELECT v FROM t ORDER BY id")] == ["b", "c"]
        db.write("DELETE FROM t WHERE id = ?", (2,))
    assert [r[0] for r in await db.fetchall("SELECT v FROM t")] == ["b"]


@pytest.mark.parametrize("read_first", [False, True])
async def test_a_failed_write_rolls_back_the_whole_transaction(db: Database, read_first: bool) -> None:
    with pytest.raises(NothingChanged):
        async with db.transaction():
            db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "kept?"))
            if read_first:
                await db.fetchall("SELECT * FROM t")  # the writes reach the database before the failure
            db.write("UPDATE t SET v = ? WHERE id = ?", ("x", 99), must_change=True)
    assert await db.fetchall("SELECT * FROM t") == []
    async with db.transaction():  # and the connection is usable again
        db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "after"))
    assert [r[0] for r in await db.fetchall("SELECT v FROM t")] == ["after"]


async def test_a_message_whose_reads_hit_no_write_costs_one_trip(db: Database) -> None:
    await db.fetchall("SELECT 1")
    before = db.calls
    async with db.transaction():
        await db.fetchall("SELECT * FROM t")  # BEGIN goes with it
        db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "a"))
        db.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "b"))
    assert db.calls - before == 2


async def test_a_record_riding_with_a_message_costs_no_trip_of_its_own(db: Database) -> None:
    async with db.transaction():
        db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "message"))
        before = db.calls
        sent = db.with_next_commit(lambda: db.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "sent")))
    await sent
    assert db.calls == before + 1  # the commit, carrying both
    assert [r[0] for r in await db.fetchall("SELECT v FROM t ORDER BY id")] == ["message", "sent"]


async def test_a_record_riding_with_a_message_that_rolls_back_is_committed_all_the_same(db: Database) -> None:
    sent = None
    with pytest.raises(NothingChanged):
        async with db.transaction():
            sent = db.with_next_commit(lambda: db.write("INSERT INTO t (id, v) VALUES (?, ?)", (2, "sent")))
            db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "message"))
            db.write("UPDATE t SET v = ? WHERE id = ?", ("x", 99), must_change=True)  # a re-delivered message
    assert sent is not None
    await sent
    assert [r[0] for r in await db.fetchall("SELECT v FROM t ORDER BY id")] == ["sent"]


async def test_a_record_with_no_transaction_to_ride_commits_on_its_own(db: Database) -> None:
    await db.with_next_commit(lambda: db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "sent")))
    assert [r[0] for r in await db.fetchall("SELECT v FROM t")] == ["sent"]
    failed = db.with_next_commit(lambda: db.write("INSERT INTO t (id, v) VALUES (?, ?)", (1, "again")))
    with pytest.raises(Exception, match="UNIQUE"):
        await failed  # its own failure reaches the one waiting for it, and nothing else


async def test_ids_given_by_sqlite_come_back_with_the_commit_at_no_extra_trip(db: Database) -> None:
    await db.execute("INSERT INTO t (id, v) VALUES (7, 'older')")
    async with db.transaction():
        before = db.calls
        first = db.write_returning("INSERT INTO t (v) VALUES (?) RETURNING id", ("a",))
        second = db.write_returning("INSERT INTO t (v) VALUES (?) RETURNING id", ("b",))
        with pytest.raises(RuntimeError):
            first.value  # noqa: B018 (not in the database yet)
    assert db.calls == before + 1
    assert (first.value, second.value) == (8, 9)
    assert [tuple(r) for r in await db.fetchall("SELECT id, v FROM t WHERE id > 7 ORDER BY id")] == [(8, "a"), (9, "b")]


async def test_a_database_from_before_0011_keeps_its_campaigns_and_gathered_acknowledgements(tmp_path: Path) -> None:
    import sqlite3
    from importlib import resources

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    for entry in sorted(resources.files("storage").joinpath("migrations").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql") and int(entry.name[:4]) <= 10:
            old.executescript(entry.read_text(encoding="utf-8"))
    old.executescript(
        "PRAGMA user_version = 10;"
        "INSERT INTO rooms (id, topic, owner_id) VALUES ('r1', '群', 'o');"
        "INSERT INTO campaigns (id, room_id, title, status, opened_at, created_by, live_lines) "
        "VALUES (1, 'r1', '周六水果团', 'open', '2026-11-28T08:00:00+08:00', 'o', 2);"
        "INSERT INTO ack_pending (room_id, member_id, name, text, added_at) VALUES "
        "('r1', 'li', '李四', 'b', 't'), ('r1', 'zhang', '张三', 'a', 't');")
    old.close()
    db = await Database.open(path)
    try:
        assert [r[0] for r in await db.fetchall("SELECT title FROM campaigns")] == ["周六水果团"]
        async with db.transaction():  # her new change replaces her entry and comes last, as before
            db.write("INSERT OR REPLACE INTO ack_pending (room_id, member_id, name, text, added_at) "
                     "VALUES ('r1', 'li', '李四', 'c', 't')")
        assert [tuple(r) for r in await db.fetchall("SELECT member_id, text FROM ack_pending ORDER BY seq")] == [
            ("zhang", "a"), ("li", "c")]
    finally:
        await db.close()


async def test_records_waiting_for_a_commit_are_committed_when_the_database_closes(tmp_path: Path) -> None:
    # The outbox's "delivered" record waits for the next commit; a bot that stops right after a
    # send must not leave it out (the row would come back after a restart as uncertain).
    db = await Database.open(tmp_path / "t.sqlite")
    try:
        await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
        db.with_next_commit(lambda: db.write("INSERT INTO t (v) VALUES ('delivered')"))
    finally:
        await db.close()
    again = await Database.open(tmp_path / "t.sqlite")
    try:
        assert [tuple(r) for r in await again.fetchall("SELECT v FROM t")] == [("delivered",)]
    finally:
        await again.close()
