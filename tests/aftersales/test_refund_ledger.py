"""The refund ledger: /未付, 我的订单, /退款 and the workbook agree on what each member owes or is owed."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.render.xlsx_export import write_exports
from tests.harness import FRUIT, Harness


async def _short_and_claimed(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓3盒")
    await bot.say("wx_li", "草莓2盒")
    await bot.say("wx_wang", "草莓2盒")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/已付", mentions=("wx_wang",))  # 王五 paid her ¥60 in full
    await bot.say("wx_owner", "/缺货 草莓 5", room=None)
    await bot.say("wx_owner", "确认", room=None)  # 王五 2→0: she paid, so she is owed ¥60 back
    await bot.say("wx_owner", "/到货")
    await bot.say("wx_zhang", "草莓有一盒烂了")
    await bot.say("wx_owner", "/售后 1 退 1", room=None)  # 张三 did not pay: she pays ¥30 less
    await bot.settle()
    bot.take()


async def test_unpaid_lists_who_owes_and_who_is_owed(bot: Harness) -> None:
    await _short_and_claimed(bot)
    await bot.say("wx_owner", "/未付")
    assert bot.private()[-1].splitlines() == [
        "💰 「周六水果团」未付款（2人，共¥120）：", "1. 张三 ¥60", "2. 李四 ¥60",
        "要退给她们（1人，共¥60，退了发 /退款 序号）：", "3. 王五 待退¥60",
        "记账：/已付 1 30（付了¥30）或 /已付 1（付清）"]
    await bot.say("wx_owner", "/退款 3", room=None)  # the number /未付 showed
    assert bot.private()[-1] == "✅ 已记：退给王五 ¥60（已退清）。"


async def test_refund_paid_back_settles_her_account_everywhere(bot: Harness, tmp_path: Path) -> None:
    await _short_and_claimed(bot)
    await bot.say("wx_owner", "/退款 王五 100", room=None)
    assert bot.private()[-1] == "没有记：要退给王五的是¥60，写的是¥100。"
    await bot.say("wx_owner", "/退款 王五", room=None)
    assert bot.private()[-1] == "✅ 已记：退给王五 ¥60（已退清）。"
    await bot.say("wx_owner", "/未付")
    assert "王五" not in bot.private()[-1]
    await bot.say("wx_zhang", "我的订单", room=None)
    assert bot.private("wx_zhang")[-1].splitlines()[1] == \
        "【周六水果团】草莓×3，¥90，退款¥30，未付（应付¥60），待取货（取货码101）"
    await bot.say("wx_wang", "我的订单", room=None)
    assert "退款¥60，已退清" in bot.private("wx_wang")[-1]
    path = await write_exports(bot.db, 1, tmp_path, bot.now)
    wb = load_workbook(path)
    members = [r for r in wb["团员对账"].iter_rows(values_only=True)]
    head = members[0]
    by_name = {r[head.index("昵称")]: r for r in members[1:-1]}
    assert by_name["张三"][head.index("待收(负数待退)")] == 60
    assert by_name["王五"][head.index("待收(负数待退)")] == 0
    assert by_name["王五"][head.index("退款")] == 60 and by_name["王五"][head.index("已退")] == 60
    sheet = [r for r in wb["售后"].iter_rows(values_only=True)]
    assert [r[sheet[0].index("昵称"):] for r in sheet[1:-1]] == [
        ("王五", "草莓", "缺货", "少2盒", 60, "已退"),
        ("张三", "草莓", "售后", "1盒坏了「草莓有一盒烂了」", 30, "少收（她没付这部分）"),
    ]
    supplier = [r for r in wb["采购单"].iter_rows(values_only=True)]
    strawberries = supplier[1]
    assert strawberries[supplier[0].index("下单数量")] == 7 and strawberries[supplier[0].index("采购数量")] == 5
    assert strawberries[supplier[0].index("缺货")] == 2


async def test_stats_show_per_product_what_was_short_claimed_and_refunded(bot: Harness) -> None:
    await _short_and_claimed(bot)
    await bot.say("wx_owner", "/统计")
    assert bot.private()[-1].splitlines()[-2:] == [
        "缺货与售后（本群）：", "· 草莓：订7盒，缺货2盒（29%），售后1盒（14%），退款¥90"]
