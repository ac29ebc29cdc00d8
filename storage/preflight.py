"""Checks before a database is opened, so a bad one is refused in one line and left as it was.

- the folder: it must exist and be writable (only the default `data/` is created,
  never a folder somewhere a mistyped --db points to);
- the pages: `PRAGMA quick_check` finds a damaged file before the bot writes to it
  (the schema check in storage/db.py only reads the first page).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from storage.db import DatabaseError

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
