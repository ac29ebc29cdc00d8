"""The command line contract: replay, export, errors, and recorded chats.

The chats live in tests/fixtures/chats (format: tests/fixtures/README.md); the
shared corpus beside the project is checked too when it is there, never needed.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

# Every test starts bot.py as a process (about a second each).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHATS = ROOT / "tests" / "fixtures" / "chats"
CASE_01 = CHATS / "01_append" / "transcript.jsonl"
SHARED_CORPUS = Path(os.environ.get("JIELONG_CORPUS", ROOT.parent / "shared" / "corpus" / "jielong"))


def run(*args: str | Path, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, input=stdin, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_replay_prints_json_lines_with_transcript_time(tmp_path: Path) -> None:
    r = run("replay", CASE_01, "--db", tmp_path / "b.sqlite")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0]["ts"] == "2026-11-20T08:00:37+08:00"
    assert lines[0]["room"] == "r1" and lines[0]["text"].startswith("🎉 开团啦：周六水果团")
    # Three 接龙 copies, each showing its sender's line exactly as taken: no acknowledgement of
    # their own (README, "A quiet group"); the group hears only the announcement and the list.
    assert [x for x in lines if x["mentions"]] == []
    assert [x["text"].split("\n")[0] for x in lines] == ["🎉 开团啦：周六水果团", "#接龙"]
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


def test_a_few_bad_lines_in_a_good_transcript_are_warnings_with_line_numbers(tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    lines = CASE_01.read_text(encoding="utf-8").splitlines()
    chat.write_text("\n".join([lines[0], "{not json", lines[1], '{"kind": "mystery"}', *lines[2:]]) + "\n",
                    encoding="utf-8")
    r = run("replay", chat, "--db", tmp_path / "b.sqlite")
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"bot.py: warning: {chat}:2 skipped: not JSON (Expecting property name enclosed in double quotes)",
        f"bot.py: warning: {chat}:4 skipped: unknown kind 'mystery'",
    ]
    book = json.loads(run("export", "--db", tmp_path / "b.sqlite").stdout)
    assert len(book["campaigns"][0]["orders"]) == 3


def test_console_session(tmp_path: Path) -> None:
    session = "团长: /开团 周六水果团\\n草莓 30元/盒\n张三: 草莓2盒\n张三: 我的订单\n团长: /汇总\n"
    r = run("--db", tmp_path / "c.sqlite", "--transport", "console", "--ack-within", "0", stdin=session)
    assert r.returncode == 0, r.stderr
    assert "🎉 开团啦：周六水果团" in r.stdout
    assert "@张三 你的订单：" in r.stdout
    assert "草莓：2盒，¥60" in r.stdout
    assert "@张三 已记录：草莓×2，共¥60" in r.stdout


def _tally(orders: list[dict[str, object]]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for order in orders:
        for item in order["items"]:  # type: ignore[attr-defined]
            out[(str(order["member"]), str(item["product"]))] += int(item["qty"])
    return +out


@pytest.mark.parametrize("case", sorted(p.name for p in CHATS.iterdir() if (p / "expected.json").is_file()))
def test_recorded_chat_gives_the_orders_a_careful_owner_would_count(case: str, tmp_path: Path) -> None:
    expected = json.loads((CHATS / case / "expected.json").read_text(encoding="utf-8"))
    db = tmp_path / "b.sqlite"
    r = run("replay", CHATS / case / "transcript.jsonl", "--db", db)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    book = json.loads(run("export", "--db", db).stdout)
    for want in expected["campaigns"]:
        campaigns = [c for c in book["campaigns"] if c["room"] == want["room"]]
        campaign = campaigns[want["nth"] - 1]
        assert want["title_contains"] in campaign["title"]
        # The fixtures name products exactly as the owner wrote them.
        assert _tally(campaign["orders"]) == Counter({(m, p): q for m, p, q in want["orders"]}), expected["description"]
    assert len(book["campaigns"]) == len(expected["campaigns"])


def _shared_corpus_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_check", SHARED_CORPUS.parent.parent / "tools" / "corpus_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shared_corpus_when_it_is_beside_the_project() -> None:
    # An extra check for a machine that has ../shared; a fresh clone has nothing beside it.
    cases = sorted(p.parent for p in SHARED_CORPUS.glob("*/expected.json"))
    if not cases:
        pytest.skip(f"no shared corpus at {SHARED_CORPUS} (optional; tests/fixtures/chats always runs)")
    check = _shared_corpus_check()
    for case in cases:
        right, expected, right_actual, actual, problems = check.score_case(case, ROOT, sys.executable, 120)
        assert problems == [], case.name
        assert (right, right_actual) == (expected, actual), case.name
