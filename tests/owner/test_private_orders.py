"""Members may order in their private chat with the bot: booked in their one group with an open
campaign (asked which, when several), acknowledged privately."""

from __future__ import annotations

from tests.harness import FRUIT, Harness


async def test_an_order_sent_privately_is_booked_in_her_one_open_group(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "草莓2盒", room=None)
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert bot.private("wx_zhang") == ["【阳光花园水果团购群「周六水果团」】已记录：草莓×2，共¥60"]
    await bot.say("wx_zhang", "草莓改成3盒", room=None)
    assert bot.private("wx_zhang")[-1] == "【阳光花园水果团购群「周六水果团」】已记录：草莓×3，共¥90"
    await bot.settle()
    assert bot.texts() == []  # her acknowledgement came to her, not to the group
    # Chatter and questions are not orders.
    await bot.say("wx_zhang", "你好呀", room=None)
    assert len(bot.private("wx_zhang")) == 2
    # After the close she is told it was not booked.
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_zhang", "砂糖橘1箱", room=None)
    assert bot.private("wx_zhang")[-1] == "「周六水果团」已截单，这单没有记录，如需加单请联系团长。"
    assert await bot.book() == {("wx_zhang", "草莓"): 3}


async def test_with_open_campaigns_in_two_groups_she_is_asked_which(bot: Harness) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒 限量2")
    await bot.say("wx_owner", "/开团 周日蔬菜团\n草莓 28元/盒", room="r2")
    await bot.say("wx_li", "草莓2盒")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "草莓1盒", room=None)
    assert bot.private("wx_zhang") == [
        "你在2个群都有进行中的团，「草莓1盒」下在哪个群？回复序号：\n1. 锦绣1群「周六水果团」\n2. 锦绣2群「周日蔬菜团」"]
    assert await bot.book() == {("wx_li", "草莓"): 2}
    await bot.say("wx_zhang", "1", room=None)
    # Group 1's 草莓 is sold out: she hears it privately, and is on its waitlist.
    assert bot.private("wx_zhang")[-1] == "【锦绣1群「周六水果团」】草莓已售罄，1盒登记候补"
    await bot.say("wx_zhang", "草莓1盒", room=None)
    await bot.say("wx_zhang", "第2个", room=None)
    assert bot.private("wx_zhang")[-1] == "【锦绣2群「周日蔬菜团」】已记录：草莓×1，共¥28"
    assert await bot.book() == {("wx_li", "草莓"): 2, ("wx_zhang", "草莓"): 1}
    # A number with nothing asked is not an order.
    await bot.say("wx_zhang", "2", room=None)
    assert len(bot.private("wx_zhang")) == 4
