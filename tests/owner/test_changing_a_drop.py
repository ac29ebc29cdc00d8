"""Changing a running drop from her private chat: each change is one message, answered in one line,
announced once in each affected group in one line, and applied to the book at once."""

from __future__ import annotations

from bot.domain.reports import load_reports
from storage.records import Campaign
from tests.harness import Harness

DROP = ("/开团 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒 限量3\n砂糖橘 25元/箱\n"
        "截单 11-21 20:00\n自提 东门快递柜")


async def _drop(bot: Harness) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", DROP, room=None)
    await bot.settle()
    bot.take()


async def owner(bot: Harness, text: str) -> str:
    """She types `text` privately: her one answer (and nothing else to her)."""
    bot.take()
    await bot.say("wx_owner", text, room=None)
    (answer,) = bot.private()
    return answer


def each_group(bot: Harness) -> list[str]:
    """What each group heard, r1 then r2 (one line each, when a change is announced)."""
    return [*bot.texts("r1"), *bot.texts("r2")]


async def test_the_deadline_moves_and_a_time_after_close_never_closes_now(bot: Harness) -> None:
    await _drop(bot)
    assert await owner(bot, "/截单 11-22 20:00") == "✅ 「周六水果团」截单时间改为 11月22日 20:00（2个群已通知）"
    assert each_group(bot) == ["⏰ 「周六水果团」截单时间改为 11月22日 20:00，还没下单的抓紧～"] * 2
    assert all(p.is_open for p in await bot.svc.campaigns.parts(await _part(bot)))
    assert await owner(bot, "/延长 11-23 20:00") == "✅ 「周六水果团」截单时间改为 11月23日 20:00（2个群已通知）"
    answer = await owner(bot, "/截单 昨天")
    assert answer.startswith("没有截单，也没有改截单时间：") and (await _part(bot)).is_open
    # The old deadline passes: nothing closes. The reminder moved with the deadline.
    await bot.wait(36 * 3600)
    assert (await _part(bot)).is_open and not any("截单" in t and "还有" in t for t in each_group(bot))
    await bot.wait(48 * 3600)
    assert not (await _part(bot)).is_open
    assert any(t.startswith("⏰ 「周六水果团」还有") for t in bot.texts("r1"))


async def _part(bot: Harness, room: str = "r1") -> Campaign:
    part = await bot.svc.campaigns.latest_in(room)
    assert part is not None
    return part


async def test_reopen_after_a_close_until_the_arrival(bot: Harness) -> None:
    await _drop(bot)
    await bot.say("wx_zhang", "草莓1盒", room="r1")
    await bot.say("wx_owner", "/截单", room=None)
    await bot.settle()
    assert await owner(bot, "/重新开团 11-22 20:00") == (
        "✅ 「周六水果团」重新开团了，11月22日 20:00 截单（2个群已通知）")
    assert each_group(bot) == ["🔓 「周六水果团」重新开团，11月22日 20:00 截单，接着下单～"] * 2
    await bot.say("wx_li", "草莓1盒", room="r2")
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 1}
    await bot.say("wx_owner", "/截单", room=None)
    await bot.say("wx_owner", "/到货", room=None)
    assert (await owner(bot, "/重新开团")).startswith("「周六水果团」已经发了到货通知，不能重新开团了")


async def test_stock_added_serves_the_waitlist_first_across_groups(bot: Harness) -> None:
    await _drop(bot)
    await bot.say("wx_zhang", "草莓3盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")  # sold out: waits for 2 in group 2
    await bot.settle()
    bot.take()
    assert await owner(bot, "/加库存 草莓 3") == "✅ 草莓加了3盒，候补的1位已补上，还剩1盒（2个群已通知）"
    assert each_group(bot) == ["📦 「周六水果团」草莓加了3盒，候补的1位已补上，还剩1盒"] * 2
    assert (await bot.book())[("wx_li", "草莓")] == 2
    await bot.settle()
    assert "@李四 已记录：草莓×2，共¥60；候补到了：草莓补上2盒" in bot.texts("r2")
    # 限量 never below what is ordered; 不限 serves everyone waiting.
    assert (await owner(bot, "/限量 草莓 4")).startswith("草莓已经订出5盒，限量不能少于5盒")
    await bot.say("wx_wang", "草莓4盒", room="r1")  # 1 left: 1 granted, 3 wait
    bot.take()
    assert await owner(bot, "/限量 草莓 不限") == "✅ 草莓不再限量，候补的1位已补上（2个群已通知）"
    assert (await bot.book())[("wx_wang", "草莓")] == 4


async def test_a_new_price_leaves_what_was_ordered_at_its_price_unless_everyone(bot: Harness) -> None:
    await _drop(bot)
    await bot.say("wx_zhang", "砂糖橘2箱", room="r1")
    await bot.settle()
    assert await owner(bot, "/改价 砂糖橘 30") == (
        "✅ 砂糖橘 ¥25 → ¥30；已下单的1人保持¥25（要都按新价：/改价 砂糖橘 30 全部）（2个群已通知）")
    assert each_group(bot) == ["💰 「周六水果团」砂糖橘改为¥30/箱，已下单的按原价¥25"] * 2
    await bot.say("wx_li", "砂糖橘1箱", room="r2")
    await bot.say("wx_zhang", "砂糖橘3箱", room="r1")  # her third box at the new price
    reports = await load_reports(bot.db, (await bot.svc.campaigns.latest_in("r1")).id)  # type: ignore[union-attr]
    owed = {r.member_id: r.owed_cents for r in reports.members.rows}
    assert owed == {"wx_zhang": 2 * 2500 + 3000, "wx_li": 3000}
    assert reports.supplier.amount_cents == 11000
    await bot.say("wx_owner", "/汇总", room=None)
    assert "砂糖橘：4箱，¥110" in bot.private()[-1]
    assert (await owner(bot, "/改价 砂糖橘 28 全部")).startswith("✅ 砂糖橘 ¥30 → ¥28，已下单的也按新价算")
    reports = await load_reports(bot.db, (await bot.svc.campaigns.latest_in("r1")).id)  # type: ignore[union-attr]
    assert {r.member_id: r.owed_cents for r in reports.members.rows} == {"wx_zhang": 3 * 2800, "wx_li": 2800}
    assert (await owner(bot, "/改价 砂糖橘 abc")).startswith("没有改价：金额「abc」看不懂")


async def test_a_product_is_added_and_one_withdrawn_each_buyer_told_once(bot: Harness) -> None:
    await _drop(bot)
    await bot.say("wx_zhang", "草莓1盒 砂糖橘1箱", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    await bot.say("wx_wang", "草莓1盒", room="r2")  # waits
    await bot.settle()
    bot.take()
    assert await owner(bot, "/加商品 芒果 40元/箱 限量10") == "✅ 已加商品：芒果 ¥40/箱（限量10箱）（2个群已通知）"
    assert each_group(bot) == ["🆕 「周六水果团」加了新商品：芒果 ¥40/箱（限量10箱），发「芒果1箱」下单"] * 2
    await bot.say("wx_zhao", "芒果2箱", room="r2")
    assert (await bot.book())[("wx_zhao", "芒果")] == 2
    assert (await owner(bot, "/加商品 芒果 45元/箱")).startswith("已经有「芒果」了")
    assert await owner(bot, "/下架 草莓") == "✅ 已下架草莓：取消了2人的订单（共3盒），1人的候补（2个群已通知）"
    assert each_group(bot) == ["🚫 「周六水果团」草莓下架了，不再接单；已订的已取消"] * 2
    await bot.settle()
    assert "@张三 草莓下架了，你的草莓×1已取消；现在：砂糖橘×1，共¥25" in bot.texts("r1")
    r2 = "\n".join(bot.texts("r2"))
    assert "@李四 草莓下架了，你的草莓×2已取消；你现在没有订单了" in r2 and "@王五 草莓下架了，你的候补已取消" in r2
    assert await bot.book() == {("wx_zhang", "砂糖橘"): 1, ("wx_zhao", "芒果"): 2}
    # An order naming it now is told, not silently dropped.
    bot.take()
    await bot.say("wx_zhao", "草莓1盒", room="r2")
    await bot.settle()
    assert bot.texts("r2") == ["@赵六 已记录：芒果×2，共¥80；草莓已下架，没有记上"]


async def test_changes_are_refused_with_the_reason_and_change_nothing(bot: Harness) -> None:
    await _drop(bot)
    assert (await owner(bot, "/加库存 草莓 abc")).startswith("没看懂数量「abc」")
    assert (await owner(bot, "/加库存 砂糖橘 5")).startswith("砂糖橘没有限量，不用加库存")
    assert (await owner(bot, "/加库存 芒果 5")).startswith("没有找到商品「芒果」")
    assert (await owner(bot, "/延长 25:00")).startswith("没有改截单时间：")
    assert (await owner(bot, "/加商品 芒果")).startswith("没看懂这个商品")
    assert each_group(bot) == []
