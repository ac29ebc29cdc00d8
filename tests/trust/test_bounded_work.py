"""Bounded work per message: one message's check-list entries reach the owner as one message, a
re-sent copy adds none again, every number a command reads is range-checked, nothing a member types
ends in a traceback, and a handler that fails anyway gets its sender one short line and the owner an
alert, at most every few minutes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app.faults import MISHAP_MEMBER_TEXT
from bot.clock import ManualClock
from bot.routers import build_dispatcher
from bot.transports.replay import load_transcript
from tests.harness import FRUIT, START, Harness, copy

STRANGERS = [f"邻{i} 草莓1盒" for i in range(1100)]  # under the 20,000-character limit


async def test_a_copy_with_1100_unreadable_lines_is_one_message_to_the_owner_and_a_resend_adds_none(
        bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"))
    bot.take()
    flood = copy("3-502 张三 草莓1盒", *STRANGERS, "7-1101 李四 砂糖橘1箱")
    await bot.say("wx_li", flood)
    await bot.settle()
    (note,) = bot.private()
    assert note.startswith("📝 待确认 1100条（周六水果团）：")
    assert note.count("\n#") == 20 and "……还有1080条，发 /待确认 查看全部" in note
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1}
    campaign = await bot.svc.campaigns.open_in("r1")
    assert campaign is not None and len(await bot.svc.orders.unreadable(campaign.id)) == 1100
    # The same copy again (or a copy of it): nothing new on her list, nothing new said to her.
    bot.take()
    await bot.say("wx_li", flood)
    await bot.say("wx_zhao", flood.replace("7-1101 李四 砂糖橘1箱", "7-1101 李四 砂糖橘1箱\n2-202 赵六 草莓1盒"))
    await bot.settle()
    assert len(await bot.svc.orders.unreadable(campaign.id)) == 1100
    assert bot.private() == []
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1, ("wx_zhao", "草莓"): 1}


async def test_a_phone_number_in_a_line_given_to_another_member_stays_masked_in_the_group(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"))
    await bot.say("wx_wang", copy("3-502 张三 草莓1盒", "7-1101 李四 13800138000 砂糖橘1箱", "5-1203 王五 草莓1盒"))
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1, ("wx_wang", "草莓"): 1}
    posted = "\n".join(bot.texts())
    assert "从接龙中补记「7-1101 李四 138****8000 砂糖橘1箱」" in posted and "13800138000" not in posted


HOSTILE = ["²", "٣", "99999999999999999999", "-1", "1e309", "0", "#" + "9" * 30, "\ud800", "@", "１２３４５６７８９０１２３",
           "回复 99999999999999999999 好", "删除 ²", "修改 ² = 好", "添加 @李四 佣金99999999999%", "99999999999999999999群",
           "草莓 99999999999999999999元/盒\n限量99999999999999999999", "明天 99:99", "99999999999999999999天后 测试"]


@pytest.mark.parametrize("where", ["r1", None])
async def test_no_command_raises_on_hostile_numbers(bot: Harness, where: str | None,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_owner", "/问答 草莓甜吗 = 甜")
    names = [c.names[0] for c in build_dispatcher().commands]
    with caplog.at_level(logging.ERROR):
        for name in names:
            for args in HOSTILE:
                bot.take()
                await bot.say("wx_owner", f"/{name} {args}", room=where, mentions=("wx_zhang",))
                said = bot.take()
                assert said, f"/{name} {args!r} got no answer"
                assert not any(MISHAP_MEMBER_TEXT in o.text for o in said), f"/{name} {args!r} raised"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_paid_with_an_amount_nobody_means_is_refused_not_paid_in_full(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/已付 @张三 99999999999999999999", mentions=("wx_zhang",))
    assert bot.private()[-1].startswith("没有记录：金额「99999999999999999999」太大了")
    await bot.say("wx_owner", "/未付")
    assert "张三" in bot.private()[-1] and "¥30" in bot.private()[-1]


async def test_a_name_with_a_lone_surrogate_orders_like_anyone(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒", name="张\ud800三")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert bot.texts()[-1] == "@张\ufffd三 已记录：草莓×2，共¥60"


def test_a_transcript_room_whose_members_is_a_list_is_a_skipped_line(tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    chat.write_text('{"kind": "room", "room": "r1", "topic": "x", "owner": "o", "members": ["a", "b"]}\n'
                    '{"kind": "tick", "ts": "2026-11-20T08:00:00+08:00"}\n'
                    '{"kind": "tick", "ts": "2026-11-20T09:00:00+08:00"}\n', encoding="utf-8")
    found = load_transcript(chat, ManualClock(START))
    assert found.skipped == [(1, "members must map member ids to names")] and len(found.events) == 2


async def test_a_failing_handler_answers_once_and_alerts_the_owner_rarely(bot: Harness,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    bot.take()

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(bot.svc.campaigns, "since", broken)  # /统计 reads it
    await bot.say("wx_li", "/统计")
    await bot.say("wx_li", "/统计")
    said = bot.take()
    assert [(o.room_id, o.text) for o in said if o.room_id] == [("r1", f"@李四 {MISHAP_MEMBER_TEXT}")]
    (alert,) = [o.text for o in said if o.to == "wx_owner"]
    assert alert.startswith("⚠️ 「阳光花园水果团购群」里李四的一条消息没有处理成功（RuntimeError），没有做任何改动：「/统计」")
    await bot.wait(301)
    await bot.say("wx_li", "/统计")
    assert len([o for o in bot.take() if MISHAP_MEMBER_TEXT in o.text or o.to == "wx_owner"]) == 2
