"""A week replayed: one drop in two groups, run entirely from the owner's private chat
(examples/owner_week.jsonl). Every change to the running drop, the money, naming people without an @,
the close and a reopening, arrival, pickup and payments — asserting the book, the ledger, what each
group saw and what she saw.

The transcript is the README's example of the owner's week: `python bot.py replay examples/owner_week.jsonl`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain.reports import load_reports
from bot.domain.services import Settings
from bot.models import Message, Outgoing
from bot.transports.replay import load_transcript
from storage.db import Database
from tests.harness import Harness

WEEK = Path(__file__).resolve().parents[2] / "examples" / "owner_week.jsonl"
# What announces a change, a close or a reopening in a group: each must be said exactly once there.
NEWS = ("⏰ 「周末鲜果团」截单时间", "🔓", "📦 「周末鲜果团」", "💰", "🆕", "🚫", "😔", "✂️", "🎉")


@pytest.fixture
async def week(tmp_path: Path) -> AsyncIterator[tuple[Harness, list[tuple[datetime, Message, list[Outgoing]]]]]:
    """The week replayed through the real app; each message of hers with what the bot said to her for it."""
    bot = Harness(await Database.open(tmp_path / "week.sqlite"), Settings(export_dir=tmp_path / "exports"))
    said: list[tuple[datetime, Message, list[Outgoing]]] = []
    try:
        for event in load_transcript(WEEK, bot.clock).events:
            before = len(bot.transport.sent)
            await bot.app.on_event(event)
            await bot.app.finish_background()
            if isinstance(event, Message) and event.sender.id == "wx_owner":
                # What was due before it (a digest, a close) is stamped with its own time: not her answer.
                answer = [o for at, o in bot.transport.sent[before:] if o.to == "wx_owner" and at == event.ts]
                said.append((event.ts, event, answer))
        await bot.app.drain()
        yield bot, said
    finally:
        await bot.close()


def answer_to(said: list[tuple[datetime, Message, list[Outgoing]]], command: str) -> str:
    """Her one answer to the command she typed (each command is answered in one message)."""
    (found,) = [answers for _, msg, answers in said if msg.text.split("\n")[0] == command]
    (one,) = found
    assert one.room_id is None
    return one.text


async def test_the_book_and_the_ledger_at_the_end_of_the_week(week: tuple[Harness, list]) -> None:  # type: ignore[type-arg]
    bot, _ = week
    assert await bot.book() == {
        ("wx_zhang", "草莓"): 4, ("wx_zhang", "砂糖橘"): 1,  # a 接龙 line, then a private order
        ("wx_wang", "草莓"): 1, ("wx_wang", "砂糖橘"): 2,  # /确认 of a sold-out box, served by /限量
        ("wx_wu", "草莓"): 2,  # waitlisted, served by /限量 15
        ("wx_qian", "砂糖橘"): 1,  # after the reopening
        ("wx_li", "草莓"): 4,  # 芒果 withdrawn, then /改单 李四 草莓4
        ("wx_zhao", "草莓"): 3,  # 1, then 2 from /加库存
        ("wx_sun", "砂糖橘"): 1,  # privately, in the group she chose
        ("wx_zheng", "草莓"): 1,  # 1 of 3, freed by /改单; the other 2 never came
    }  # 周八: /删单
    rows = await bot.db.fetchall("SELECT member_id, cents, recorded_by, undone_at IS NOT NULL FROM payments "
                                 "ORDER BY id")
    assert [tuple(r) for r in rows] == [("wx_zhang", 6000, "wx_owner", 0), ("wx_li", 3000, "wx_owner", 0),
                                        ("wx_li", 9000, "wx_owner", 0), ("wx_zhang", 20000, "wx_owner", 0),  # 多付
                                        ("wx_wang", 2000, "wx_owner", 1)]
    part = await bot.svc.campaigns.latest_in("r2")
    assert part is not None
    reports = await load_reports(bot.db, part.id)
    owed = {r.member_id: (r.owed_cents, r.paid_cents, r.balance_cents) for r in reports.members.rows}
    # 砂糖橘 ordered before /改价 keeps ¥25; 钱一's, after it, is ¥28.
    assert owed["wx_zhang"] == (4 * 3000 + 2500, 26000, -11500)
    assert owed["wx_wang"] == (3000 + 2 * 2500, 0, 8000) and owed["wx_qian"] == (2800, 0, 2800)
    assert owed["wx_li"] == (12000, 12000, 0)
    assert reports.supplier.amount_cents == reports.members.amount_cents == 57800
    # Pickup codes are one set for the whole drop.
    codes = sorted(r.pickup_code for r in reports.members.rows if r.pickup_code)
    assert codes == [str(c) for c in range(101, 109)]
    collected = {r.member_id for r in reports.members.rows if r.collected_at is not None}
    assert collected == {"wx_zhang", "wx_wu", "wx_li"}


async def test_each_group_heard_each_change_once_in_one_line(week: tuple[Harness, list]) -> None:  # type: ignore[type-arg]
    bot, _ = week
    for room in ("r1", "r2"):
        news = [t for t in bot.texts(room) if t.startswith(NEWS) and "到货啦" not in t]
        assert all("\n" not in t for t in news if not t.startswith(("🎉", "✂️", "😔")))
        assert [t.split("\n")[0] for t in news if not t.startswith("😔")] == [
            "🎉 开团啦：周末鲜果团",
            "📦 「周末鲜果团」草莓加了2盒，候补的1位已补上，已抢完，再下单的登记候补",
            "💰 「周末鲜果团」砂糖橘改为¥28/箱，已下单的按原价¥25",
            "🆕 「周末鲜果团」加了新商品：芒果 ¥40/箱（限量5箱），发「芒果1箱」下单",
            "📦 「周末鲜果团」草莓限量改为15盒，候补的2位已补上，已抢完，再下单的登记候补",
            "🚫 「周末鲜果团」芒果下架了，不再接单；已订的已取消",
            "⏰ 「周末鲜果团」截单时间改为 11月26日 20:00，还没下单的抓紧～",
            "⏰ 「周末鲜果团」截单时间改为 11月26日 18:00，还没下单的抓紧～",
            "✂️ 「周末鲜果团」已截单，谢谢大家！",  # at 18:00: /截单 with a time never closed early
            "🔓 「周末鲜果团」重新开团，11月26日 21:00 截单，接着下单～",
            "✂️ 「周末鲜果团」已截单，谢谢大家！",
        ]
        # No money and no commission in a group, ever; nothing of the planned opening that could not open.
        assert not any("合计" in t or "佣金" in t or "未付" in t or "下周团" in t for t in bot.texts(room))
    # Members told what a change did to them, each once, in her own group.
    r1, r2 = "\n".join(bot.texts("r1")), "\n".join(bot.texts("r2"))
    assert r2.count("@赵六 已记录：草莓×3，共¥90；候补到了：草莓补上2盒") == 1
    assert r2.count("@李四 芒果下架了，你的芒果×1已取消；现在：草莓×5，共¥150") == 1
    assert r2.count("@李四 团长帮你改了订单，已记录：草莓×4，共¥120") == 1
    assert r2.count("@郑十 候补到了：草莓补上1盒，还候补2盒") == 1
    assert r2.count("@周八 团长帮你改了订单，你现在没有订单了") == 1
    assert r1.count("@王五 团长已确认，已记录：砂糖橘×2，共¥50；草莓已售罄，1盒登记候补") == 1
    assert r1.count("@吴九 已记录：草莓×2，共¥60；候补到了：草莓补上2盒") == 1
    # Waiting at the close and never served: told once, though the drop closed twice.
    assert r2.count("😔 「周末鲜果团」已截单，这些候补没有轮到，这次没买到，抱歉：\n@郑十 候补的草莓×2") == 1
    assert "😔" not in r1
    # The question asked in 锦绣2群 is answered from the pair she saved privately for the drop.
    assert "@赵六 丹东草莓，不甜包退" in bot.texts("r2")
    # Pickup: codes run on from 锦绣1群 into 锦绣2群; the reminder tells only who has not collected.
    assert "@李四 草莓×4 取货码105" in r2 and "@郑十 草莓×1 取货码108" in r2
    assert [t.split("\n")[1:] for t in bot.texts("r2") if t.startswith("⏰ 「周末鲜果团」还没取货")] == [
        ["@赵六 取货码106", "@孙七 取货码107", "@郑十 取货码108", "📍 东门快递柜"]]


async def test_she_ran_it_all_from_her_private_chat_one_line_each(week: tuple[Harness, list]) -> None:  # type: ignore[type-arg]
    bot, said = week
    assert all(msg.room_id is None for _, msg, _ in said)
    assert answer_to(said, "/加库存 草莓 2") == "✅ 草莓加了2盒，候补的1位已补上，已抢完，再下单的登记候补（2个群已通知）"
    assert answer_to(said, "/改价 砂糖橘 28") == (
        "✅ 砂糖橘 ¥25 → ¥28；已下单的3人保持¥25（要都按新价：/改价 砂糖橘 28 全部）（2个群已通知）")
    assert answer_to(said, "/加商品 芒果 40元/箱 限量5") == "✅ 已加商品：芒果 ¥40/箱（限量5箱）（2个群已通知）"
    assert answer_to(said, "/确认 1 草莓1盒") == "⚠️ #1 没有全部记上：王五 草莓已售罄，1盒登记候补。她现在的订单：砂糖橘×2"
    assert answer_to(said, "/限量 草莓 15") == "✅ 草莓限量改为15盒，候补的2位已补上，已抢完，再下单的登记候补（2个群已通知）"
    assert answer_to(said, "/下架 芒果") == "✅ 已下架芒果：取消了1人的订单（共1箱）（2个群已通知）"
    assert answer_to(said, "/改单 李四 草莓4") == "✅ 已改 李四 的订单：草莓×5 → 草莓×4，¥120"
    assert answer_to(said, "/删单 周八") == "✅ 已改 周八 的订单：砂糖橘×1 → 无"
    assert answer_to(said, "/延长 11-26 20:00") == "✅ 「周末鲜果团」截单时间改为 11月26日 20:00（2个群已通知）"
    assert answer_to(said, "/截单 11-26 18:00") == "✅ 「周末鲜果团」截单时间改为 11月26日 18:00（2个群已通知）"
    assert answer_to(said, "/重新开团 11-26 21:00") == "✅ 「周末鲜果团」重新开团了，11月26日 21:00 截单（2个群已通知）"
    assert answer_to(said, "/到货") == "✅ 已在2个群发到货通知：锦绣1群、锦绣2群"
    assert answer_to(said, "/已付 1 60") == "✅ 张三 付了¥60（应付¥145，还差¥85）"  # the number /未付 just showed
    assert answer_to(said, "/已付 李四") == "✅ 李四 付了¥90，共付¥120（应付¥120，已付清）"
    assert answer_to(said, "/已付 3-502 200") == "⚠️ 张三 付了¥200，共付¥260（应付¥145，多付¥115（要退给她））"
    assert answer_to(said, "/已付 王五 abc").startswith("没有记录：金额「abc」看不懂")
    assert answer_to(said, "/已付 王五 -5").startswith("没有记录：金额要大于0")
    assert answer_to(said, "/已付 王五 撤销") == "↩️ 已撤销 王五 11月27日 09:12 记的¥20：现在共付¥0，应付¥80，还差¥80"
    assert answer_to(said, "/核销 101 103") == "✅ 已核销 张三：草莓×4、砂糖橘×1\n✅ 已核销 吴九：草莓×2"
    assert answer_to(said, "/已取 李四") == "✅ 已核销 李四：草莓×4"
    assert answer_to(said, "/提醒取货") == "✅ 已提醒5人取货：锦绣1群、锦绣2群"
    unpaid = [a[0].text for _, msg, a in said if msg.text == "/未付"]
    assert unpaid[0].startswith("💰 「周末鲜果团」未付款（8人，共¥578）：\n【锦绣1群】\n1. 张三 ¥145\n")
    assert "【锦绣2群】\n4. 赵六 ¥90" in unpaid[1] and "要退给她们（1人，共¥115，退了发 /退款 序号）：\n【锦绣1群】\n7. 张三 多付¥115" in unpaid[1]
    assert answer_to(said, "/统计 7").split("\n")[1:] == [
        "锦绣1群：1个团，4人下单，4单，¥313，人均¥78.25，复购率0%",
        "锦绣2群：1个团，4人下单，4单，¥265，人均¥66.25，复购率0%",
        "全部2个群：1个团，8人下单，8单，¥578，人均¥72.25，复购率0%",
        # The refund ledger (issue 22) counts the withdrawn mangoes as a refund owed.
        "缺货与售后（这批货的2个群）：", "· 芒果：订1箱，缺货0箱（0%），售后0箱（0%），退款¥40"]
    # Told, once and privately, what failed or needed her.
    private = bot.private()
    assert sum("【售罄】话术用真实数据出错了" in t and "这次用默认文字发出了" in t for t in private) == 1
    assert sum(t.startswith("⏰ 计划 #") and "没有执行：「周末鲜果团」还在进行中" in t for t in private) == 1
    # The digest shows the drop once, each group's part labelled.
    digests = [t for t in private if t.startswith("📰 日报 11月24日")]
    assert digests == ["📰 日报 11月24日\n【锦绣1群、锦绣2群】\n「周末鲜果团」进行中：7人下单，¥550\n"
                       "  · 锦绣1群：3人，¥285\n  · 锦绣2群：4人，¥265"]


async def test_members_ordering_privately_were_answered_privately(week: tuple[Harness, list]) -> None:  # type: ignore[type-arg]
    bot, _ = week
    assert bot.private("wx_zhang")[0] == "【锦绣1群「周末鲜果团」】已记录：草莓×4、砂糖橘×1，共¥145"
    assert bot.private("wx_sun") == [
        "你在2个群都有进行中的团，「砂糖橘1箱」下在哪个群？回复序号：\n1. 锦绣1群「周末鲜果团」\n2. 锦绣2群「周末鲜果团」",
        "【锦绣2群「周末鲜果团」】已记录：砂糖橘×1，共¥25"]
