"""The whole bot, as a process, in a WeChat group served by a real puppet service.

`python bot.py --transport wechaty` connects over gRPC to the local puppet
service; group members speak through its control API and everything the bot
says is read back from it. A campaign is opened, three members order three
ways, the owner gets totals privately (typed in the group and in her private
chat), her /导出 arrives as an XLSX file in her private chat, a member's /截单
is refused, and after a restart the orders are still in the book.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PuppetService, Sent, require_python_deps

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot.py"
ACK_WITHIN = "1"  # seconds; the default (under 5 minutes) only slows the test down
REPLY_TIMEOUT = 30.0

OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱"
NATIVE_WANG = (
    '<msg><appmsg appid="" sdkver="0"><title>#接龙\n周六水果团\n\n1. 王五 砂糖橘1箱</title><des />'
    "<type>53</type><appattach><cdnthumbaeskey /><aeskey></aeskey></appattach><extinfo>"
    "<solitaire_info><![CDATA[<solitaire><tt>0-20</tt><s>.</s><au>wx_wang</au><content><s>1</s>"
    "<i><u>wx_wang</u><h>0</h><s>.</s><t>1763600000</t></i></content></solitaire>]]></solitaire_info>"
    "</extinfo></appmsg><fromusername>wx_wang</fromusername><scene>0</scene></msg>"
)


@contextmanager
def bot_process(svc: PuppetService, db: Path, log_path: Path,
                ack_within: str = ACK_WITHIN) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "WECHATY_PUPPET_SERVICE_ENDPOINT": svc.endpoint,
        "WECHATY_PUPPET_SERVICE_TOKEN": svc.token,
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, str(BOT), "--transport", "wechaty", "--db", str(db), "--ack-within", ack_within, "-v"],
            cwd=db.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        svc.wait_until(lambda: proc.poll() is not None or svc.health()["clients"] >= 1, REPLY_TIMEOUT, "the bot")
        assert proc.poll() is None, f"bot.py exited early:\n{log_path.read_text(encoding='utf-8')[-4000:]}"
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def stop(proc: subprocess.Popen[bytes], log_path: Path) -> None:
    """SIGTERM, and the bot is gone within 5 s (a supervisor waits 10)."""
    asked = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("bot.py did not stop within 15 s of SIGTERM") from None
    took = time.monotonic() - asked
    assert code == 0, f"bot.py exit {code}:\n{log_path.read_text(encoding='utf-8')[-4000:]}"
    assert took < 5, f"bot.py took {took:.1f} s to stop after SIGTERM"


def in_room(text_part: str, *mentioned: str) -> Any:
    def match(s: Sent) -> bool:
        return s.room == "r1" and text_part in s.text and all(m in s.mentions for m in mentioned)

    return match


def summary_lines(svc: PuppetService, after: int) -> list[str]:
    # The totals are the owner's: answered in her private chat, never in the group.
    sent = svc.wait_sent(
        lambda s: s.to == "wx_owner" and s.text.startswith("📋 周六水果团 汇总"), REPLY_TIMEOUT, "the summary",
        since=after,
    )
    return sent.text.split("\n")


def export(db: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(BOT), "export", "--db", str(db), "--format", "json"],
        cwd=db.parent,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    book: dict[str, Any] = json.loads(result.stdout.decode("utf-8"))
    return book


def orders_by_member(book: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    (campaign,) = book["campaigns"]
    return {
        o["member"]: sorted((item["product"], item["qty"]) for item in o["items"])
        for o in campaign["orders"]
        if o["items"]
    }


@pytest.fixture(autouse=True)
def _deps() -> None:
    # bot.py runs in this interpreter, so it needs the wechaty transport's packages.
    require_python_deps()


def test_a_campaign_in_a_wechat_group_end_to_end(puppet_service: PuppetService, tmp_path: Path) -> None:
    svc = puppet_service
    db = tmp_path / "bot.sqlite"
    log_path = tmp_path / "bot.log"

    with bot_process(svc, db, log_path) as proc:
        # The owner opens a campaign; the bot announces it and posts the list to copy.
        svc.say("wx_owner", OPEN)
        jielong = svc.wait_sent(lambda s: s.room == "r1" and s.text.startswith("#接龙"), REPLY_TIMEOUT, "the list")
        lines = jielong.text.split("\n")
        assert lines[1] == "周六水果团" and lines[-1] == "1. "

        # Three members order three ways.
        svc.say("wx_zhang", "\n".join([*lines[:-1], "1. 3-502 张三 草莓2盒"]))
        svc.say("wx_li", "草莓2盒")
        svc.say("wx_wang", NATIVE_WANG, kind="group_note")

        # The plain order is acknowledged in the group, mentioning her; the copy and the native list
        # show their senders' lines as taken, so they need no acknowledgement of their own.
        svc.wait_sent(in_room("@李四 已记录：草莓×2", "wx_li"), REPLY_TIMEOUT, "李四's acknowledgement")

        mark = len(svc.sent())
        svc.say("wx_owner", "/汇总")
        assert summary_lines(svc, mark)[1:4] == ["草莓：4盒，¥120", "砂糖橘：1箱，¥25", "合计：¥145，3人下单"]

        # From her private chat too; and the export comes to her there as a file.
        mark = len(svc.sent())
        svc.say("wx_owner", "/汇总", room=None)
        assert summary_lines(svc, mark)[1:4] == ["草莓：4盒，¥120", "砂糖橘：1箱，¥25", "合计：¥145，3人下单"]
        svc.say("wx_owner", "/导出", room=None)
        workbook = svc.wait_sent(lambda s: s.to == "wx_owner" and s.file is not None, REPLY_TIMEOUT, "the workbook")
        assert workbook.file is not None and workbook.file.endswith(".xlsx") and workbook.bytes > 5000
        assert not any(s.room == "r1" and ("合计" in s.text or "¥120" in s.text) for s in svc.sent())

        # A member may not close the campaign.
        svc.say("wx_li", "/截单")
        svc.wait_sent(in_room("@李四 抱歉，/截单 只有团长和管理员可以使用。", "wx_li"), REPLY_TIMEOUT, "the refusal")
        assert not any(s.text.startswith("✂️") for s in svc.sent())

        stop(proc, log_path)

    expected = {
        "wx_zhang": [("草莓", 2)],
        "wx_li": [("草莓", 2)],
        "wx_wang": [("砂糖橘", 1)],
    }
    book = export(db)
    assert orders_by_member(book) == expected
    assert book["campaigns"][0]["status"] == "open"

    # A restarted bot finds the same book and keeps serving the group.
    with bot_process(svc, db, log_path) as proc:
        mark = len(svc.sent())
        svc.say("wx_owner", "/汇总")
        assert summary_lines(svc, mark)[1:4] == ["草莓：4盒，¥120", "砂糖橘：1箱，¥25", "合计：¥145，3人下单"]
        stop(proc, log_path)

    assert orders_by_member(export(db)) == expected


def _gathering(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM ack_pending").fetchone()[0])


def test_acknowledgements_still_being_gathered_survive_a_sigkill(puppet_service: PuppetService,
                                                                 tmp_path: Path) -> None:
    svc = puppet_service
    db = tmp_path / "bot.sqlite"
    log_path = tmp_path / "bot.log"
    start = len(svc.sent())
    # A long window, so the kill lands inside it.
    with bot_process(svc, db, log_path, ack_within="60") as proc:
        svc.say("wx_owner", OPEN)
        svc.wait_sent(lambda s: s.room == "r1" and s.text.startswith("#接龙"), REPLY_TIMEOUT, "the list")
        svc.say("wx_li", "草莓2盒")
        svc.say("wx_zhang", "砂糖橘1箱")
        svc.wait_until(lambda: db.exists() and _gathering(db) == 2, REPLY_TIMEOUT, "both orders stored")
        proc.kill()
        proc.wait(timeout=10)
    assert not any(s.mentions for s in svc.sent()[start:])

    with bot_process(svc, db, log_path) as proc:
        svc.wait_sent(in_room("@李四 已记录：草莓×2", "wx_li"), REPLY_TIMEOUT, "李四's acknowledgement")
        svc.wait_sent(in_room("@张三 已记录：砂糖橘×1", "wx_zhang"), REPLY_TIMEOUT, "张三's acknowledgement")
        stop(proc, log_path)
    mentioned = [m for s in svc.sent()[start:] for m in s.mentions]
    assert sorted(mentioned) == ["wx_li", "wx_zhang"]


# The bot's RPC deadline is 15 s: every send below hangs past it, then lands.
HANG = 18.0


def _outbox(db: Path) -> list[tuple[str, int]]:
    """(status, attempts) of every row the bot has had to say so far."""
    with sqlite3.connect(db) as conn:
        return [(str(status), int(attempts)) for status, attempts in
                conn.execute("SELECT status, attempts FROM outbox ORDER BY id")]


def _open_then_hang(svc: PuppetService, db: Path) -> tuple[int, int]:
    """The owner opens a drop; then every send hangs. What was said and the outbox rows so far."""
    svc.say("wx_owner", OPEN)
    svc.wait_sent(lambda s: s.room == "r1" and s.text.startswith("#接龙"), REPLY_TIMEOUT, "the list")
    start, before = len(svc.sent()), len(_outbox(db))
    svc.send_delay(HANG)
    return start, before


def test_sends_that_hang_past_the_deadline_and_then_land_are_said_once(puppet_service: PuppetService,
                                                                       tmp_path: Path) -> None:
    svc = puppet_service
    db = tmp_path / "bot.sqlite"
    log_path = tmp_path / "bot.log"
    with bot_process(svc, db, log_path) as proc:
        start, before = _open_then_hang(svc, db)
        svc.say("wx_li", "草莓2盒")
        svc.say("wx_zhang", "砂糖橘1箱")
        svc.say("wx_wang", "草莓1盒")
        svc.say("wx_owner", "/汇总", room=None)
        for member in ("wx_li", "wx_zhang", "wx_wang"):
            svc.wait_sent(in_room("已记录", member), 90, f"{member}'s acknowledgement", since=start)
        svc.wait_sent(lambda s: s.to == "wx_owner" and "汇总" in s.text, 90, "the summary", since=start)
        # Settled: each row the bot had to say is recorded as arrived (its echo came back)...
        svc.wait_until(lambda: all(status in ("sent", "merged") for status, _ in _outbox(db)[before:]), 60,
                       "every row settled")
        rows = _outbox(db)[before:]
        stop(proc, log_path)
    # ... after one attempt each: none was sent again while its first attempt was on its way.
    assert rows and all(attempts <= 1 for _, attempts in rows), rows
    said = svc.sent()[start:]
    assert sorted(m for s in said for m in s.mentions) == ["wx_li", "wx_wang", "wx_zhang"], said
    assert [s.to for s in said if s.to] == ["wx_owner"]
    log = log_path.read_text(encoding="utf-8")
    assert "it may have arrived" in log and "its echo came back" in log


def test_sigterm_while_sends_hang_stops_at_once_and_the_restart_says_nothing_twice(puppet_service: PuppetService,
                                                                                 tmp_path: Path) -> None:
    svc = puppet_service
    db = tmp_path / "bot.sqlite"
    log_path = tmp_path / "bot.log"
    with bot_process(svc, db, log_path) as proc:
        start, before = _open_then_hang(svc, db)
        svc.say("wx_li", "草莓2盒")
        svc.say("wx_zhang", "砂糖橘1箱")
        # Stopped while the acknowledgement is on its way (it lands later, while the bot is down).
        svc.wait_until(lambda: any(status == "sending" for status, _ in _outbox(db)[before:]), REPLY_TIMEOUT,
                       "the acknowledgement handed to the service")
        stop(proc, log_path)
    svc.send_delay(0)
    with bot_process(svc, db, log_path) as proc:
        svc.say("wx_wang", "草莓1盒")
        svc.wait_sent(in_room("已记录", "wx_wang"), 60, "王五's acknowledgement", since=start)
        # The hung one landed: its row settles (by its echo, or counted delivered), never sent again.
        svc.wait_until(lambda: all(status in ("sent", "merged", "unconfirmed") for status, _ in _outbox(db)[before:]),
                       180, "every row settled")
        stop(proc, log_path)
    said = svc.sent()[start:]
    assert sorted(m for s in said for m in s.mentions) == ["wx_li", "wx_wang", "wx_zhang"], said
