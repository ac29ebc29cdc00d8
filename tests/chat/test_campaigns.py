"""The owner's side: opening, closing, totals, admins."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import FRUIT, Harness, OpenBot


async def test_open_announces_and_posts_the_list_to_copy(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\nA. 草莓 30元/盒 限量20\nB. 砂糖橘 ¥25/箱\n截单 11-21 20:00\n"
                              "自提 东门快递柜 11-22 09:00-12:00\n成团 10人")
    announcement, jielong = bot.texts()
    assert announcement.startswith("🎉 开团啦：周六水果团")
    assert "A. 草莓 ¥30/盒（限量20盒）" in announcement
    assert "B. 砂糖橘 ¥25/箱" in announcement
    assert "⏰ 截单：11月21日 20:00" in announcement
    assert "📍 自提：东门快递柜 11-22 09:00-12:00" in announcement
    assert "满10人成团" in announcement
    lines = jielong.split("\n")
    assert lines[0] == "#接龙" and lines[1] == "周六水果团"
    assert lines[3].startswith("例：")
    assert lines[-1] == "1. "


async def test_members_copy_the_bots_own_list(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    jielong = bot.texts()[-1]
    await bot.say("wx_zhang", jielong.replace("1. ", "1. 3-502 张三 草莓2盒"))
    assert await bot.book() == {("wx_zhang", "草莓"): 2}


async def test_open_reports_lines_it_could_not_read(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n新鲜苹果")
    # Told to her alone: the group sees the campaign, not what she has to fix.
    assert "这行没有价格：新鲜苹果" in bot.private()[0]
    assert not any("新鲜苹果" in t for t in bot.texts())


async def test_open_without_products_explains(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团")
    assert bot.private() == ["没有读到商品。每行一个商品：名称 价格/单位，例如「草莓 30元/盒」。"]
    assert bot.texts() == []  # her mistake is not the group's business
    assert await bot.svc.campaigns.open_in("r1") is None


async def test_one_open_campaign_per_group(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_owner", "/开团 第二个团\n苹果 10元/斤")
    assert bot.private()[-1] == "「周六水果团」还在进行中，先发 /截单 再开新团。"


async def test_owner_hash_jielong_opens_a_campaign(bot: Harness) -> None:
    await bot.say("wx_owner", "#接龙\n明天到货：丹东草莓 30元一盒\n例：楼号-房号 数量\n\n晚上八点截单")
    assert bot.texts()[0].startswith("✅ 已开团「明天到货：丹东草莓 30元一盒」：丹东草莓 ¥30/盒")
    await bot.say("wx_zhang", "#接龙\n明天到货：丹东草莓 30元一盒\n例：楼号-房号 数量\n\n1. 3-502 2盒\n\n晚上八点截单")
    assert await bot.book() == {("wx_zhang", "丹东草莓"): 2}


async def test_member_hash_jielong_opens_nothing(bot: Harness) -> None:
    await bot.say("wx_zhang", "#接龙\n我的团 10元一份\n\n1. 张三 1份")
    assert await bot.svc.campaigns.open_in("r1") is None
    assert await bot.book() == {}


async def test_close_refuses_later_orders(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/截单")
    closing = bot.texts()[-1]
    assert closing.startswith("✂️ 「周六水果团」已截单")
    # The group learns what was ordered; the money goes to the owner.
    assert "草莓：2盒" in closing and "¥" not in closing
    assert "草莓：2盒，¥60" in bot.private()[-1]
    await bot.say("wx_li", "草莓1盒")
    await bot.say("wx_zhang", "取消")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert any("@李四 「周六水果团」已截单，这条订单没有记录" in t for t in bot.texts())
    assert any("@张三 已截单，改单或取消请联系团长" in t for t in bot.texts())


async def test_deadline_closes_by_itself_with_totals(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n截单 30分钟后")  # at 08:00:10
    await bot.say("wx_zhang", "草莓2盒")
    await bot.wait(31 * 60)
    closed = [(t, o.text) for t, o in bot.transport.sent if o.text.startswith("✂️")]
    assert len(closed) == 1
    when, text = closed[0]
    assert (when.hour, when.minute, when.second) == (8, 30, 10)  # 30 minutes to the second
    assert "草莓：2盒" in text and "¥" not in text
    assert "草莓：2盒，¥60" in bot.private()[-1]
    await bot.say("wx_li", "草莓1盒")
    assert await bot.book() == {("wx_zhang", "草莓"): 2}


async def test_deadline_is_stamped_with_its_own_time(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n截单 11-20 09:00")
    await bot.say("wx_zhang", "草莓2盒", after=3600 * 5)  # long after the deadline
    (closed_at,) = [t for t, o in bot.transport.sent if o.text.startswith("✂️")]
    assert (closed_at.hour, closed_at.minute) == (9, 0)
    assert await bot.book() == {}


async def test_summary_totals_buyers_and_amounts(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓1盒，砂糖橘2箱")
    await bot.say("wx_wang", "+1")
    await bot.say("wx_owner", "/summary")
    summary = bot.private()[-1]
    assert summary.split("\n")[:5] == [
        "📋 周六水果团 汇总（进行中）",
        "草莓：3盒，¥90",
        "砂糖橘：2箱，¥50",
        "合计：¥140，2人下单",
        "💬 在群里问了团员、等她回复（1条，没回复会转到待确认）：",
    ]
    assert "王五：+1" in summary


async def test_non_admin_command_is_refused_politely_and_changes_nothing(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "/截单")
    assert bot.texts()[-1] == "@张三 抱歉，/截单 只有团长和管理员可以使用。"
    assert (await bot.svc.campaigns.open_in("r1")) is not None


async def test_a_member_renamed_as_the_owner_gets_nothing(bot: Harness) -> None:
    await bot.say("wx_zhang", FRUIT, name="王姐(团长)")
    assert await bot.svc.campaigns.open_in("r1") is None
    assert "只有团长和管理员" in bot.texts()[-1]


async def test_owner_adds_and_removes_an_admin_by_mention(bot: Harness) -> None:
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    assert bot.private()[-1] == "已添加管理员：李四"
    await bot.say("wx_li", FRUIT)
    assert await bot.svc.campaigns.open_in("r1") is not None
    await bot.say("wx_owner", "/管理员 移除 @李四", mentions=("wx_li",))
    await bot.say("wx_li", "/截单")
    assert "只有团长和管理员" in bot.texts()[-1]
    await bot.say("wx_owner", "/管理员 移除 @王姐", mentions=("wx_owner",))
    assert bot.private()[-1] == "王姐(团长)是群主，不能移除"


async def test_admin_command_names_a_member_without_a_mention(bot: Harness) -> None:
    await bot.say("wx_owner", "/管理员 添加 @李四")  # typed, not a WeChat mention: the one 李四 of the group
    assert bot.private()[-1] == "已添加管理员：李四"
    assert await bot.svc.rooms.is_admin("r1", "wx_li")
    await bot.say("wx_owner", "/管理员 添加 某某")
    assert bot.private()[-1].startswith("没有找到「某某」。可以写群昵称")
    await bot.say("wx_owner", "/管理员 添加")
    assert bot.private()[-1].startswith("用法：/管理员 添加 张三")


async def test_help_and_unknown_command(bot: Harness) -> None:
    await bot.say("wx_zhang", "/帮助")
    # A member sees how to order, in the group; the owner's commands are hers.
    assert "我的订单" in bot.texts()[-1] and "/开团" not in bot.texts()[-1]
    await bot.say("wx_owner", "/帮助")
    assert "/开团" in bot.private()[-1] and "/群" in bot.private()[-1]
    assert "/开团" not in bot.texts()[-1]
    await bot.say("wx_zhang", "/help")
    assert bot.texts()[-1] == bot.texts()[-2]
    await bot.say("wx_zhang", "/飞")
    assert bot.texts()[-1] == "没有 /飞 这个命令，发 /帮助 查看可用命令。"


async def test_restart_keeps_the_book(open_bot: OpenBot) -> None:
    bot = await open_bot()
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.close()
    again = await open_bot()
    again.now = bot.now + timedelta(minutes=1)
    await again.say("wx_li", "砂糖橘1箱", msg_id="after-restart")
    assert await again.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}
