"""CSV cells are escaped the way spreadsheet programs expect: a name or 接龙 label a member typed that
starts with = + - @ is text, never a formula that runs (or links out) when the owner opens the file."""

from __future__ import annotations

import csv
import io

from bot.clock import DEFAULT_TZ
from bot.domain.reports import load_reports
from bot.render.export import members_table, orders_table, table_csv
from tests.harness import Harness, copy

HOSTILE = {
    "wx_zhang": '=HYPERLINK("http://evil.example","点我")',
    "wx_li": "+cmd|' /C calc'!A0",
    "wx_wang": "@SUM(1+1)*cmd|' /C calc'!A0",
    "wx_zhao": "-2+3",
}


async def test_hostile_names_and_labels_are_text_in_the_csv(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
    for member, name in HOSTILE.items():
        await bot.say(member, "草莓1盒", name=name)
    await bot.say("wx_owner", copy("=1+1 张三 草莓2盒"), name="王姐")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/已付 @赵六 100", mentions=("wx_zhao",))  # overpaid: her balance is negative
    reports = await load_reports(bot.db)
    rows = list(csv.DictReader(io.StringIO(table_csv(orders_table(reports, DEFAULT_TZ)))))
    names = {r["成员ID"]: r["昵称"] for r in rows}
    for member, name in HOSTILE.items():
        assert names[member] == "'" + name
    assert {r["接龙标注"] for r in rows if r["成员ID"] == "wx_owner"} == {"'=1 1 张三"}
    members = list(csv.DictReader(io.StringIO(table_csv(members_table(reports, DEFAULT_TZ)))))
    zhao = next(r for r in members if r["成员ID"] == "wx_zhao")
    assert zhao["待收(负数待退)"] == "-70.00"  # a number stays a number
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for k, cell in r.items() if k != "金额")
