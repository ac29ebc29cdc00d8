"""The after-the-drop reports, on an order book the real bot wrote.

Fulfilment, 成团 and commission rows are written directly: the chat commands
that set them belong to another part of the bot.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import DEFAULT_TZ
from bot.domain.reports import (
    House,
    UnknownCampaign,
    commission_cents,
    load_reports,
    member_list,
    packing_list,
    parse_house,
    pickup_point,
    supplier_list,
)
from tests.harness import FRUIT, Harness, copy

COLLECTED = datetime(2026, 11, 22, 10, 5, tzinfo=DEFAULT_TZ)


@pytest.mark.parametrize(
    ("label", "house"),
    [
        ("3-502 张三", House(3, 502)),
        ("5栋1203 王五", House(5, 1203)),
        ("5栋1单元1203 王五", House(5, 1203, 1)),
        ("5号楼1203室", House(5, 1203)),
        ("12-3-502 李四", House(12, 502, 3)),
        ("３－５０２ 张三", House(3, 502)),  # full-width, as some keyboards type it
        ("张三 3-502 13800138000", House(3, 502)),
        ("7栋 赵六", House(7, None)),
        ("张三", None),
        ("13800138000 张三", None),
        ("138-0013-8000 张三", None),  # a phone number is not building 138
        ("", None),
    ],
)
def test_building_and_room_from_the_label(label: str, house: House | None) -> None:
    assert parse_house(label) == house


@pytest.mark.parametrize(
    ("pickup", "point"),
    [("东门快递柜 11-22 09:00-12:00", "东门快递柜"), ("北门超市，8点后", "北门超市"), (None, "自提"), ("  ", "自提")],
)
def test_pickup_point_is_the_first_word(pickup: str | None, point: str) -> None:
    assert pickup_point(pickup) == point


@pytest.mark.parametrize(
    ("amount", "bp", "cents"),
    [(12000, 1000, 1200), (1005, 1000, 101), (1004, 1000, 100), (1050, 500, 53), (9999, None, 0), (9999, 0, 0)],
)
def test_commission_rounds_half_up_to_the_cent(amount: int, bp: int | None, cents: int) -> None:
    assert commission_cents(amount, bp) == cents


async def _fruit_drop(bot: Harness) -> None:
    """张三 3-502, 王五 5栋1203 (with her phone), 赵六 10-101, 李四 with no house, 钱七 who cancels."""
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_wang", copy("3-502 张三 草莓2盒", "5栋1203 王五 13800138000 草莓1盒 砂糖橘1箱"))
    await bot.say("wx_li", "草莓1盒")
    await bot.say("wx_zhao", copy("3-502 张三 草莓2盒", "5栋1203 王五 13800138000 草莓1盒 砂糖橘1箱",
                                  "10-101 赵六 砂糖橘3箱"))
    await bot.say("wx_qian", "草莓5盒", name="钱七")
    await bot.say("wx_qian", "取消", name="钱七")
    await bot.settle()


async def test_supplier_list_totals_what_to_buy(bot: Harness) -> None:
    await _fruit_drop(bot)
    s = await supplier_list(bot.db, 1)
    assert [(r.product.name, r.qty, r.product.unit, r.product.price_cents, r.amount_cents) for r in s.rows] == [
        ("草莓", 4, "盒", 3000, 12000),  # 钱七's cancelled 5 boxes are not bought
        ("砂糖橘", 4, "箱", 2500, 10000),
    ]
    assert (s.qty, s.amount_cents, s.commission_cents) == (8, 22000, 0)
    assert [r.buyers for r in s.rows] == [3, 2]


async def test_commission_product_rate_overrides_the_campaigns(bot: Harness) -> None:
    await _fruit_drop(bot)
    async with bot.db.transaction():
        await bot.db.execute("UPDATE campaigns SET commission_bp = 1000, fulfilled = 1 WHERE id = 1")
        await bot.db.execute("UPDATE products SET commission_bp = 1250 WHERE name = '砂糖橘'")
    s = await supplier_list(bot.db, 1)
    assert [(r.commission_bp, r.commission_cents) for r in s.rows] == [(1000, 1200), (1250, 1250)]
    assert s.commission_cents == 2450
    m = await member_list(bot.db, 1)
    # 砂糖橘 earns ¥12.50 = 王五's ¥3.125 + 赵六's ¥9.375: the half cent left goes to the earlier order.
    by_member = {r.member_id: r.commission_cents for r in m.rows}
    assert by_member == {"wx_zhang": 600, "wx_wang": 300 + 313, "wx_li": 300, "wx_zhao": 937}
    assert m.commission_cents == s.commission_cents == 2450


async def test_members_commission_always_adds_up_to_the_suppliers(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 小团\n鸡蛋 3.33元/盒")
    for member in ("wx_zhang", "wx_li", "wx_wang", "wx_zhao"):
        await bot.say(member, "鸡蛋1盒")
    await bot.settle()
    async with bot.db.transaction():
        await bot.db.execute("UPDATE campaigns SET commission_bp = 1500")
    s, m = await supplier_list(bot.db), await member_list(bot.db)
    assert s.commission_cents == 200  # ¥13.32 × 15% = ¥1.998
    assert sorted(r.commission_cents for r in m.rows) == [50, 50, 50, 50] and m.commission_cents == 200


async def test_members_owe_pay_and_collect(bot: Harness) -> None:
    await _fruit_drop(bot)
    async with bot.db.transaction():
        await bot.db.execute(
            "INSERT INTO fulfilment (campaign_id, member_id, pickup_code, collected_at, paid_cents) "
            "VALUES (1, 'wx_zhang', '0427', ?, 6000), (1, 'wx_wang', '0815', NULL, 2000), "
            "(1, 'wx_qian', NULL, NULL, 15000)",
            (COLLECTED.isoformat(),),
        )
    m = await member_list(bot.db, 1)
    rows = {r.member_id: r for r in m.rows}
    zhang, wang, li, qian = rows["wx_zhang"], rows["wx_wang"], rows["wx_li"], rows["wx_qian"]
    assert (zhang.owed_cents, zhang.paid_cents, zhang.balance_cents, zhang.pickup_code) == (6000, 6000, 0, "0427")
    assert zhang.collected_at == COLLECTED
    assert (wang.owed_cents, wang.paid_cents, wang.balance_cents, wang.collected_at) == (5500, 2000, 3500, None)
    assert (li.owed_cents, li.paid_cents, li.pickup_code) == (3000, 0, None)
    # 钱七 paid for 5 boxes and then cancelled: she is still on the list, to be refunded.
    assert (qian.name, qian.items, qian.owed_cents, qian.balance_cents) == ("钱七", (), 0, -15000)
    assert [r.member_id for r in m.rows] == ["wx_zhang", "wx_wang", "wx_li", "wx_zhao", "wx_qian"]
    assert (m.owed_cents, m.paid_cents, m.balance_cents, m.collected) == (22000, 23000, -1000, 1)
    # The phone number she wrote is kept: the owner delivers with it.
    assert wang.label == "5栋1203 王五 13800138000"


async def test_a_campaign_that_did_not_reach_its_threshold_owes_nothing(bot: Harness) -> None:
    await _fruit_drop(bot)
    async with bot.db.transaction():
        await bot.db.execute("UPDATE campaigns SET fulfilled = 0, commission_bp = 1000 WHERE id = 1")
        await bot.db.execute("INSERT INTO fulfilment (campaign_id, member_id, paid_cents) VALUES (1, 'wx_zhang', 6000)")
    r = await load_reports(bot.db, 1)
    assert [(row.ordered_qty, row.qty, row.amount_cents) for row in r.supplier.rows] == [(4, 0, 0), (4, 0, 0)]
    assert (r.supplier.amount_cents, r.supplier.commission_cents) == (0, 0)
    assert all(row.owed_cents == 0 and row.commission_cents == 0 for row in r.members.rows)
    assert [row.amount_cents for row in r.members.rows] == [6000, 5500, 3000, 7500]  # what was ordered, for the record
    assert r.members.balance_cents == -6000  # 张三's payment goes back
    assert r.packing.orders == 4 and r.packing.pieces == 0
    assert all(row.order.campaign.fulfilled is False for row in r.packing.rows)


async def test_packing_by_pickup_point_then_building_and_room(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT.replace("自提 东门快递柜", "自提 西门超市"))
    await bot.say("wx_li", "草莓1盒")
    await bot.say("wx_zhao", copy("10-101 赵六 砂糖橘3箱"))
    await bot.say("wx_zhang", copy("10-101 赵六 砂糖橘3箱", "3-502 张三 草莓2盒"))
    await bot.say("wx_wang", copy("10-101 赵六 砂糖橘3箱", "3-502 张三 草莓2盒", "3栋201 王五 草莓1盒"))
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/开团 周日蔬菜团\n土豆 5元/斤\n截单 11-22 20:00")  # no pickup text: 自提
    await bot.say("wx_zhang", copy("3-502 张三 土豆2斤").replace("周六水果团", "周日蔬菜团"))
    await bot.settle()
    p = await packing_list(bot.db)
    assert [(r.point, r.order.name, r.order.campaign.id) for r in p.rows] == [
        ("自提", "张三", 2),
        ("西门超市", "王五", 1),  # building 3, room 201
        ("西门超市", "张三", 1),  # building 3, room 502
        ("西门超市", "赵六", 1),  # building 10 after building 3
        ("西门超市", "李四", 1),  # no building: last
    ]
    assert p.rows[1].house == House(3, 201)
    assert [r.order.pieces for r in p.rows] == [2, 1, 2, 3, 1] and p.pieces == 9


async def test_only_live_quantities_above_zero_count(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_zhang", "砂糖橘1箱")
    await bot.say("wx_zhang", "草莓不要了")
    await bot.settle()
    r = await load_reports(bot.db, 1)
    assert [(i.product.name, i.qty) for i in r.orders[0].items] == [("砂糖橘", 1)]
    assert [row.qty for row in r.supplier.rows] == [0, 1]


async def test_an_unknown_campaign_is_an_error(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    with pytest.raises(UnknownCampaign, match="no campaign with id 9"):
        await load_reports(bot.db, 9)
    empty = await load_reports(bot.db, 1)
    assert (empty.orders, empty.supplier.qty, empty.members.rows) == ((), 0, ())
