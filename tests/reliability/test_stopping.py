"""Stopping: SIGTERM or Ctrl-C ends the console bot within seconds, even while it waits for a typed line,
and what it still had to say is said once, after the restart.

The console runs as a process on a pipe, as a person or a supervisor would run it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # processes of the real bot

ROOT = Path(__file__).resolve().parents[2]
ORDERS = "团长: /开团 周六水果团\\n草莓 30元/盒\\n砂糖橘 25元/箱\n张三: 草莓2盒\n李四: 砂糖橘1箱\n王五: 草莓1盒\n"
MEMBERS = ("张三", "李四", "王五")


@contextmanager
def console(db: Path, out: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    with out.open("w", encoding="utf-8") as sink:
        proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "--db", str(db), "--transport", "console",
                                 *args], cwd=db.parent, stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.STDOUT,
                                text=True, encoding="utf-8", env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        if proc.stdin is not None:
            proc.stdin.close()


def until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def gathering(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM ack_pending").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


def told(out: Path, member: str) -> int:
    return out.read_text(encoding="utf-8").count(f"@{member} 已记录")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_with_acknowledgements_pending_is_prompt_and_the_restart_says_each_once(
        tmp_path: Path, sig: signal.Signals) -> None:
    db = tmp_path / "bot.sqlite"
    first = tmp_path / "first.txt"
    with console(db, first) as proc:
        assert proc.stdin is not None
        proc.stdin.write(ORDERS)
        proc.stdin.flush()  # and left open: the console waits for the next line
        until(lambda: gathering(db) == 3, "the three orders stored, their acknowledgements gathering")
        asked = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=30)
        took = time.monotonic() - asked
    assert code == 0, first.read_text(encoding="utf-8")
    assert took < 5, f"stopped {took:.1f} s after {sig.name}"
    # Nothing was said early because of the stop, and nothing was lost: they wait in the database.
    assert all(told(first, m) == 0 for m in MEMBERS)
    assert gathering(db) == 3

    # The restart takes up where it stopped; a short promise makes the wait overdue at once.
    second = tmp_path / "second.txt"
    with console(db, second, "--ack-within", "1") as proc:
        until(lambda: all(told(second, m) for m in MEMBERS), "the acknowledgements after the restart")
        assert proc.stdin is not None
        proc.stdin.close()  # Ctrl-D
        assert proc.wait(timeout=30) == 0
    assert [told(second, m) for m in MEMBERS] == [1, 1, 1]
    assert "草莓×2，共¥60" in second.read_text(encoding="utf-8")

    third = tmp_path / "third.txt"
    with console(db, third, "--ack-within", "1") as proc:
        assert proc.stdin is not None
        proc.stdin.write("张三: 我的订单\n")
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    assert "@张三 你的订单" in third.read_text(encoding="utf-8")
    assert all(told(third, m) == 0 for m in MEMBERS)  # never twice
