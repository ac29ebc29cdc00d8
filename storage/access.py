"""Opening a database file safely: one writer at a time, and a bad file refused before anything is written.

One writer per database: an exclusive lock held for the life of the process.

The repositories keep what they wrote in memory (stock left, the lines of a
campaign) and trust it; a second process writing the same file would make that
memory wrong and could oversell stock. So the bot, a replay and anything else
that writes takes this lock first; readers (`export`) do not need it.

The lock is an OS file lock on `<database>.lock` next to the database's resolved
path (a symlink leads to the same lock file), and, on POSIX, a flock on the
database file itself: its inode, which every hard link shares, so no second path
to the same file can be opened for writing. Both are released when the process
ends however it ends (even SIGKILL); the lock file stays and means nothing on its
own. (SQLite's own locks are POSIX record locks, which flock does not touch; the
descriptor stays open until the process is done with the database, since closing
another descriptor of the file would drop SQLite's.)

Checks before a database is opened, so a bad one is refused in one line and left as it was:

- the folder: it must exist and be writable (only the default `data/` is created,
  never a folder somewhere a mistyped --db points to);
- the pages: `PRAGMA quick_check` finds a damaged file before the bot writes to it
  (the schema check in storage/db.py only reads the first page).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.db import DatabaseError


class DatabaseBusy(Exception):
    """Another process is writing this database; the message says which, for a person."""


def lock_path(db_path: Path) -> Path:
    """`<database>.lock` beside the file the path leads to (symlinks followed)."""
    real = db_path.resolve()
    return real.with_name(real.name + ".lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock_inode(db_path: Path) -> int | None:
    """POSIX: an open descriptor of the database file holding an exclusive flock on its inode;
    DatabaseBusy when another process (under any name of the file) holds it. None elsewhere."""
    if sys.platform == "win32":
        return None
    try:
        # O_CREAT: a new database starts as an empty file, which SQLite takes as an empty database.
        fd = os.open(db_path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DatabaseBusy(f"cannot lock {db_path}: {exc.strerror}") from exc
    if not _try_lock(fd):
        os.close(fd)
        raise DatabaseBusy(f"{db_path} is in use by another jielong-bot under another name (a link to the "
                           "same file); one process writes a database at a time: stop it, or use another --db")
    return fd


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        pid = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


@contextmanager
def writer_lock(db_path: Path) -> Iterator[None]:
    """Holds the database's writer lock inside the block; DatabaseBusy when another process has it."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DatabaseBusy(f"cannot lock {db_path}: {exc.strerror} ({path})") from exc
    try:
        if not _try_lock(fd):
            raise DatabaseBusy(f"{db_path} is in use by another jielong-bot{_holder(fd)}; one process writes a "
                               "database at a time: stop it, or use another --db (export may read it meanwhile)")
        # Who holds it, for the refusal a second process prints.
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        inode = _lock_inode(db_path)
        try:
            yield
        finally:
            if inode is not None:
                os.close(inode)
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)



# quick_check stops after this many problems; the first one is what a person reads.
_MAX_PROBLEMS = 5


def check_writable(db_path: Path, *, may_create_folder: bool) -> None:
    """The bot can create or write `db_path` (and its -wal, -shm and lock files beside it)."""
    folder = db_path.parent
    if not folder.exists():
        if not may_create_folder:
            raise DatabaseError(f"the folder {folder} for the database {db_path} does not exist; create it first")
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create the folder {folder} for the database: {exc.strerror}") from exc
    if not folder.is_dir():
        raise DatabaseError(f"{folder} is not a folder; the database {db_path} cannot be created in it")
    if db_path.is_dir():
        raise DatabaseError(f"{db_path} is a folder, not a database file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseError(f"cannot write in the folder {folder} (permission denied); "
                            "the database needs its folder writable")
    if db_path.exists() and not os.access(db_path, os.R_OK | os.W_OK):
        raise DatabaseError(f"cannot read and write the database {db_path} (permission denied)")


def check_pages(db_path: Path) -> None:
    """Refuses a file whose pages are damaged or that is not a database at all."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        return  # a new database
    try:
        conn = sqlite3.connect(db_path, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database {db_path}: {exc}") from exc
    try:
        rows = conn.execute(f"PRAGMA quick_check({_MAX_PROBLEMS})").fetchall()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise DatabaseError(f"{db_path} is not a usable database ({exc}); it was left untouched") from exc
        raise _damaged(db_path, str(exc)) from exc
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    if problems:
        raise _damaged(db_path, problems[0])


def _damaged(db_path: Path, problem: str) -> DatabaseError:
    return DatabaseError(f"{db_path} is damaged (quick_check: {problem}); it was left untouched: "
                         "restore a copy, or start a new database with another --db")
