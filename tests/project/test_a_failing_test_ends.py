"""A failing test fails the run, and the run ends: nothing a test opened may keep pytest from exiting.

aiosqlite's worker thread is not a daemon; a database still open when the tests are done kept the
interpreter waiting after "1 failed" was printed, until CI's time limit. The fixtures close what
they open, passed or failed, and tests/conftest.py stops whatever a test opened on its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAILING = '''
from pathlib import Path

from storage.db import Database
from tests.harness import FRUIT, Harness


async def test_with_the_fixture(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    assert False, "planted"


async def test_with_its_own_harness(tmp_path: Path) -> None:
    bot = await Harness.create(tmp_path / "b.sqlite")
    await bot.say("wx_owner", FRUIT)
    assert False, "planted"
    await bot.close()


async def test_with_its_own_database(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "d.sqlite")
    assert await db.fetchall("SELECT 1") == [], "planted"
    await db.close()
'''


@pytest.mark.slow
def test_a_run_with_failing_tests_that_leave_databases_open_ends_and_fails(tmp_path: Path) -> None:
    tests = tmp_path / "test_planted.py"
    tests.write_text(FAILING, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                          "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(tests)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "3 failed" in run.stdout, run.stdout[-2000:]
