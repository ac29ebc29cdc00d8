"""A whole drop replayed from a recorded chat: 30 boxes ordered, 24 arrive, under each rule; two
claims (one refunded, one refused); one refund handed back. Asserts the book, each member's notice,
the owner's private messages, and that nothing the bot posts in the group about it carries another
member's figures or any totals."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import DEFAULT_TZ
from bot.transports.replay import load_transcript
from tests.harness import Harness

ROOM = "g1"
OWNER = "wx_owner"
# Ten neighbours in the order they order: 5, 4, 3, 3, 3, 3, 3, 2, 2, 2 boxes of strawberries = 30.
PEOPLE = [("wx_01", "阿兰", 5), ("wx_02", "贝贝", 4), ("wx_03", "春花", 3), ("wx_04", "丹丹", 3),
          ("wx_05", "二妞", 3), ("wx_06", "芳芳", 3), ("wx_07", "桂香", 3), ("wx_08", "海燕", 2),
          ("wx_09", "佳佳", 2), ("wx_10", "可可", 2)]
NAMES = {mid: name for mid, name, _ in PEOPLE} | {OWNER: "王姐"}
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=DEFAULT_TZ)


def transcript(rule: str) -> list[dict[str, Any]]:
    """The chat as recorded: the drop, the orders, two payments, the close, the owner's 缺货 under
    `rule`, the arrival, two claims (one with a photo), their settling and a refund handed back."""
    out: list[dict[str, Any]] = [{"kind": "room", "room": ROOM, "topic": "阳光花园水果团购群", "owner": OWNER,
                                  "members": NAMES}]
    clock = [T0]
    ids = iter(range(1, 1000))

    def say(who: str, text: str, *, private: bool = False, mentions: tuple[str, ...] = (), kind: str = "text",
            after: int = 30) -> None:
        clock[0] += timedelta(seconds=after)
        record: dict[str, Any] = {"kind": "message", "id": f"drop-{next(ids)}", "ts": clock[0].isoformat(),
                                  "from": who, "name": NAMES[who], "text": text}
        if not private:
            record["room"] = ROOM
        if mentions:
            record["mentions"] = list(mentions)
        if kind != "text":
            record["type"] = kind
        out.append(record)

    say(OWNER, "/开团 周六草莓团\n草莓 30元/盒\n自提 东门快递柜")
    for mid, _, qty in PEOPLE:
        say(mid, f"草莓{qty}盒")
    say(OWNER, "/截单")
    say(OWNER, "/已付 @阿兰", mentions=("wx_01",))  # 阿兰 paid her ¥150
    say(OWNER, "/已付 @可可", mentions=("wx_10",))  # 可可 paid her ¥60
    say(OWNER, f"/缺货 草莓 24 {rule}", private=True)
    if rule == "手动":
        # She decides herself: the big orders give up a little, 可可 one box.
        for edit in ("/改单 阿兰 草莓2", "/改单 贝贝 草莓2", "/改单 可可 草莓1"):
            say(OWNER, edit, private=True)
    say(OWNER, "确认", private=True)
    say(OWNER, "/到货")
    say("wx_03", "", kind="image")
    say("wx_03", "草莓有一盒烂了", after=20)
    say("wx_04", "少了一盒草莓", private=True)
    say(OWNER, "/售后 1 退 1", private=True)
    say(OWNER, "/售后 2 拒绝 取货时当面点过是3盒", private=True)
    return out


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


async def _replay(bot: Harness, path: Path) -> None:
    for event in load_transcript(path, bot.clock).events:
        await bot.app.on_event(event)
    await bot.wait(60)


# What each rule does with 30 ordered and 24 arrived: who loses how many boxes.
CUTS = {
    "按顺序": {"wx_10": 2, "wx_09": 2, "wx_08": 2},  # the latest orders, wholly
    "平均": {"wx_01": 2, "wx_02": 1, "wx_07": 1, "wx_06": 1, "wx_05": 1},  # one at a time from the largest
    "手动": {"wx_01": 3, "wx_02": 2, "wx_10": 1},  # as the owner settled it with /改单
}
# The member the owner then hands a refund back to: the one who had paid for boxes she did not get.
PAID_BACK = {"按顺序": ("可可", "wx_10", 6000), "平均": ("阿兰", "wx_01", 6000), "手动": ("阿兰", "wx_01", 9000)}


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    """The owner's one group is the recorded one: her private commands need no picking."""
    h = await Harness.create(tmp_path / "bot.sqlite", room=ROOM)
    yield h
    await h.close()


@pytest.mark.parametrize("rule", ["按顺序", "平均", "手动"])
async def test_the_drop_under_each_rule(bot: Harness, tmp_path: Path, rule: str) -> None:
    await _replay(bot, _write(tmp_path / "drop.jsonl", transcript(rule)))
    sent = [o for _, o in bot.transport.sent]
    cuts = CUTS[rule]
    assert sum(cuts.values()) == 6
    # The book: every member has what arrived for her, 24 in all; nobody else changed.
    book = await bot.book()
    assert book == {(mid, "草莓"): qty - cuts.get(mid, 0) for mid, _, qty in PEOPLE if qty - cuts.get(mid, 0)}
    assert sum(book.values()) == 24

    # The owner saw the plan privately, with the rule and each loss, before anything changed.
    private = [o.text for o in sent if o.to == OWNER]
    plan = next(t for t in private if t.startswith("📦 草莓缺货"))
    assert plan.splitlines()[0] == "📦 草莓缺货：订了30盒，到了24盒，要少分6盒。"
    assert plan.splitlines()[1].startswith(f"规则：{rule}（")
    if rule == "手动":
        assert plan.splitlines()[3:5] == ["1. 阿兰 5盒", "2. 贝贝 4盒"]  # everyone, in order, to settle by hand
    else:
        for mid, n in cuts.items():
            qty = dict((m, q) for m, _, q in PEOPLE)[mid]
            assert f"· {NAMES[mid]} {qty}盒→{qty - n}盒，退¥{30 * n}" in plan.splitlines()
        assert f"{len(cuts)}人，共退¥180。" in plan.splitlines()
    assert any(t.startswith(f"✅ 草莓缺货已按「{rule}」处理：{len(cuts)}人减少，共退¥180") for t in private)

    # Each member who lost something was told once, in one gathered post in the group: a line each,
    # @-mentioned, her own figures only (one post: fewer than 20 members).
    (notice,) = [o for o in sent if o.room_id == ROOM and "到货不足" in o.text]
    assert sorted(notice.mentions) == sorted(cuts)
    ordered = dict((m, q) for m, _, q in PEOPLE)
    assert notice.text.splitlines() == [
        "📦 「周六草莓团」到货有变化，被@的姐妹请看自己这一行：",
        *(f"@{NAMES[mid]} 草莓到货不足，你订的{ordered[mid]}盒分到{ordered[mid] - cuts[mid]}盒，"
          f"少的{cuts[mid]}盒退¥{30 * cuts[mid]}"
          for mid in notice.mentions),
        "退款：已付款的团长退给你，没付的少付。有疑问请私聊团长。"]

    # Two claims: the owner got each privately with its number; one refunded, one refused; each told once.
    claim1 = next(t for t in private if t.startswith("🧾 售后 #1"))
    assert claim1.splitlines()[1:4] == ["春花：草莓1盒坏了（她收到3盒，¥30/盒）", "原话：「草莓有一盒烂了」",
                                        claim1.splitlines()[3]]
    assert claim1.splitlines()[3].startswith("📷 有图：") and "消息 drop-" in claim1.splitlines()[3]
    claim2 = next(t for t in private if t.startswith("🧾 售后 #2"))
    assert claim2.splitlines()[1] == "丹丹：草莓1盒少了（她收到3盒，¥30/盒）"
    to_chunhua = [o for o in sent if "wx_03" in o.mentions and "售后" in o.text]
    assert [o.text for o in to_chunhua] == [
        "@春花 收到，已转给团长处理（售后 #1），处理好会告诉你。",
        "@春花 你的售后 #1（草莓1盒坏了）：团长同意退草莓1盒 ¥30（已付款的团长退给你，没付的少付）。"]
    assert [o.text for o in sent if o.to == "wx_04"] == [
        "收到，已转给团长处理（售后 #2），处理好会告诉你。",
        "你的售后 #2（草莓1盒少了）团长的答复：取货时当面点过是3盒"]

    # The refund handed back: only what she is owed, and then her account is settled.
    name, mid, cents = PAID_BACK[rule]
    await bot.say(OWNER, "/未付", room=ROOM)
    unpaid = bot.private(OWNER)[-1]
    assert f"{name} 待退¥{cents // 100}" in unpaid.split("要退给她们")[1]
    await bot.say(OWNER, f"/退款 {name}", room=None)
    assert bot.private(OWNER)[-1] == f"✅ 已记：退给{name} ¥{cents // 100}（已退清）。"
    await bot.say(OWNER, "/未付", room=ROOM)
    assert name not in bot.private(OWNER)[-1]

    # Nothing the bot said in the group about shortages, claims or refunds carries anyone else's
    # figures or a total: each line that names a member @-mentions her alone with her own figures,
    # names nobody who was not told, and a group gets one post per 20 members told.
    about = [o for o in sent if o.room_id == ROOM and re.search(r"到货不足|售后|退款|退¥", o.text)]
    assert about
    for o in about:
        assert 1 <= len(o.mentions) <= 20
        for line in o.text.splitlines():
            named = [m for m, n in NAMES.items() if m != OWNER and n in line]
            assert len(named) <= 1, line
            assert not named or (line.startswith(f"@{NAMES[named[0]]} ") and named[0] in o.mentions), line
            assert not re.search(r"¥\d", line) or named, line  # money only on her own line
        assert "共" not in o.text and "合计" not in o.text
    assert len([o for o in about if "到货不足" in o.text]) == 1


def test_the_recorded_drop_is_a_transcript_the_replayer_reads(tmp_path: Path) -> None:
    # The same chat as a file: what `bot.py replay` reads (examples/aftersales_drop.jsonl is its 按顺序 run).
    example = Path(__file__).resolve().parents[2] / "examples" / "aftersales_drop.jsonl"
    assert [json.loads(line) for line in example.read_text(encoding="utf-8").splitlines()] == transcript("按顺序")

