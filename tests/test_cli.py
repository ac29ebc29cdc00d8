"""The command line contract: replay, export, errors, and the shared corpus."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

# Every test starts bot.py as a process (about a second each).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("JIELONG_CORPUS", ROOT.parent / "shared" / "corpus" / "jielong"))
CASE_01 = CORPUS / "01_append" / "transcript.jsonl"


def run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, input=stdin, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_replay_prints_json_lines_with_transcript_time(tmp_path: Path) -> None:
    r = run("replay", CASE_01, "--db", tmp_path / "b.sqlite")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0]["ts"] == "2026-11-20T08:00:37+08:00"
    assert lines[0]["room"] == "r1" and lines[0]["text"].startswith("🎉 开团啦：周六水果团")
    acks = [x for x in lines if x["mentions"]]
    assert [x["mentions"] for x in acks] == [["wx_zhang"], ["wx_li"], ["wx_wang"]]
    assert acks[0]["ts"] == "2026-11-20T08:01:17+08:00"  # gathered for 3 s after the order
    assert all(set(x) == {"ts", "room", "text", "mentions"} for x in lines)


def test_replaying_twice_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    run("replay", CASE_01, "--db", db)
    first = run("export", "--db", db, "--format", "json").stdout
    again = run("replay", CASE_01, "--db", db)
    assert again.returncode == 0
    assert again.stdout == ""
    assert run("export", "--db", db, "--format", "json").stdout == first


def test_export_json_shape(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    run("replay", CASE_01, "--db", db)
    book = json.loads(run("export", "--db", db, "--format", "json").stdout)
    (campaign,) = book["campaigns"]
    assert (campaign["id"], campaign["room"], campaign["title"], campaign["status"]) == (1, "r1", "周六水果团", "open")
    assert campaign["products"][0]["name"] == "草莓" and campaign["products"][0]["price"] == 30.0
    wang = campaign["orders"][2]
    assert (wang["member"], wang["name"], wang["label"]) == ("wx_wang", "王五", "5-1203 王五")
    assert wang["items"] == [{"product": "草莓", "qty": 1}, {"product": "砂糖橘", "qty": 2}]


def test_export_csv_opens_in_excel(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    run("replay", CASE_01, "--db", db)
    out = tmp_path / "orders.csv"
    r = run("export", "--db", db, "--format", "csv", "--campaign", "1", "--out", out)
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["团ID", "群", "团名"]
    assert len(rows) == 1 + 4  # one row per order item
    assert rows[-1][5:9] == ["王五", "5-1203 王五", "砂糖橘", "2"]
    assert rows[-1][-1] == "50.00"


def test_help_on_each_command() -> None:
    for args in ([], ["replay"], ["export"]):
        r = run(*args, "--help")
        assert r.returncode == 0
        assert "usage:" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "/nonexistent/chat.jsonl", "--db", "x.sqlite"], "cannot read transcript"),
        (["export", "--db", "/nonexistent/db.sqlite"], "no database at"),
        (["export", "--format", "pdf"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["--tz", "Mars/Base"], "unknown time zone"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_exit_2(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert message in r.stderr


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    run("replay", CASE_01, "--db", db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()  # checkpoints the WAL, so the file holds everything before we compare
    before = db.read_bytes()
    r = run("export", "--db", db)
    assert r.returncode == 2
    assert "newer version" in r.stderr
    assert db.read_bytes() == before


def test_corrupt_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    r = run("replay", CASE_01, "--db", db)
    assert r.returncode == 2
    assert "not a usable database" in r.stderr
    assert db.read_bytes() == before


def test_malformed_transcript_lines_are_skipped(tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    lines = CASE_01.read_text(encoding="utf-8").splitlines()
    chat.write_text("\n".join([lines[0], "{not json", lines[1], '{"kind": "mystery"}', *lines[2:]]) + "\n",
                    encoding="utf-8")
    r = run("replay", chat, "--db", tmp_path / "b.sqlite")
    assert r.returncode == 0
    assert "skipped" in r.stderr
    book = json.loads(run("export", "--db", tmp_path / "b.sqlite").stdout)
    assert len(book["campaigns"][0]["orders"]) == 3


def test_console_session(tmp_path: Path) -> None:
    session = "团长: /开团 周六水果团\\n草莓 30元/盒\n张三: 草莓2盒\n张三: 我的订单\n团长: /汇总\n"
    r = run("--db", tmp_path / "c.sqlite", "--transport", "console", "--ack-window", "0", stdin=session)
    assert r.returncode == 0, r.stderr
    assert "🎉 开团啦：周六水果团" in r.stdout
    assert "@张三 你的订单：" in r.stdout
    assert "草莓：2盒，¥60" in r.stdout
    assert "@张三 已记录：草莓×2，共¥60" in r.stdout


def _corpus_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_check", CORPUS.parent.parent / "tools" / "corpus_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = sorted(p.parent.name for p in CORPUS.glob("*/expected.json"))


def test_the_shared_corpus_is_there() -> None:
    # The corpus lives beside the project (../shared); a missing corpus must fail, not pass silently.
    assert CASES, f"no corpus cases under {CORPUS}"


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str) -> None:
    right, expected, right_actual, actual, problems = _corpus_check().score_case(
        CORPUS / case, ROOT, sys.executable, 120)
    assert problems == []
    assert (right, right_actual) == (expected, actual)
