"""The owner's private chat: she runs her business from it, and the group hears only what members need."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app.context import Context
from bot.app.router import Router
from bot.models import Member, Message, Outgoing, Tick
from bot.routers import build_dispatcher
from tests.harness import FRUIT, Harness, OpenBot, replay

ROOT = Path(__file__).resolve().parents[2]

# What must never be posted in a group: money totals, commission, debts, statistics, the check list.
SECRETS = re.compile(r"佣金|合计|未付|还差|应付|已付|复购|人均|近\d+天|需要团长确认|待确认|\.xlsx|exports")


def _record(ts: str, sender: str, text: str, room: str | None = "r1", **extra: Any) -> dict[str, Any]:
    names = {"wx_owner": "王姐", "wx_zhang": "张三", "wx_li": "李四", "wx_wang": "王五"}
    record = {"kind": "message", "id": f"{sender}-{ts}", "ts": f"2026-11-20T{ts}+08:00", "from": sender,
              "name": names[sender], "text": text, **extra}
    if room is not None:
        record["room"] = room
    return record


def test_the_owner_runs_a_campaign_from_her_private_chat(tmp_path: Path) -> None:
    """Replayed: open, orders, totals, close, pickup notice, payments, statistics and export, all
    typed privately. No group post carries money totals, commission, debts or statistics; each of
    her private commands is answered to her."""
    room = {"kind": "room", "room": "r1", "topic": "阳光花园水果团购群", "owner": "wx_owner",
            "members": {"wx_owner": "王姐", "wx_zhang": "张三", "wx_li": "李四", "wx_wang": "王五"}}
    owner_says = [
        ("08:00:00", "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n佣金 10%\n自提 东门快递柜"),
        ("08:05:00", "/汇总"),
        ("08:06:00", "/截单"),
        ("08:07:00", "/到货"),
        ("08:08:00", "/已付 @张三"),
        ("08:09:00", "/未付"),
        ("08:10:00", "/统计"),
        ("08:11:00", "/导出"),
    ]
    records: list[dict[str, Any]] = [room]
    records += [_record(ts, "wx_owner", text, room=None) for ts, text in owner_says[:1]]
    records += [_record("08:01:00", "wx_zhang", "草莓2盒"), _record("08:01:30", "wx_li", "砂糖橘1箱"),
                _record("08:02:00", "wx_wang", "草莓1盒 砂糖橘1箱"),
                _record("08:02:30", "wx_wang", "老样子来一份")]
    records += [_record(ts, "wx_owner", text, room=None,
                        **({"mentions": ["wx_zhang"]} if text.startswith("/已付") else {}))
                for ts, text in owner_says[1:]]
    transcript = tmp_path / "week.jsonl"
    transcript.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    db = tmp_path / "data" / "bot.sqlite"
    db.parent.mkdir()
    lines = replay(transcript, db)
    group = [x for x in lines if x.get("room") == "r1"]
    private = [x for x in lines if x.get("to") == "wx_owner"]

    # The members got what they need: the announcement and list, acknowledgements, the close
    # notice with what was ordered and where to pick up, the pickup notice.
    firsts = [x["text"].split("\n")[0] for x in group]
    assert firsts[:2] == ["🎉 开团啦：周六水果团", "#接龙"]
    assert any(t.startswith("✂️ 「周六水果团」已截单") for t in firsts)
    closed = next(x["text"] for x in group if x["text"].startswith("✂️"))
    assert "草莓：3盒" in closed and "砂糖橘：2箱" in closed and "📍 自提：东门快递柜" in closed
    assert any(t.startswith("📦 「周六水果团」到货啦") for t in firsts)
    assert {m for x in group for m in x["mentions"]} >= {"wx_zhang", "wx_li", "wx_wang"}
    # ... and nothing that is hers.
    leaks = [x["text"] for x in group if SECRETS.search(x["text"])]
    assert leaks == []

    # Every private command was answered to her, in order.
    texts = [x.get("text", "") for x in private]
    assert texts[0].startswith("✅ 已发到「阳光花园水果团购群」（共2条）：🎉 开团啦：周六水果团")
    summary = next(t for t in texts if t.startswith("📋 周六水果团 汇总（进行中）"))
    assert "合计：¥140，3人下单" in summary and "佣金：¥14" in summary and "王五：老样子来一份" in summary
    assert any(t.startswith("📋 周六水果团 汇总（已截单）") for t in texts)  # the close's totals
    assert any(t.startswith("✅ 已发到「阳光花园水果团购群」：📦 「周六水果团」到货啦") for t in texts)
    assert "✅ 张三 付了¥60（应付¥60，已付清）" in texts
    assert any(t.startswith("💰 「周六水果团」未付款（2人，共¥80）") for t in texts)
    assert any(t.startswith("📊 近30天\n本群：1个团，3人下单") for t in texts)
    (sent_file,) = [x for x in private if "file" in x]
    assert sent_file["file"].endswith(".xlsx") and sent_file["bytes"] > 5000
    assert (db.parent / "exports" / sent_file["file"]).stat().st_size == sent_file["bytes"]
    assert [x["ts"] for x in lines] == sorted(x["ts"] for x in lines)


async def _two_groups(bot: Harness) -> None:
    await bot.room("r2")  # the harness names both 阳光花园水果团购群; r2 gets its own name
    await bot.svc.rooms.upsert_room("r2", "翠湖小区团购2群", "wx_owner")


async def test_with_one_group_a_private_command_applies_to_it(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/汇总", room=None)
    assert bot.private()[-1].startswith("📋 周六水果团 汇总（进行中）\n草莓：2盒，¥60")


async def test_the_group_picker(open_bot: OpenBot) -> None:
    bot = await open_bot()
    await _two_groups(bot)
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    bot.take()
    # Two groups and no choice yet: she is asked which, with the list.
    await bot.say("wx_owner", "/汇总", room=None)
    (ask,) = bot.private()
    assert ask.startswith("你管理2个群，/汇总 用在哪个群？\n1. 阳光花园水果团购群\n2. 翠湖小区团购2群")
    await bot.say("wx_owner", "/群", room=None)
    assert bot.private()[-1].startswith("你的群：\n1. 阳光花园水果团购群\n2. 翠湖小区团购2群\n")
    await bot.say("wx_owner", "/群 2", room=None)
    assert bot.private()[-1] == "✅ 已选定 2. 翠湖小区团购2群：之后私聊发的命令都用在这个群。"
    await bot.say("wx_owner", "/汇总", room=None)
    assert bot.private()[-1] == "本群还没有开过团。"  # group 2 has none
    # A unique part of the name picks too; the choice is stored and survives a restart.
    await bot.say("wx_owner", "/群 阳光", room=None)
    assert bot.private()[-1].startswith("✅ 已选定 1. 阳光花园水果团购群")
    await bot.close()
    again = await open_bot()
    await again.say("wx_owner", "/群", room=None, msg_id="again-1")
    assert "1. 阳光花园水果团购群（当前）" in again.private()[-1]
    await again.say("wx_owner", "/汇总", room=None, msg_id="again-2")
    assert again.private()[-1].startswith("📋 周六水果团 汇总（进行中）")
    await again.say("wx_owner", "/群 团购", room=None, msg_id="again-3")  # both names contain it
    assert again.private()[-1].startswith("有几个群都对得上")
    await again.say("wx_owner", "/群 9", room=None, msg_id="again-4")
    assert again.private()[-1].startswith("没有找到「9」")
    assert again.texts("r1") == [] and again.texts("r2") == []  # the groups heard none of it


async def test_a_command_names_its_group_inline(bot: Harness) -> None:
    await _two_groups(bot)
    await bot.say("wx_owner", "/开团 翠湖团\n苹果 10元/斤 2群", room=None)
    assert bot.private()[-1].startswith("你管理2个群")  # "2群" on a product line is not the group
    await bot.say("wx_owner", "/开团 翠湖团 2群\n苹果 10元/斤", room=None)
    assert bot.texts("r2")[0].startswith("🎉 开团啦：翠湖团")
    assert bot.texts("r1") == []
    await bot.say("wx_zhang", "苹果3斤", room="r2")
    await bot.say("wx_owner", "/群 1", room=None)
    # Named inline, it wins over her picked group, for this command only.
    await bot.say("wx_owner", "/汇总 2群", room=None)
    assert bot.private()[-1].startswith("📋 翠湖团 汇总（进行中）\n苹果：3斤，¥30")
    await bot.say("wx_owner", "/汇总", room=None)
    assert bot.private()[-1] == "本群还没有开过团。"
    await bot.say("wx_owner", "/统计 7 2群", room=None)
    assert bot.private()[-1].startswith("📊 近7天\n本群：1个团，1人下单")
    await bot.say("wx_owner", "/汇总 5群", room=None)
    assert bot.private()[-1].startswith("没有 5群。")


async def test_a_members_private_owner_command_is_refused_without_figures(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.settle()
    bot.take()
    for command in ("/汇总", "/统计", "/未付", "/导出", "/截单", "/群 1", "/日报 21:00", "/汇总 1群"):
        await bot.say("wx_li", command, room=None)
    answers = [o for o in bot.take()]
    assert [o.to for o in answers] == ["wx_li"] * 8, answers
    assert all(o.to == "wx_li" and o.file is None for o in answers)
    assert not any(re.search(r"¥|\d+盒|草莓", o.text) for o in answers)
    assert answers[0].text == "抱歉，/汇总 只有团长和管理员可以使用。"
    assert answers[5].text == "你还不是任何群的团长或管理员。"
    assert await bot.svc.campaigns.open_in("r1") is not None
    # Her own orders are hers to ask for, privately too.
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1].startswith("你的订单：\n【周六水果团】草莓×2")


async def test_owner_commands_typed_in_the_group_answer_her_privately(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 30元/盒\n佣金 10%")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "老样子")
    await bot.settle()
    bot.take()
    for command in ("/汇总", "/计划", "/话术 查看 预告", "/定时开团 11-28 08:00 下周团\n苹果 10元/斤", "/管理员",
                    "/统计", "/截单", "/未付", "/导出"):
        await bot.say("wx_owner", command)
    group = [o for o in bot.take() if o.room_id is not None]
    # Only the close notice reaches the group, without money.
    assert [o.text.split("\n")[0] for o in group] == ["✂️ 「周六团」已截单，谢谢大家！"]
    assert not SECRETS.search(group[0].text) and "¥" not in group[0].text


async def test_the_daily_digest(bot: Harness) -> None:
    await _two_groups(bot)
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.say("wx_wang", "老样子")
    await bot.wait(14 * 3600)  # 22:00: no digest, it is off by default
    assert [t for t in bot.private() if t.startswith("📰")] == []
    await bot.say("wx_owner", "/日报", room=None)
    assert bot.private()[-1].startswith("日报没有开。")
    await bot.say("wx_owner", "/日报 晚上9点", room=None)
    assert bot.private()[-1] == "✅ 每天 21:00 私聊发日报，第一份在 11月21日 21:00。"
    await bot.say("wx_owner", "/截单")  # 11-20 22:00; closes today
    await bot.say("wx_owner", "/已付 @张三", mentions=("wx_zhang",))
    bot.take()
    await bot.wait(23 * 3600)  # 21:00 next day
    digests = [(t, o) for t, o in bot.transport.sent if o.text.startswith("📰")]
    assert len(digests) == 1
    at, digest = digests[0]
    assert (at.day, at.hour, at.minute) == (21, 21, 0) and digest.to == "wx_owner"
    assert digest.text.split("\n") == [
        "📰 日报 11月21日",
        "【阳光花园水果团购群】",
        "「周六水果团」未付款：1人，共¥25（发 /未付 查看）",
        "【翠湖小区团购2群】",
        "今天没有进行中的团，也没有待收的款。",
    ]
    # The next day's digest is already planned; the group heard nothing of it.
    assert [o for _, o in bot.transport.sent if o.room_id and "日报" in o.text] == []
    await bot.say("wx_owner", "/群 1", room=None)
    await bot.say("wx_owner", "/开团 周日团\n草莓 30元/盒", room=None)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓2盒可以吗？")
    await bot.wait(24 * 3600)
    latest = [o.text for _, o in bot.transport.sent if o.text.startswith("📰")][-1]
    assert "「周日团」进行中：1人下单，¥60" in latest and "⚠️ 待确认1条" in latest
    await bot.say("wx_owner", "/日报 关", room=None)
    await bot.wait(24 * 3600)
    assert len([o for _, o in bot.transport.sent if o.text.startswith("📰")]) == 2


def test_help_is_generated_from_the_commands_own_lines() -> None:
    dispatcher = build_dispatcher()
    extra = Router("extra", section="新功能")

    @extra.command("试试", admin_only=True, help="/试试 一个新命令")
    async def _try(ctx: Context, args: str) -> None:  # pragma: no cover - never called
        return None

    dispatcher.include(extra)
    owner = dict(dispatcher.help_sections(admin=True))
    member = dict(dispatcher.help_sections(admin=False))
    assert owner["新功能"] == ["/试试 一个新命令"]
    assert "/汇总 数量、金额、佣金和待确认的行（私聊给你）" in owner["开团、截单与汇总"]
    assert list(member) == ["怎么下单"] and not any(line.startswith("/汇总") for line in member["怎么下单"])
    assert member["怎么下单"][0].startswith("复制接龙")


def test_the_console_speaks_privately_with_a_prefix(tmp_path: Path) -> None:
    chat = "团长: /开团 周六水果团\\n草莓 30元/盒\n张三: 草莓2盒\n私聊 团长: /汇总\n私聊 张三: /汇总\n"
    r = subprocess.run([sys.executable, str(ROOT / "bot.py"), "--transport", "console", "--db",
                        str(tmp_path / "c.sqlite"), "--ack-window", "0"], input=chat, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "🤖 [私聊 团长] 📋 周六水果团 汇总（进行中）\n    草莓：2盒，¥60" in r.stdout
    assert "🤖 [私聊 张三] 抱歉，/汇总 只有团长和管理员可以使用。" in r.stdout
    assert "🤖 [群] 📋" not in r.stdout


async def test_deferred_work_does_not_hold_up_other_messages(bot: Harness) -> None:
    """Live, an export is built after its message commits, while the next messages are handled."""
    release = asyncio.Event()
    slow = Router("slow")

    @slow.command("慢", admin_only=True)
    async def _slow(ctx: Context, args: str) -> None:
        async def build() -> list[Outgoing]:
            await release.wait()  # a workbook that takes its time
            return [Outgoing(text="好了", to="wx_owner")]

        ctx.defer(build)

    bot.app.dispatcher.include(slow)
    await bot.say("wx_owner", FRUIT)
    bot.app.wait_for_background = False  # live
    owner, zhang = Member("wx_owner", "王姐(团长)"), Member("wx_zhang", "张三")
    await bot.app.on_event(Message(id="slow", ts=bot.now, sender=owner, text="/慢", room_id="r1"))
    await bot.app.on_event(Message(id="order", ts=bot.now + timedelta(seconds=1), sender=zhang, text="草莓2盒",
                                   room_id="r1"))
    await bot.app.on_event(Tick(bot.now + bot.svc.settings.ack_within + timedelta(seconds=1)))
    assert "@张三 已记录：草莓×2，共¥60" in bot.texts()  # handled while the slow work waits
    assert "好了" not in bot.private()
    release.set()
    await bot.app.finish_background()
    assert bot.private()[-1] == "好了"
