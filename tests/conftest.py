from __future__ import annotations

import gc
import os
import random
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.services import Settings
from tests.harness import Harness, OpenBot

ROOT = Path(__file__).resolve().parents[1]


def _data_folder() -> dict[str, tuple[int, int]] | None:
    """The working folder's data/ (where the bot keeps a real order book): each file's size and time."""
    data = ROOT / "data"
    if not data.exists():
        return None
    return {str(p.relative_to(data)): (p.stat().st_size, p.stat().st_mtime_ns) for p in data.rglob("*") if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def the_working_folders_data_is_left_alone() -> Iterator[None]:
    """Tests write only into temporary folders: a run that leaves a workbook or a database in the
    project's data/ (beside the user's real data/bot.sqlite) fails here, after the last test."""
    before = _data_folder()
    yield
    after = _data_folder()
    if after != before:
        changed = sorted(set((after or {}).items()) ^ set((before or {}).items()))
        pytest.fail(f"the test run changed {ROOT / 'data'}: {[name for name, _ in changed][:10]}")


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness.create(tmp_path / "bot.sqlite")
    yield h
    await h.close()


@pytest.fixture
async def open_bot(tmp_path: Path) -> AsyncIterator[OpenBot]:
    """`await open_bot(path=..., settings=...)`: a harness (a restart is a second one on the same file),
    each closed when the test ends, passed or failed. A database left open keeps aiosqlite's worker
    thread alive, and pytest would print its summary and never exit."""
    opened: list[Harness] = []

    async def open_(path: Path | None = None, settings: Settings | None = None) -> Harness:
        h = await Harness.create(path or tmp_path / "bot.sqlite", settings)
        opened.append(h)
        return h

    yield open_
    for h in reversed(opened):
        await h.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The net under the fixtures: a database some test opened and never closed (it failed before
    its own close, outside a fixture) leaves aiosqlite's worker thread, which is not a daemon,
    waiting for work, and the interpreter would wait for it forever after printing the summary.
    Its thread is told to stop (aiosqlite's public `stop`), so a failing test fails the run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stop() asks for an event loop, and there is none any more
        for conn in [o for o in gc.get_objects() if isinstance(o, aiosqlite.Connection)]:
            conn.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--crash-seed", type=int, default=None, metavar="N",
                     help="seed of the crash suite's random chat and kill points (also CRASH_SEED=N)")


def pytest_configure(config: pytest.Config) -> None:
    # Chosen once per run, before collection, so the header below can name it.
    seed = config.getoption("--crash-seed")
    if seed is not None:
        os.environ["CRASH_SEED"] = str(seed)
    os.environ.setdefault("CRASH_SEED", str(random.SystemRandom().randrange(2**32)))


def pytest_report_header(config: pytest.Config) -> str:
    return f"crash suite: CRASH_SEED={os.environ['CRASH_SEED']} (repeat a run with --crash-seed or CRASH_SEED)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The end-to-end suites start a Node puppet service: slow whatever their files say.
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.slow)

