"""A drop is one business: with it picked, the after-the-drop commands, /统计, /问答 and the daily digest
cover all its groups (each group's part labelled), and a pickup code names one buyer of the whole drop."""

from __future__ import annotations

import re

from tests.harness import Harness

DROP = "/开团 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒\n砂糖橘 25元/箱\n自提 东门快递柜"


async def _drop(bot: Harness, *, close: bool = True) -> None:
    """张三 ¥60 and 王五 ¥25 in 锦绣1群, 李四 ¥55 in 锦绣2群; closed and arrived."""
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", DROP, room=None)
    await bot.say("wx_zhang", "草莓2盒", room="r1")
    await bot.say("wx_wang", "砂糖橘1箱", room="r1")
    await bot.say("wx_li", "草莓1盒 砂糖橘1箱", room="r2")
    if close:
        await bot.say("wx_owner", "/截单", room=None)
        await bot.say("wx_owner", "/到货", room=None)
    await bot.settle()


async def owner(bot: Harness, text: str) -> str:
    bot.take()
    await bot.say("wx_owner", text, room=None)
    (answer,) = bot.private()
    return answer


async def test_pickup_codes_are_unique_across_the_drop(bot: Harness) -> None:
    await _drop(bot)
    codes = {room: re.findall(r"取货码(\d+)", "\n".join(bot.texts(room))) for room in ("r1", "r2")}
    assert codes == {"r1": ["101", "102"], "r2": ["103"]}
    # /核销 103 is 李四 of 锦绣2群, whichever group is picked; several codes at once.
    await bot.say("wx_owner", "/群 1", room=None)
    assert await owner(bot, "/核销 103 101") == "✅ 已核销 李四：草莓×1、砂糖橘×1\n✅ 已核销 张三：草莓×2"


async def test_unpaid_and_uncollected_cover_every_group_labelled(bot: Harness) -> None:
    await _drop(bot)
    unpaid = await owner(bot, "/未付")
    assert unpaid.startswith("💰 「周六水果团」未付款（3人，共¥140）：\n【锦绣1群】\n1. 张三 ¥60\n2. 王五 ¥25\n"
                             "【锦绣2群】\n3. 李四 ¥55")
    assert await owner(bot, "/已付 3 55") == "✅ 李四 付了¥55（应付¥55，已付清）"
    assert (await owner(bot, "/已付 李四 撤销")).startswith("↩️ 已撤销 李四 ")  # named in another group too
    uncollected = await owner(bot, "/未取")
    assert "【锦绣1群】\n1. 张三 取货码101：草莓×2" in uncollected and "【锦绣2群】\n3. 李四 取货码103" in uncollected
    bot.take()
    await bot.say("wx_owner", "/提醒取货", room=None)
    assert [o.mentions for o in bot.take() if o.room_id] == [("wx_zhang", "wx_wang"), ("wx_li",)]


async def test_stats_and_questions_cover_the_drops_groups(bot: Harness) -> None:
    await _drop(bot)
    stats = await owner(bot, "/统计")
    assert stats.split("\n")[1:3] == ["锦绣1群：1个团，2人下单，2单，¥85，人均¥42.50，复购率0%",
                                      "锦绣2群：1个团，1人下单，1单，¥55，人均¥55，复购率0%"]
    saved = await owner(bot, "/问答 草莓甜吗 = 丹东草莓，不甜包退")
    assert saved.startswith("✅ 已保存问答 #1（2个群：锦绣1群 #1、锦绣2群 #1）：草莓甜吗")
    bot.take()
    await bot.say("wx_zhao", "草莓甜吗？", room="r2")
    assert any("丹东草莓，不甜包退" in t for t in bot.texts("r2"))
    assert (await owner(bot, "/问答 修改 1 = 丹东99草莓，糖度12以上")).startswith("✅ 已修改问答 #1（2个群）")
    listed = await owner(bot, "/问答")
    assert listed.count("1. 草莓甜吗 = 丹东99草莓，糖度12以上") == 2 and "「锦绣2群」" in listed
    assert (await owner(bot, "/问答 删除 1")).startswith("已删除问答 #1（2个群）")
    assert [await bot.svc.qa.pairs(r) for r in ("r1", "r2")] == [[], []]


async def test_the_digest_shows_a_drop_once_with_each_group(bot: Harness) -> None:
    await _drop(bot, close=False)
    await bot.say("wx_owner", "/日报 21:00", room=None)
    bot.take()
    await bot.wait(14 * 3600)
    (digest,) = [o.text for o in bot.take() if o.text.startswith("📰")]
    assert digest.split("\n")[1:5] == ["【锦绣1群、锦绣2群】", "「周六水果团」进行中：3人下单，¥140",
                                       "  · 锦绣1群：2人，¥85", "  · 锦绣2群：1人，¥55"]
    assert digest.count("周六水果团") == 1


async def test_a_partner_is_named_from_the_private_chat(bot: Harness) -> None:
    await _drop(bot, close=False)
    assert await owner(bot, "/合伙人 添加 李四 2群 佣金10%") == (
        "✅ 李四 是「锦绣2群」的合伙人了，分润10%（按这个群的销售额）；她可以管理这个群的团，私聊 /汇总 只看到这个群的数字。")
    assert await bot.svc.rooms.partners("r2") == [("wx_li", 1000)] and await bot.svc.rooms.partners("r1") == []
    assert (await owner(bot, "/合伙人 添加 某某 1群 佣金10%")).startswith("没有找到「某某」")
    assert await bot.svc.rooms.partners("r1") == []
