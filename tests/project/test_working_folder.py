"""The tests (and anything else that builds the services) write beside their own database, never into
the folder they run in: that is the project folder, beside the user's real data/bot.sqlite.

(tests/conftest.py checks the project's data/ is unchanged after every run.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import FRUIT, Harness


async def test_a_workbook_goes_beside_the_database_never_into_the_folder_it_runs_in(
        bot: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/导出")
    (sent,) = [o for o in bot.take() if o.file is not None]
    assert sent.file is not None and sent.file.path is not None
    assert sent.file.path.parent == Path(str(bot.db.path)).parent / "exports"
    assert list(project.iterdir()) == []
