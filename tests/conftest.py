from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness.create(tmp_path / "bot.sqlite")
    yield h
    await h.close()


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

