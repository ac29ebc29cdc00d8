"""One drop sold in several groups: one stock, one 限购 per member, each group its own list and close."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.clock import DEFAULT_TZ
from bot.domain.reports import load_reports, supplier_list
from bot.render.export import members_table, order_book
from storage.db import Database
from tests.harness import Harness, replay

ROOT = Path(__file__).resolve().parents[2]
DROP = ("/开团 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒 限量5\n砂糖橘 25元/箱 限购2\n"
        "截单 11-21 20:00\n自提 东门快递柜")
SOLD_OUT = "🔥 草莓已抢完"


async def _groups(bot: Harness) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")


async def _waitlist(db: Database) -> list[tuple[str, str, int]]:
    rows = await db.fetchall("SELECT c.room_id, w.member_id, w.qty FROM waitlist w "
                             "JOIN campaigns c ON c.id = w.campaign_id ORDER BY w.id")
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


async def test_one_drop_across_two_groups_from_her_private_chat(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", DROP, room=None)
    # Each group got its own announcement and 接龙 list; she heard where it went, privately.
    for room in ("r1", "r2"):
        firsts = [t.split("\n")[0] for t in bot.texts(room)]
        assert firsts == ["🎉 开团啦：周六水果团", "#接龙"]
    assert bot.private()[-1].startswith("✅ 已在2个群开团「周六水果团」：锦绣1群、锦绣2群")

    # One stock of 5 boxes, first come first served across the groups.
    await bot.say("wx_zhang", "草莓3盒", room="r1")
    await bot.say("wx_li", "草莓3盒", room="r2")  # 2 left: 2 granted, 1 waitlisted, in group 2
    await bot.say("wx_wang", "草莓1盒", room="r1")  # sold out: waitlisted in group 1
    # 限购 2 boxes per member, across groups: 赵六 is in both.
    await bot.say("wx_zhao", "砂糖橘2箱", room="r1")
    await bot.say("wx_zhao", "砂糖橘1箱", room="r2")
    await bot.settle()
    assert await _waitlist(bot.db) == [("r2", "wx_li", 1), ("r1", "wx_wang", 1)]
    book = await bot.book()
    assert book[("wx_zhang", "草莓")] == 3 and book[("wx_li", "草莓")] == 2
    assert ("wx_wang", "草莓") not in book
    assert book[("wx_zhao", "砂糖橘")] == 2
    r2 = "\n".join(bot.texts("r2"))
    assert "草莓只剩2盒，已记2盒，另1盒登记候补" in r2 and "砂糖橘每人限购2箱" in r2
    r1 = "\n".join(bot.texts("r1"))
    assert "草莓已售罄，1盒登记候补" in r1 and "只剩2盒" not in r1  # each group hears its own
    # The drop's one stock sold out: both groups are told, once each.
    for room in ("r1", "r2"):
        assert sum(t.startswith(SOLD_OUT) for t in bot.texts(room)) == 1

    # /汇总, privately: the whole drop and each group.
    bot.take()
    await bot.say("wx_owner", "/汇总", room=None)
    (summary,) = bot.private()
    assert summary.startswith("📋 周六水果团 汇总（进行中）\n草莓：5盒")
    assert "分群（2个群）" in summary
    assert "· 锦绣1群：2人，草莓×3，砂糖橘×2，¥140" in summary
    assert "· 锦绣2群：1人，草莓×2，¥60" in summary
    assert bot.texts("r1") == bot.texts("r2") == []

    # The supplier list has one row per product for the whole drop; the members' list names the group.
    part = await bot.svc.campaigns.open_in("r2")
    assert part is not None
    supplier = await supplier_list(bot.db, part.id)
    assert [(r.product.name, r.qty) for r in supplier.rows] == [("草莓", 5), ("砂糖橘", 2)]
    members = members_table(await load_reports(bot.db, part.id), DEFAULT_TZ)
    assert members.columns[-1].header == "群"
    assert sorted((str(row[3]), str(row[-1])) for row in members.rows) == [
        ("张三", "锦绣1群"), ("李四", "锦绣2群"), ("赵六", "锦绣1群")]
    # The JSON export lists the drop once, with its rooms and each order's room.
    data = await order_book(bot.db)
    (drop,) = data["campaigns"]
    assert drop["rooms"] == ["r1", "r2"]
    assert sorted((o["member"], o["room"]) for o in drop["orders"]) == [
        ("wx_li", "r2"), ("wx_zhang", "r1"), ("wx_zhao", "r1")]

    # The close holds in both groups.
    await bot.say("wx_owner", "/截单", room=None)
    for room in ("r1", "r2"):
        assert any(t.startswith("✂️ 「周六水果团」已截单") for t in bot.texts(room))
    assert sum(t.startswith("📋 周六水果团 汇总（已截单）") for t in bot.private()) == 1
    await bot.say("wx_wang", "草莓1盒", room="r2")
    await bot.settle()
    assert any("已截单，这条订单没有记录" in t for t in bot.texts("r2"))
    assert await bot.book() == book


async def test_each_group_keeps_its_own_jielong_list(bot: Harness) -> None:
    """A copy of group 2's list lacks group 1's lines: nothing is cancelled and no merged list is posted."""
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒", room=None)
    head = "#接龙\n周六水果团\n\n"
    await bot.say("wx_zhang", head + "1. 3-502 张三 草莓2", room="r1")
    await bot.say("wx_li", head + "1. 5-101 李四 草莓1", room="r2")
    await bot.say("wx_wang", head + "1. 5-101 李四 草莓1\n2. 6-201 王五 草莓3", room="r2")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "草莓"): 1, ("wx_wang", "草莓"): 3}
    assert not any("旧版本" in t for t in bot.texts(None))


async def test_a_drop_refuses_unknown_or_busy_groups_and_opens_nothing(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 锦绣1群 翠湖\n草莓 30元/盒", room=None)
    assert bot.private()[-1].startswith("没有找到「翠湖」这个群，没有开团。")
    await bot.say("wx_owner", "/开团 周五团\n草莓 30元/盒", room="r2")
    await bot.say("wx_owner", "/开团 周六水果团\n群 1 2\n草莓 30元/盒", room=None)
    assert bot.private()[-1] == "「锦绣2群」的「周五团」还在进行中，先在那个群 /截单 再开新团（没有开团）。"
    assert await bot.svc.campaigns.open_in("r1") is None
    # From a group, too: 群 全部 opens in every group she runs (none busy now).
    await bot.say("wx_owner", "/截单", room="r2")
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒", room="r1")
    one, two = await bot.svc.campaigns.open_in("r1"), await bot.svc.campaigns.open_in("r2")
    assert one is not None and two is not None and one.drop_id == two.drop_id == one.id


async def test_a_planned_drop_opens_in_every_named_group(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/定时开团 11-20 09:00 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒 限量3", room=None)
    assert "在2个群开团" in bot.private()[-1]
    await bot.wait(3600)
    for room in ("r1", "r2"):
        assert [t.split("\n")[0] for t in bot.texts(room)][:2] == ["🎉 开团啦：周六水果团", "#接龙"]
    await bot.say("wx_zhang", "草莓2盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "草莓"): 1}


async def test_an_old_database_upgrades_in_place(tmp_path: Path) -> None:
    """A campaign opened before the migration is a one-group campaign, as it was."""
    db = await Database.open(tmp_path / "bot.sqlite")
    try:
        rows = await db.fetchall("PRAGMA table_info(campaigns)")
        assert "drop_id" in [str(r["name"]) for r in rows]
    finally:
        await db.close()


async def test_a_group_may_have_its_own_pickup_point(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒\n自提 东门快递柜\n自提 2群 南门驿站", room=None)
    one, two = await bot.svc.campaigns.open_in("r1"), await bot.svc.campaigns.open_in("r2")
    assert one is not None and two is not None
    assert (one.pickup, two.pickup) == ("东门快递柜", "南门驿站")
    await bot.say("wx_zhang", "草莓1盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    # The packing list goes out per group and pickup point.
    packing = (await load_reports(bot.db, one.id)).packing
    assert [(r.point, r.order.name) for r in packing.rows] == [("锦绣1群 · 东门快递柜", "张三"),
                                                              ("锦绣2群 · 南门驿站", "李四")]
    await bot.say("wx_owner", "/截单", room=None)
    assert "南门驿站" in next(t for t in bot.texts("r2") if t.startswith("✂️"))
    assert "南门驿站" not in next(t for t in bot.texts("r1") if t.startswith("✂️"))
    # The goods arrive for the whole drop: each group hears its own pickup notice, at its own point.
    bot.take()
    await bot.say("wx_owner", "/到货", room=None)
    (one_notice,), (two_notice,) = bot.texts("r1"), bot.texts("r2")
    assert "东门快递柜" in one_notice and "张三" in one_notice and "李四" not in one_notice
    assert "南门驿站" in two_notice and "李四" in two_notice and "张三" not in two_notice
    assert bot.private()[-1] == "✅ 已在2个群发到货通知：锦绣1群、锦绣2群"


def _said(ts: str, sender: str, text: str, room: str | None) -> dict[str, Any]:
    names = {"wx_owner": "王姐", "wx_zhang": "张三", "wx_li": "李四", "wx_wang": "王五"}
    record: dict[str, Any] = {"kind": "message", "id": f"{sender}-{ts}", "ts": f"2026-11-20T{ts}+08:00",
                              "from": sender, "name": names[sender], "text": text}
    if room is not None:
        record["room"] = room
    return record


def test_the_drop_replayed_from_a_transcript(tmp_path: Path) -> None:
    """Replayed: she opens privately for two groups with a shared 限量; members of both order past it;
    the partial grant and the waitlist land in the right group; /汇总 privately shows both groups;
    the 采购单 has one row per product; the close holds in both."""
    members = {"wx_owner": "王姐", "wx_zhang": "张三", "wx_li": "李四", "wx_wang": "王五"}
    records: list[dict[str, Any]] = [
        {"kind": "room", "room": "r1", "topic": "锦绣1群", "owner": "wx_owner", "members": members},
        {"kind": "room", "room": "r2", "topic": "锦绣2群", "owner": "wx_owner", "members": members},
        _said("08:00:00", "wx_owner", "/开团 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒 限量5", None),
        _said("08:01:00", "wx_zhang", "草莓3盒", "r1"),
        _said("08:01:30", "wx_li", "草莓3盒", "r2"),
        _said("08:02:00", "wx_wang", "草莓1盒", "r1"),
        _said("08:05:00", "wx_owner", "/汇总", None),
        _said("08:06:00", "wx_owner", "/截单", None),
        _said("08:07:00", "wx_wang", "草莓1盒", "r2"),
    ]
    transcript = tmp_path / "drop.jsonl"
    transcript.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    db = tmp_path / "bot.sqlite"
    lines = replay(transcript, db)
    r1 = "\n".join(x["text"] for x in lines if x.get("room") == "r1")
    r2 = "\n".join(x["text"] for x in lines if x.get("room") == "r2")
    private = [x.get("text", "") for x in lines if x.get("to") == "wx_owner"]
    assert r1.startswith("🎉 开团啦：周六水果团") and r2.startswith("🎉 开团啦：周六水果团")
    assert "草莓只剩2盒，已记2盒，另1盒登记候补" in r2 and "只剩2盒" not in r1
    assert "草莓已售罄，1盒登记候补" in r1
    summary = next(t for t in private if t.startswith("📋 周六水果团 汇总（进行中）"))
    assert "草莓：5盒" in summary and "· 锦绣1群：1人，草莓×3，¥90" in summary and "· 锦绣2群：1人，草莓×2，¥60" in summary
    assert "✂️ 「周六水果团」已截单" in r1 and "✂️ 「周六水果团」已截单" in r2
    assert "已截单，这条订单没有记录" in r2

    async def check() -> None:
        book = await Database.open(db)
        try:
            supplier = await supplier_list(book, 1)
            assert [(row.product.name, row.qty) for row in supplier.rows] == [("草莓", 5)]
            assert await _waitlist(book) == [("r2", "wx_li", 1), ("r1", "wx_wang", 1)]
        finally:
            await book.close()

    asyncio.run(check())


async def test_the_workbook_of_a_drop(bot: Harness) -> None:
    """/导出 from her private chat: one file for the whole drop; 采购单 one row per product; 团员对账 names the group."""
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒", room=None)
    await bot.say("wx_zhang", "草莓1盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    bot.take()
    await bot.say("wx_owner", "/导出", room=None)
    (sent,) = [o for o in bot.take() if o.file is not None]
    assert sent.to == "wx_owner" and sent.file is not None and sent.file.path is not None
    wb = load_workbook(sent.file.path)
    supplier = [[c.value for c in row] for row in wb["采购单"].iter_rows()]
    product, bought = supplier[0].index("商品"), supplier[0].index("采购数量")
    assert [(r[product], r[bought]) for r in supplier[1:]] == [("草莓", 3), ("合计", 3)]
    members = [[c.value for c in row] for row in wb["团员对账"].iter_rows()]
    # Each group's part of the drop is a campaign of its own: 团ID and 群 stay, the one title does not.
    assert members[0][:3] == ["团ID", "成员ID", "昵称"] and members[0][-1] == "群"
    assert [(r[2], r[-1]) for r in members[1:3]] == [("张三", "锦绣1群"), ("李四", "锦绣2群")]
    # 订单明细: one grid for the drop, 草莓 one column whichever group a member ordered in.
    orders = [[c.value for c in row] for row in wb["订单明细"].iter_rows()]
    assert orders[0] == ["团ID", "群", "成员ID", "昵称", "接龙标注", "草莓（盒）", "金额"]
    assert [(r[1], r[3], r[5]) for r in orders[1:]] == [("锦绣1群", "张三", 1), ("锦绣2群", "李四", 2), (None, None, 3)]


async def test_a_partner_sees_her_group_and_earns_on_its_sales(bot: Harness) -> None:
    await _groups(bot)
    # Only a real @-mention makes a partner; the owner names her group.
    await bot.say("wx_owner", "/合伙人 添加 @李四 佣金10%", room="r2", mentions=("wx_li",))
    assert bot.private()[-1].startswith("✅ 李四 是「锦绣2群」的合伙人了，分润10%")
    await bot.say("wx_owner", "/合伙人 添加 某某 佣金10%", room="r1")  # nobody of that name
    assert bot.private()[-1].startswith("没有找到「某某」")
    await bot.say("wx_owner", "/合伙人 添加 李四", room="r1")  # no rate
    assert bot.private()[-1].startswith("用法")
    await bot.say("wx_li", "/合伙人 添加 @王五 佣金50%", room="r2", mentions=("wx_wang",))
    assert bot.private("wx_li")[-1] == "只有群主（团长）可以设合伙人。"

    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒\n佣金 5%", room=None)
    await bot.say("wx_zhang", "草莓2盒", room="r1")
    await bot.say("wx_wang", "草莓3盒", room="r2")
    await bot.say("wx_zhao", "草莓1盒", room="r2")
    bot.take()
    # The owner: every group, and the partner's share of 锦绣2群's ¥120.
    await bot.say("wx_owner", "/汇总", room=None)
    summary = bot.private()[-1]
    assert "· 锦绣1群：1人，草莓×2，¥60" in summary and "· 锦绣2群：2人，草莓×4，¥120" in summary
    assert summary.endswith("合伙人分润（共¥12）：\n· 李四（锦绣2群，10%）：销售额¥120，分润¥12")
    # The partner, privately: only her group, her own share, not the owner's commission.
    await bot.say("wx_li", "/汇总", room=None)
    mine = bot.private("wx_li")[-1]
    assert mine.startswith("📋 周六水果团 汇总（进行中）\n草莓：4盒，¥120")
    assert "（只含「锦绣2群」）" in mine and mine.endswith("你的分润（10%）：¥12")
    assert "锦绣1群" not in mine and "佣金" not in mine and "¥180" not in mine
    # She cannot close the other groups, nor take the whole drop's workbook.
    await bot.say("wx_li", "/截单", room="r2")
    assert bot.private("wx_li")[-1].startswith("「周六水果团」在几个群一起进行，截单会截所有群")
    assert await bot.svc.campaigns.open_in("r1") is not None
    await bot.say("wx_li", "/导出", room=None)
    assert bot.private("wx_li")[-1].startswith("「周六水果团」在几个群一起进行，表格含所有群")
    # Her workbook has a 分润 sheet.
    await bot.say("wx_owner", "/导出", room=None)
    (sent,) = [o for o in bot.take() if o.file is not None and o.to == "wx_owner"]
    assert sent.file is not None and sent.file.path is not None
    shares = [[c.value for c in row] for row in load_workbook(sent.file.path)["分润"].iter_rows()]
    assert shares[0][:6] == ["群", "合伙人", "成员ID", "分润比例", "本群销售额", "分润"]
    assert shares[1][:6] == ["锦绣2群", "李四", "wx_li", 0.1, 120, 12]
    # The owner closes: her totals carry the partner's share.
    await bot.say("wx_owner", "/截单", room=None)
    closed = next(t for t in bot.private() if t.startswith("📋 周六水果团 汇总（已截单）"))
    assert "· 李四（锦绣2群，10%）：销售额¥120，分润¥12" in closed
    await bot.say("wx_owner", "/合伙人 移除 @李四", room="r2", mentions=("wx_li",))
    assert bot.private()[-1] == "已移除「锦绣2群」的合伙人：李四"
    assert not await bot.svc.rooms.is_admin("r2", "wx_li")


async def test_a_group_with_its_own_deadline_stays_open_after_the_others(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒\n截单 今天 10:00\n截单 2群 今天 12:00",
                  room=None)
    one, two = await bot.svc.campaigns.open_in("r1"), await bot.svc.campaigns.open_in("r2")
    assert one is not None and two is not None and one.close_at is not None and two.close_at is not None
    assert (one.close_at.hour, two.close_at.hour) == (10, 12)
    await bot.wait(2.5 * 3600)  # 10:30
    assert await bot.svc.campaigns.open_in("r1") is None
    assert await bot.svc.campaigns.open_in("r2") is not None
    await bot.say("wx_li", "草莓1盒", room="r2")
    await bot.wait(2 * 3600)  # 12:30
    assert await bot.svc.campaigns.open_in("r2") is None
    assert await bot.book() == {("wx_li", "草莓"): 1}
    for room in ("r1", "r2"):
        assert sum(t.startswith("✂️") for t in bot.texts(room)) == 1
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒\n截单 2群 明天 25点", room=None)
    assert bot.private()[-1].startswith("没有开团：「截单 … 明天 25点」的时间看不懂或已经过了。")


async def test_stock_freed_in_one_group_serves_the_drops_waitlist_in_order_across_groups(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", DROP, room=None)
    await bot.say("wx_zhang", "草莓5盒", room="r1")  # the whole stock
    await bot.say("wx_li", "草莓2盒", room="r2")  # waits first, in group 2
    await bot.say("wx_wang", "草莓2盒", room="r1")  # waits second, in group 1
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "草莓改成2盒", room="r1")  # frees 3 boxes, in group 1
    await bot.settle()
    book = await bot.book()
    # First come first across the groups: 李四 (group 2) gets her 2, 王五 the 1 left, and waits for 1 more.
    assert book[("wx_zhang", "草莓")] == 2 and book[("wx_li", "草莓")] == 2 and book[("wx_wang", "草莓")] == 1
    assert await _waitlist(bot.db) == [("r1", "wx_wang", 1)]
    r2 = "\n".join(bot.texts("r2"))
    assert "@李四" in r2 and "候补到了：草莓补上2盒" in r2  # told in her own group
    r1 = "\n".join(bot.texts("r1"))
    assert "候补到了：草莓补上1盒，还候补1盒" in r1 and "李四" not in r1


async def test_statistics_count_a_drop_once_over_all_groups(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 全部\n草莓 30元/盒", room=None)
    await bot.say("wx_zhang", "草莓1盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    await bot.say("wx_owner", "/统计 7", room="r1")
    # A drop is one business: each of its groups by name; over both groups it is still one 团, not two.
    assert bot.private()[-1] == ("📊 近7天\n锦绣1群：1个团，1人下单，1单，¥30，人均¥30，复购率0%\n"
                                 "锦绣2群：1个团，1人下单，1单，¥60，人均¥60，复购率0%\n"
                                 "全部2个群：1个团，2人下单，2单，¥90，人均¥45，复购率0%")


async def test_a_planned_drop_keeps_a_groups_own_deadline(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/定时开团 11-20 09:00 周六水果团\n群 全部\n草莓 30元/盒\n截单 11-20 10:00\n"
                  "截单 2群 11-20 12:00", room=None)
    assert "在2个群开团" in bot.private()[-1]
    await bot.wait(3600)  # 09:00: open in both groups, each with its own deadline
    one, two = await bot.svc.campaigns.open_in("r1"), await bot.svc.campaigns.open_in("r2")
    assert one is not None and two is not None and one.close_at is not None and two.close_at is not None
    assert (one.close_at.hour, two.close_at.hour) == (10, 12)
    # A group's deadline before the planned opening cannot be: nothing is planned.
    await bot.say("wx_owner", "/定时开团 11-21 09:00 周日水果团\n群 全部\n草莓 30元/盒\n截单 2群 11-21 08:00", room=None)
    assert bot.private()[-1] == "没有安排：「截单 … 11-21 08:00」的时间看不懂或已经过了，或不在开团时间之后。"
    assert not [s for s in await bot.svc.schedules.pending_in("r1") if s.kind == "open"]


async def test_a_place_in_one_groups_queue_counts_toward_the_limit_in_another(bot: Harness) -> None:
    await _groups(bot)
    await bot.say("wx_owner", "/开团 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒 限量2 限购2", room=None)
    await bot.say("wx_zhang", "草莓2盒", room="r1")  # the whole stock
    await bot.say("wx_zhao", "草莓2盒", room="r1")  # waits for 2 in group 1
    await bot.say("wx_zhao", "草莓2盒", room="r2")  # 2 more in group 2 would be 4 for one member
    await bot.settle()
    assert any("草莓每人限购2盒" in t for t in bot.texts("r2"))
    assert await _waitlist(bot.db) == [("r1", "wx_zhao", 2)]
    await bot.say("wx_zhang", "取消", room="r1")
    await bot.settle()
    assert await bot.book() == {("wx_zhao", "草莓"): 2}  # served once, within her limit
    assert await _waitlist(bot.db) == []
