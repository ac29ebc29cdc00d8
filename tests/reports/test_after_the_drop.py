"""After the drop: 成团, arrival and pickup, payments, member self-service, numbers, privacy."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from bot.models import MessageKind
from tests.harness import FRUIT, Harness, copy


async def _closed_campaign(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.say("wx_wang", "草莓1盒，砂糖橘1箱")
    await bot.say("wx_owner", "/截单")
    await bot.settle()
    bot.take()


async def test_arrival_notice_gives_each_buyer_items_and_a_code(bot: Harness) -> None:
    await _closed_campaign(bot)
    await bot.say("wx_owner", "/到货 东门快递柜 今天 18:00-20:00")
    (notice,) = bot.take()
    assert notice.mentions == ("wx_zhang", "wx_li", "wx_wang")
    assert notice.text.split("\n")[:5] == [
        "📦 「周六水果团」到货啦",
        "📍 自提：东门快递柜 11月20日 18:00-20:00",  # 今天 as the date it means
        "@张三 草莓×2 取货码101",
        "@李四 砂糖橘×1 取货码102",
        "@王五 草莓×1、砂糖橘×1 取货码103",
    ]
    # Typed again: nobody is @-ed a second time, and she hears why, privately.
    await bot.say("wx_owner", "/到货")
    (said,) = bot.take()
    assert said.to == "wx_owner" and said.text.startswith("「周六水果团」的到货通知已经发过了，这次没有再发。提醒")
    # A notice not delivered yet (queued behind WeChat's pace, or given up on): she hears how many wait.
    await bot.db.execute("UPDATE fulfilment SET notified_at = NULL WHERE member_id = 'wx_wang'")
    await bot.say("wx_owner", "/到货")
    (said,) = bot.take()
    assert "其中1人的通知还没送到" in said.text and said.to == "wx_owner"
    # A new place: whoever has not collected hears it, with the code she already has.
    await bot.say("wx_owner", "/核销 101")
    bot.take()
    await bot.say("wx_owner", "/到货 西门超市")
    (notice,) = bot.take()
    assert notice.room_id is not None and notice.mentions == ("wx_li", "wx_wang")
    # Titled by what changed, not "到货啦" again: they know this notice from the first one.
    assert notice.text.split("\n")[:4] == ["📢 「周六水果团」自提地点有变",
                                           "📍 现在的自提：西门超市（原来：东门快递柜 11月20日 18:00-20:00）",
                                           "@李四 砂糖橘×1 取货码102", "@王五 草莓×1、砂糖橘×1 取货码103"]


async def test_notice_for_many_buyers_mentions_each_exactly_once_in_small_batches(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    for i in range(45):
        member = f"wx_m{i}"
        await bot.say(member, "草莓1盒", name=f"团员{i}", after=1)
    await bot.say("wx_owner", "/截单")
    await bot.settle()
    bot.take()
    await bot.say("wx_owner", "/到货")
    notices = bot.take()
    assert len(notices) == 3
    assert all(len(n.mentions) <= 20 for n in notices)
    mentioned = [m for n in notices for m in n.mentions]
    assert sorted(mentioned) == sorted(f"wx_m{i}" for i in range(45))
    codes = re.findall(r"取货码(\d+)", "\n".join(n.text for n in notices))
    assert len(set(codes)) == 45


async def test_collect_by_code_and_by_mention(bot: Harness) -> None:
    await _closed_campaign(bot)
    await bot.say("wx_owner", "/到货")
    bot.take()
    await bot.say("wx_owner", "/核销 101")
    assert bot.private()[-1] == "✅ 已核销 张三：草莓×2"
    await bot.say("wx_owner", "/核销 101")
    assert bot.private()[-1].startswith("张三 已经取过了（")
    await bot.say("wx_owner", "/核销 999")
    assert bot.private()[-1] == "「周六水果团」没有取货码 999。"
    await bot.say("wx_owner", "/已取 @李四", mentions=("wx_li",))
    assert bot.private()[-1] == "✅ 已核销 李四：砂糖橘×1"
    await bot.say("wx_owner", "/未取")
    assert bot.private()[-1] == "「周六水果团」还没取货（1人）：\n1. 王五 取货码103：草莓×1、砂糖橘×1\n核销：/核销 取货码，或 /已取 序号"


async def test_pickup_reminder_mentions_only_who_has_not_collected(bot: Harness) -> None:
    await _closed_campaign(bot)
    await bot.say("wx_owner", "/到货")
    await bot.say("wx_owner", "/核销 101")
    bot.take()
    await bot.say("wx_owner", "/提醒取货")
    (reminder,) = bot.take()
    assert reminder.mentions == ("wx_li", "wx_wang")
    assert "@李四 取货码102" in reminder.text and "张三" not in reminder.text
    # And on a schedule.
    await bot.say("wx_owner", "/提醒取货 30分钟后")
    assert bot.take()[0].text.startswith("📅 已安排")
    await bot.say("wx_owner", "/已取 @李四", mentions=("wx_li",))
    bot.take()
    await bot.wait(31 * 60)
    (later,) = bot.take()
    assert later.mentions == ("wx_wang",)


async def test_payments_and_who_still_owes(bot: Harness) -> None:
    await _closed_campaign(bot)
    await bot.say("wx_owner", "/已付 @张三", mentions=("wx_zhang",))
    assert bot.private()[-1] == "✅ 张三 付了¥60（应付¥60，已付清）"
    await bot.say("wx_owner", "/已付 @王五 30", mentions=("wx_wang",))
    assert bot.private()[-1] == "✅ 王五 付了¥30（应付¥55，还差¥25）"
    await bot.say("wx_li", "微信转账 ¥25.00", kind=MessageKind.TRANSFER)
    await bot.say("wx_owner", "/未付")
    text = bot.private()[-1]
    assert not any("¥25" in t for t in bot.texts())  # who owes what never reaches the group
    assert text.startswith("💰 「周六水果团」未付款（2人，共¥50）：\n1. 李四 ¥25\n2. 王五 ¥25")
    assert "李四 转账" in text
    # The transfer is a hint, never a payment.
    await bot.say("wx_owner", "/未付")
    assert "李四 ¥25" in bot.private()[-1]


async def test_my_orders_after_the_close_shows_paid_and_pickup(bot: Harness) -> None:
    await _closed_campaign(bot)
    await bot.say("wx_zhang", "我的订单")
    assert bot.texts()[-1] == "@张三 你的订单：\n【周六水果团】草莓×2，¥60，待到货"
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1] == "你的订单：\n【周六水果团】草莓×2，¥60，未付，待到货"
    await bot.say("wx_owner", "/到货")
    await bot.say("wx_owner", "/已付 @张三", mentions=("wx_zhang",))
    await bot.say("wx_zhang", "我的订单")
    assert bot.texts()[-1] == "@张三 你的订单：\n【周六水果团】草莓×2，¥60，待取货（取货码101）"
    await bot.say("wx_zhang", "查单", room=None)
    assert bot.private("wx_zhang")[-1] == "你的订单：\n【周六水果团】草莓×2，¥60，已付，待取货（取货码101）"
    await bot.say("wx_owner", "/核销 101")
    await bot.say("wx_zhang", "查单")
    assert bot.texts()[-1] == "@张三 你在本群还没有进行中或待取货的订单。"


async def test_member_cannot_change_after_the_close(bot: Harness) -> None:
    await _closed_campaign(bot)
    await bot.say("wx_zhang", "草莓不要了")
    await bot.settle()
    assert "@张三 已截单，改单或取消请联系团长" in bot.texts()[-1]
    assert (await bot.book())[("wx_zhang", "草莓")] == 2


async def test_group_not_reached_is_not_fulfilled(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒\n成团 3人")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/截单")
    assert any("本次不成团" in t for t in bot.texts())
    await bot.say("wx_owner", "/汇总")
    assert bot.private()[-1].startswith("📋 草莓团 汇总（已截单，未成团，订单不发货）")
    await bot.say("wx_owner", "/到货")
    assert bot.private()[-1] == "「草莓团」未成团，订单不发货。"
    await bot.say("wx_zhang", "我的订单")
    assert bot.texts()[-1] == "@张三 你在本群还没有进行中或待取货的订单。"


async def test_commission_in_the_summary(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 30元/盒 佣金5%\n砂糖橘 25元/箱\n佣金 10%")
    await bot.say("wx_zhang", "草莓2盒，砂糖橘1箱")
    await bot.say("wx_owner", "/汇总")
    # 5% of ¥60 + 10% of ¥25
    assert "佣金：¥5.50" in bot.private()[-1]
    await bot.say("wx_owner", "/截单")
    assert "佣金：¥5.50" in bot.private()[-1]
    assert not any("佣金" in t or "合计" in t for t in bot.texts())


async def test_after_drop_commands_explain_themselves(bot: Harness) -> None:
    await bot.say("wx_owner", "/到货")
    assert bot.private()[-1] == "本群还没有开过团。"
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_owner", "/到货")
    assert bot.private()[-1] == "「周六水果团」还没截单，请先 /截单。"
    await bot.say("wx_owner", "/核销")
    assert bot.private()[-1].startswith("用法：/核销 取货码")
    await bot.say("wx_owner", "/已付")
    assert bot.private()[-1].startswith("用法：/已付 张三 30")
    await bot.say("wx_zhang", "/未付")
    assert "只有团长和管理员" in bot.texts()[-1]


async def test_stats_with_repeat_buyers(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 第一团\n草莓 30元/盒")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓1盒")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/开团 第二团\n草莓 30元/盒")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_wang", "草莓1盒")
    await bot.say("wx_owner", "/统计 7")
    # 2 campaigns; buyers 张三 李四 王五; 4 orders; ¥150; 张三 bought again.
    assert bot.private()[-1] == "📊 近7天\n本群：2个团，3人下单，4单，¥150，人均¥50，复购率33%"
    assert not any("复购" in t for t in bot.texts())


async def test_phone_numbers_are_masked_in_the_group_and_kept_for_the_owner(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 13812345678 草莓2盒"))
    await bot.say("wx_li", copy("3-502 张三 13812345678 草莓2盒", "李四 13987654321 老样子"))
    await bot.say("wx_owner", "/汇总")
    assert "李四 139****4321 老样子" in bot.private()[-1]
    await bot.say("wx_wang", copy("王五 草莓1盒"), after=1)
    await bot.wait(10 * 60)  # a fork that lasted: the merged list is posted
    merged = [t for t in bot.texts() if "最新的接龙" in t]
    assert merged and "138****5678" in merged[0] and "13812345678" not in merged[0]
    assert "13812345678" in (await _labels(bot))


@pytest.mark.parametrize("phone", ["138-0013-8000", "138 0013 8000", "+86 138 0013 8000", "１３８００１３８０００"])
async def test_a_phone_number_written_in_groups_is_masked_in_the_merged_list_too(bot: Harness, phone: str) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy(f"3-502 张三 {phone} 草莓2盒"))
    await bot.say("wx_wang", copy("王五 草莓1盒"), after=1)
    await bot.wait(10 * 60)  # a fork that lasted: the merged list is posted
    merged = [t for t in bot.texts() if "最新的接龙" in t]
    assert merged and "张三" in merged[0]
    assert "0013" not in merged[0] and "００１３" not in merged[0]
    assert re.search(r"[1１][3３][8８]\*{4}(8000|８０００)", merged[0])
    # Her order is 2 boxes, not 8000 (the number is no quantity), and the owner keeps the number.
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_wang", "草莓"): 1}
    assert "13800138000" in re.sub(r"\D", "", unicodedata.normalize("NFKC", await _labels(bot)))


async def _labels(bot: Harness) -> str:
    rows = await bot.db.fetchall("SELECT label FROM lines")
    return " ".join(str(r["label"]) for r in rows)



async def test_export_command_sends_her_the_workbook_privately(bot: Harness, tmp_path: Path) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    bot.svc.settings = replace(bot.svc.settings, export_dir=tmp_path / "exports")
    await _closed_campaign(bot)
    await bot.say("wx_owner", "/导出")
    (sent,) = [o for o in bot.take() if o.file is not None]
    assert sent.to == "wx_owner" and sent.room_id is None
    assert sent.text.startswith("📁 「周六水果团」的表格")
    assert sent.file is not None and sent.file.path is not None and sent.file.name.endswith(".xlsx")
    assert sent.file.path.parent == tmp_path / "exports"
    workbook = load_workbook(sent.file.path, read_only=True)
    assert "采购单" in workbook.sheetnames
    await bot.say("wx_zhang", "/导出")
    assert "只有团长和管理员" in bot.texts()[-1]
    assert not any(o.file is not None for o in bot.take())
