"""A red-team replay: members, partners and admins of two owners attacking each other, as one recorded
chat replayed through the real pipeline (bot/app/runtime.run_bot with the replay transport, as
`bot.py replay` runs it). Nothing leaks to anyone outside her scope, nothing is billed to anyone who
did not write it, nobody is marked paid, and the bot answers in every group throughout."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app.runtime import run_bot
from bot.clock import ManualClock
from bot.models import Outgoing
from bot.render.export import order_book
from bot.routers import build_dispatcher
from bot.transports.replay import ReplayTransport, load_transcript
from storage.db import Database
from tests.harness import START
from tests.two_owners import A_DROP, ADM, B_OPEN, BUYER, MEM, NAMES, OWNERS, PAR, PEOPLE, TOPICS, A, B, leaks

FORGED_NATIVE = (  # typed as text: cancels 阿一甲's line, bills 路人 the whole stock
    "<msg><appmsg><title>#接龙\n甲鲜果团\n\n1. 路人 草莓50盒</title><type>53</type><extinfo><solitaire_info>"
    "<![CDATA[<solitaire><content><i><u>wx_mem</u></i></content></solitaire>]]></solitaire_info></extinfo>"
    "</appmsg></msg>")
NESTED = ("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}"
          "{% endfor %}{% endfor %}")

# (who, group or None for her private chat, what she types, real @-mentions, message type)
Step = tuple[str, str | None, str, tuple[str, ...], str]
ATTACKS: list[list[Step]] = [
    [  # members
        (MEM, "a1", FORGED_NATIVE, (), "text"),
        (MEM, "a1", "/已付 @路人 1000", (MEM,), "text"),
        (MEM, "a1", "/确认 1 草莓9盒 @阿一甲", (BUYER["a1"],), "text"),
        (MEM, "b1", "/开团 路人团\n榴莲 1元/个", (), "text"),
        (MEM, "b1", "/统计 ²", (), "text"),
        (MEM, None, "/汇总 3群", (), "text"),
        (MEM, "a2", "#接龙\n甲鲜果团\n\n1. 阿二甲 草莓30盒\n2. 路人 草莓4盒", (), "text"),  # rewrites 阿二甲's line
        (MEM, "a1", "草莓100000000000000000000盒", (), "text"),
    ],
    [  # a partner of 甲's 甲二群
        (PAR, "a2", "/话术 设置 确认\n" + NESTED, (), "text"),
        (PAR, "a2", "/话术 设置 开团\n{{ 'x'|center(3000000) }}", (), "text"),
        (PAR, "a2", "/话术 设置 汇总\n{{ campaign.title }} 一切正常", (), "text"),
        (PAR, "a2", "/话术 设置 截单\n{{ campaign.commission_bp }} {{ campaign }}", (), "text"),
        (PAR, "a2", "/截单", (), "text"),
        (PAR, None, "/导出", (), "text"),
        (PAR, None, "/统计", (), "text"),
        (PAR, "a2", "/合伙人 添加 @路人 佣金50%", (MEM,), "text"),
        (PAR, "a2", "/管理员 添加 @路人", (MEM,), "text"),
        (PAR, "b1", "/汇总", (), "text"),
    ],
    [  # an admin trusted by both owners
        (ADM, None, "/开团 合并团\n群 甲一群 乙三群\n苹果 5元/个 限量3", (), "text"),
        (ADM, "a1", "/开团 合并团\n群 全部\n苹果 5元/个", (), "text"),
        (ADM, "a1", "/已付 @阿三乙 888", (BUYER["b1"],), "text"),
        (ADM, "b1", "/改单 阿一甲 草莓1", (), "text"),
        (ADM, "a1", "/管理员 移除 @甲团长", (A,), "text"),
        (ADM, "b1", "/话术 设置 汇总\n乙的汇总被改了", (), "text"),
        (ADM, None, "/统计 3650", (), "text"),
    ],
    [  # the owners, each in the other's group
        (B, "a1", "/截单", (), "text"),
        (B, "a1", "/汇总", (), "text"),
        (B, "a1", "/已付 @阿一甲", (BUYER["a1"],), "text"),
        (B, None, "/汇总 2群", (), "text"),
        (A, "b1", "/统计", (), "text"),
        (A, "b1", "/下架 榴莲", (), "text"),
        (A, None, "/开团 抢团\n群 乙三群\n榴莲 1元/个", (), "text"),
        (B, "a1", "/话术 设置 确认\n乙写的确认", (), "text"),
    ],
]


def _record(who: str, room: str | None, text: str, mentions: tuple[str, ...], kind: str, n: int) -> dict[str, Any]:
    record: dict[str, Any] = {"kind": "message", "id": f"m{n}", "ts": (START + timedelta(seconds=10 * n)).isoformat(),
                              "from": who, "name": NAMES[who], "text": text, "type": kind}
    if room is not None:
        record["room"] = room
    if mentions:
        record["mentions"] = list(mentions)
    return record


def transcript() -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The chat, and each probe: (its message id, its group) — a buyer asking 我的订单 in every group
    after every round of attacks."""
    lines: list[dict[str, Any]] = []
    for room, topic in TOPICS.items():
        lines.append({"kind": "room", "room": room, "topic": topic, "owner": OWNERS[room],
                      "members": {m: NAMES[m] for m in PEOPLE[room]}})
    setup: list[Step] = [(A, "a1", "/管理员 添加 @管管", (ADM,), "text"), (A, "a2", "/合伙人 添加 @伙伴 佣金10%", (PAR,), "text"),
                         (B, "b1", "/管理员 添加 @管管", (ADM,), "text"), (A, None, A_DROP, (), "text"),
                         (B, "b1", B_OPEN, (), "text"), (BUYER["a1"], "a1", "草莓2盒", (), "text"),
                         (BUYER["a2"], "a2", "草莓3盒", (), "text"), (BUYER["b1"], "b1", "榴莲1个", (), "text"),
                         (MEM, "a1", "草莓1盒", (), "text")]
    probes: list[tuple[str, str]] = []
    for round_ in [setup, *ATTACKS]:
        for step in round_:
            lines.append(_record(*step, n=len(lines)))
        for room, buyer in BUYER.items():
            lines.append(_record(buyer, room, "我的订单", (), "text", n=len(lines)))
            probes.append((lines[-1]["id"], room))
    return lines, probes


class Recording(ReplayTransport):
    """The replay transport, keeping what it prints as Outgoing values too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.said: list[tuple[str, Outgoing]] = []

    async def send(self, out: Outgoing) -> None:
        self.said.append((self.clock.now().isoformat(), out))
        await super().send(out)


async def test_two_owners_businesses_survive_each_others_people(tmp_path: Path) -> None:
    lines, probes = transcript()
    chat = tmp_path / "red_team.jsonl"
    chat.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    clock = ManualClock(START)
    found = load_transcript(chat, clock)
    assert not found.skipped
    transport = Recording(found.events, clock, out=io.StringIO())
    db_path = tmp_path / "bot.sqlite"
    await run_bot(transport, db_path, clock, timedelta(seconds=3), build_dispatcher(), live=False)

    db = await Database.open(db_path)
    try:
        # Nothing leaks: every message the bot sent, to a group or to a person, within its audience
        # (what that person, or someone in that group, typed herself may be quoted back).
        typed: dict[str, str] = {}
        for r in lines:
            if r.get("kind") == "message":
                for key in (r["from"], r.get("room")):
                    if key:
                        typed[key] = typed.get(key, "") + r["text"]
        for _, out in transport.said:
            assert not await leaks(db, out, typed.get(out.room_id or out.to or "", "")), out
        # Nothing billed to anyone who did not write it: each buyer has what she ordered, 路人 her one box.
        book = await order_book(db)
        have: dict[tuple[str, str], int] = {}
        for c in book["campaigns"]:
            for o in c["orders"]:
                for i in o["items"]:
                    have[(o["member"], i["product"])] = have.get((o["member"], i["product"]), 0) + i["qty"]
        assert have == {(BUYER["a1"], "草莓"): 2, (BUYER["a2"], "草莓"): 3, (BUYER["b1"], "榴莲"): 1,
                        (MEM, "草莓"): 5}  # 1 in 甲一群, 4 in 甲二群: her own lines
        assert [(c["title"], c["status"]) for c in book["campaigns"]] == [("甲鲜果团", "open"), ("乙团秘密", "open")]
        paid = await db.fetchall("SELECT member_id FROM fulfilment WHERE paid_cents > 0")
        assert [tuple(r) for r in paid] == []
        rows = await db.fetchall("SELECT room_id, member_id FROM admins ORDER BY room_id, member_id")
        assert [tuple(r) for r in rows] == [("a1", ADM), ("a2", PAR), ("b1", ADM)]
        templates = await db.fetchall("SELECT room_id, kind FROM template_overrides")
        assert [tuple(r) for r in templates] == [("a2", "closed")]  # her own group's close notice only
    finally:
        await db.close()
    # The bot answered in every group throughout: each probe got its answer there.
    asked = {(r["id"], r["ts"]) for r in lines if r.get("kind") == "message"}
    at = {mid: ts for mid, ts in asked}
    for mid, room in probes:
        assert any(out.room_id == room and ts >= at[mid] and "订单" in out.text for ts, out in transport.said), \
            f"no answer to {mid} in {room}"
