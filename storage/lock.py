"""One writer per database: an exclusive lock held for the life of the process.

The repositories keep what they wrote in memory (stock left, the lines of a
campaign) and trust it; a second process writing the same file would make that
memory wrong and could oversell stock. So the bot, a replay and anything else
that writes takes this lock first; readers (`export`) do not need it.

The lock is an OS file lock on `<database>.lock` next to the database, so it is
released when the process ends however it ends (even SIGKILL); the file itself
stays and means nothing on its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class DatabaseBusy(Exception):
    """Another process is writing this database; the message says which, for a person."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


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
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)
