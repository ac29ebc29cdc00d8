"""The console, where a new user first meets the bot: a line must say who speaks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot import cli

NO_SPEAKER = "⚠️ 没有发出：每行先写是谁说的，例如「张三: 草莓2盒」（团长是群主；「私聊 团长: /汇总」是私聊）。"
OPEN = "团长: /开团 周六水果团\\n草莓 30元/盒\\n砂糖橘 25元/箱\n"


def _console(tmp_path: Path, lines: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert cli.main(["--db", str(tmp_path / "c.sqlite"), "--transport", "console", "--ack-within", "0"]) == 0
    return capsys.readouterr().out


def test_a_line_without_a_name_is_refused_with_a_hint_never_booked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = _console(tmp_path, "草莓2盒\n" + OPEN + "张三: 草莓2盒\n砂糖橘1箱\n我的订单\n张三: 我的订单\n", monkeypatch, capsys)
    said = out.splitlines()
    # The first line (before anyone spoke) is not 团长's; the later ones are not 张三's.
    assert said.count(NO_SPEAKER) == 3
    assert "🤖 [群] @张三 已记录：草莓×2，共¥60" in said
    assert "砂糖橘×1" not in out
    assert "🤖 [群] @张三 你的订单：" in out and "【周六水果团】草莓×2，¥60，进行中" in out
