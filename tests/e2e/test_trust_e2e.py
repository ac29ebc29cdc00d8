"""Trust boundaries over the real puppet-service protocol: `python bot.py --transport wechaty` against
the local Node puppet service (tests/e2e/README.md).

- A member who types the XML of a native 群接龙 (naming others as its authors) books nothing: it is a
  Text message on the wire, and text is never a native list.
- A partner's runaway templates — one refused when saved, one that runs away only on real data —
  leave the bot answering a member of another group within 2 s. Measured at the bot's
  outbox (the answer decided and committed): the account's own pacing then spaces posts to different
  chats by 2-5 s on purpose (bot/app/outbox.py, anti-spam), which is not the bot being frozen.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import PuppetService, require_python_deps
from tests.e2e.test_wechat_e2e import REPLY_TIMEOUT, bot_process, export, orders_by_member, stop

pytestmark = pytest.mark.e2e

NESTED = ("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
          "{% endfor %}{% endfor %}")
FORGED = ("<msg><appmsg><title>#接龙\n周六水果团\n\n1. 李四 草莓10盒</title><type>53</type><extinfo><solitaire_info>"
          "<![CDATA[<solitaire><content><i><u>wx_li</u></i></content></solitaire>]]></solitaire_info></extinfo>"
          "</appmsg></msg>")


@pytest.fixture(autouse=True)
def _deps() -> None:
    require_python_deps()


def test_a_members_typed_xml_books_nothing(puppet_service: PuppetService, tmp_path: Path) -> None:
    svc = puppet_service
    db, log_path = tmp_path / "bot.sqlite", tmp_path / "bot.log"
    with bot_process(svc, db, log_path) as proc:
        svc.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒 限量10")
        svc.wait_sent(lambda s: s.room == "r1" and s.text.startswith("#接龙"), REPLY_TIMEOUT, "the list")
        svc.say("wx_zhang", "草莓2盒")
        svc.wait_sent(lambda s: s.room == "r1" and "@张三 已记录：草莓×2" in s.text, REPLY_TIMEOUT, "张三's ack")
        # 王五 types the XML of a native list: 张三's line left out, 李四 billed for the whole stock.
        svc.say("wx_wang", FORGED)
        svc.say("wx_wang", "我的订单")
        svc.wait_sent(lambda s: s.room == "r1" and s.text.startswith("@王五 ") and "订单" in s.text, REPLY_TIMEOUT,
                      "王五's answer (the XML was handled before it)")
        stop(proc, log_path)
    assert orders_by_member(export(db)) == {"wx_zhang": [("草莓", 2)]}


def _answered_in(db: Path, room: str, start: int) -> bool:
    """Whether the bot has committed a post to `room` among outbox rows after `start`."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT 1 FROM outbox WHERE id > ? AND room_id = ? AND text LIKE '@赵六%'",
                               (start, room)).fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def _rooms(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM rooms WHERE owner_id IS NOT NULL").fetchone()[0])
    except sqlite3.Error:
        return 0


def _last_row(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0])


def test_a_partners_runaway_templates_leave_the_other_group_answered_within_2_s(
        puppet_service: PuppetService, tmp_path: Path) -> None:
    svc = puppet_service
    db, log_path = tmp_path / "bot.sqlite", tmp_path / "bot.log"
    # Another owner's group, where 赵六 orders.
    svc.room("r2", "翠湖团购群", "wx_liu", {"wx_liu": "刘姐", "wx_zhao": "赵六"})
    with bot_process(svc, db, log_path) as proc:
        svc.wait_until(lambda: _rooms(db) == 2, REPLY_TIMEOUT, "the bot to know both groups")
        svc.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
        svc.say("wx_liu", "/开团 周日团\n草莓 30元/盒", room="r2")
        svc.wait_sent(lambda s: s.room == "r2" and s.text.startswith("#接龙"), REPLY_TIMEOUT, "the list in r2")
        svc.say("wx_owner", "/合伙人 添加 @李四 佣金10%", mentions=("wx_li",))
        svc.wait_sent(lambda s: s.to == "wx_owner" and s.text.startswith("✅ 李四 是"), REPLY_TIMEOUT, "the partner")
        # Fine on the sample (张三), runs away for anyone else's 我的订单 in her group.
        svc.say("wx_li", "/话术 设置 查单\n{% if name != '张三' %}" + NESTED + "{% endif %}{{ name }}的订单")
        svc.wait_sent(lambda s: s.to == "wx_li" and s.text.startswith("✅ 已保存"), REPLY_TIMEOUT, "her template")
        svc.say("wx_zhao", "草莓1盒", room="r2")
        svc.wait_sent(lambda s: s.room == "r2" and "@赵六 已记录" in s.text, REPLY_TIMEOUT, "赵六's order")
        time.sleep(6)  # past the account's pacing between chats

        start = _last_row(db)
        svc.say("wx_li", "/话术 设置 开团\n" + NESTED)  # runs away when it is tried
        svc.say("wx_wang", "我的订单")  # her 查单 template runs away on real data
        asked = time.monotonic()
        svc.say("wx_zhao", "我的订单", room="r2")
        svc.wait_until(lambda: _answered_in(db, "r2", start), 10, "赵六 answered in the other group")
        assert time.monotonic() - asked <= 2.0
        svc.wait_sent(lambda s: s.room == "r2" and s.text.startswith("@赵六 ") and "草莓×1" in s.text,
                      REPLY_TIMEOUT, "赵六's answer over the protocol")
        # Her group got its answer too, in the built-in words; she and the owner heard why, privately.
        svc.wait_sent(lambda s: s.room == "r1" and s.text.startswith("@王五 "), REPLY_TIMEOUT, "王五's answer")
        svc.wait_sent(lambda s: s.to == "wx_li" and "没有保存" in s.text and "TimeoutError" in s.text,
                      REPLY_TIMEOUT, "her refusal")
        svc.wait_sent(lambda s: s.to == "wx_owner" and "【查单】话术用真实数据出错了" in s.text, REPLY_TIMEOUT,
                      "the owner told")
        stop(proc, log_path)
