"""One writer per database, whatever the path: the lock follows symlinks to the real file and holds
the file's inode, so a second name for the same database (a symlink or a hard link) cannot be opened
for writing while the bot runs — two writers would oversell stock from two memories of it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from storage.access import DatabaseBusy, writer_lock
from storage.db import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="links and flock are POSIX here")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "live" / "bot.sqlite"
    path.parent.mkdir()
    path.touch()
    return path


def test_a_symlink_to_the_database_is_refused(database: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    other.symlink_to(database)
    with writer_lock(database), pytest.raises(DatabaseBusy, match="in use by another jielong-bot"), \
            writer_lock(other):
        pass


def test_a_hard_link_to_the_database_is_refused(database: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = elsewhere / "copy.sqlite"
    os.link(database, other)
    with writer_lock(other), pytest.raises(DatabaseBusy, match="another name"), writer_lock(database):
        pass


def test_the_same_path_twice_is_refused_and_the_lock_ends_with_its_holder(database: Path) -> None:
    with writer_lock(database), pytest.raises(DatabaseBusy), writer_lock(database):
        pass
    with writer_lock(database):  # released: the next run takes it
        pass


async def test_sqlite_writes_as_usual_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"  # not there yet: the lock creates it empty, SQLite makes it a database
    with writer_lock(path):
        db = await Database.open(path)
        try:
            await db.execute("CREATE TABLE IF NOT EXISTS t (v)")
            await db.execute("INSERT INTO t VALUES (1)")
            assert [tuple(r) for r in await db.fetchall("SELECT v FROM t")] == [(1,)]
        finally:
            await db.close()
