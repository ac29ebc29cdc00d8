"""Identity: only member ids decide who may command the bot and whose order is whose.

Display names are chosen by members and change at will: a member renamed to
the owner's name, two members showing the same name, an admin removed while
the campaign runs, a member who leaves and comes back under another name.
"""

from __future__ import annotations

from bot.models import Member, MemberJoined, RoomInfo, RoomSeen
from bot.render.export import order_book
from tests.harness import FRUIT, MEMBERS, Harness, copy

OWNER_NAME = MEMBERS["wx_owner"]


async def _campaigns(bot: Harness) -> list[tuple[str, str]]:
    return [(c["title"], c["status"]) for c in (await order_book(bot.db))["campaigns"]]


async def _admin_ids(bot: Harness) -> list[str]:
    return await bot.svc.rooms.admins("r1")


async def test_a_member_renamed_to_the_owner_commands_nothing(bot: Harness) -> None:
    await bot.say("wx_zhang", FRUIT, name=OWNER_NAME)
    await bot.say("wx_zhang", "#接龙\n周六水果团\n草莓 30元一盒\n晚上八点截单", name=OWNER_NAME)
    assert await _campaigns(bot) == []
    assert any("只有团长和管理员" in t for t in bot.texts())

    await bot.say("wx_owner", FRUIT)
    bot.take()
    for command in ("/截单", "/汇总", "/管理员 添加 @张三", "/管理员 移除 @王姐(团长)"):
        await bot.say("wx_zhang", command, name=OWNER_NAME, mentions=("wx_zhang",) if "添加" in command else ())
    refusals = [o for o in bot.take() if "只有团长和管理员" in o.text]
    assert len(refusals) == 4
    # The refusal @-mentions the member who spoke, by id, whatever her name.
    assert all(o.mentions == ("wx_zhang",) for o in refusals)
    assert await _campaigns(bot) == [("周六水果团", "open")]
    assert await _admin_ids(bot) == ["wx_owner"]


async def test_a_typed_name_names_its_one_member_or_is_asked_about(bot: Harness) -> None:
    # A display name typed without a real mention chooses among the group's members by id: with a
    # second member showing the same name, the owner is asked which one, and nothing changes.
    await bot.say("wx_twin", "大家好", name="张三")
    await bot.say("wx_owner", "/管理员 添加 @张三")
    asked = bot.private()[-1]
    assert asked.startswith("「张三」对得上2位，是哪一位？\n1. 张三") and "/管理员 添加 1" in asked
    assert await _admin_ids(bot) == ["wx_owner"]
    # Her numbered answer names the one she saw first in the list: the member id behind it.
    await bot.say("wx_owner", "/管理员 添加 2")
    assert bot.private()[-1] == "已添加管理员：张三"
    assert await _admin_ids(bot) == ["wx_owner", "wx_twin"]
    # A name only one member has is that member.
    await bot.say("wx_owner", "/管理员 添加 赵六")
    assert await _admin_ids(bot) == ["wx_owner", "wx_twin", "wx_zhao"]
    # A member showing the owner's name, really @-mentioned, is still herself.
    # A member showing the owner's name, really @-mentioned, is still herself: no owner's rights.
    await bot.say("wx_zhao", f"/管理员 移除 @{OWNER_NAME}", name=OWNER_NAME, mentions=("wx_owner",))
    assert bot.private("wx_zhao")[-1] == "只有群主（团长）可以添加或移除管理员。"
    # Typed, the owner's name fits the owner and the member renamed to it: asked, never guessed.
    await bot.say("wx_owner", f"/管理员 移除 {OWNER_NAME}")
    assert bot.private()[-1].startswith(f"「{OWNER_NAME}」对得上2位")
    assert await _admin_ids(bot) == ["wx_owner", "wx_twin", "wx_zhao"]
    await bot.say("wx_owner", "/管理员 移除 @王姐", mentions=("wx_owner",))
    assert "是群主，不能移除" in bot.private()[-1]


async def test_two_members_with_the_same_name_keep_separate_orders(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    # Another member, another id, the same display name.
    await bot.say("wx_twin", copy("3-502 张三 草莓2盒", "9-901 张三 砂糖橘1箱"), name="张三")
    await bot.say("wx_twin", "草莓1盒", name="张三")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_twin", "砂糖橘"): 1, ("wx_twin", "草莓"): 1}
    acks = [o for o in bot.take() if o.mentions and "已记录" in o.text]
    # The copies show their lines as written (no acknowledgement of their own); her twin's plain
    # order is acknowledged to her twin alone, with her twin's whole order.
    assert [(o.mentions, o.text) for o in acks] == [(("wx_twin",), "@张三 已记录：草莓×1、砂糖橘×1，共¥55")]

    # Her twin's copy without her line, her twin's 取消, her twin changing her
    # line: none of it is hers to change.
    await bot.say("wx_twin", copy("9-901 张三 砂糖橘1箱"), name="张三")
    await bot.say("wx_twin", copy("3-502 张三 草莓5盒", "9-901 张三 砂糖橘1箱"), name="张三")
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_twin", "砂糖橘"): 1, ("wx_twin", "草莓"): 1}
    await bot.say("wx_twin", "取消", name="张三")
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    await bot.say("wx_owner", "/汇总")
    assert "3-502 张三 草莓5盒（改动了别人的接龙行）" in bot.private()[-1]

    # 我的订单 answers for the id that asks.
    await bot.say("wx_twin", "我的订单", name="张三")
    assert "草莓" not in bot.texts()[-1] and "砂糖橘" not in bot.texts()[-1]
    await bot.say("wx_zhang", "我的订单")
    assert "草莓×2" in bot.texts()[-1]

    book = await order_book(bot.db)
    (only,) = book["campaigns"][0]["orders"]
    assert (only["member"], only["name"]) == ("wx_zhang", "张三")


async def test_an_admin_removed_mid_campaign_commands_nothing_more(bot: Harness) -> None:
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    await bot.say("wx_li", FRUIT)
    assert await _campaigns(bot) == [("周六水果团", "open")]
    await bot.say("wx_li", copy("7-1101 李四 砂糖橘2箱"))
    await bot.say("wx_zhang", copy("7-1101 李四 砂糖橘2箱", "3-502 张三 草莓1盒"))

    await bot.say("wx_owner", "/管理员 移除 @李四", mentions=("wx_li",))
    assert await _admin_ids(bot) == ["wx_owner"]
    bot.take()
    await bot.say("wx_li", "/截单")
    await bot.say("wx_li", "/汇总")
    await bot.say("wx_li", "/管理员 添加 @李四", mentions=("wx_li",))
    assert sum("只有团长和管理员" in t for t in bot.texts()) == 3
    assert await _campaigns(bot) == [("周六水果团", "open")]
    assert await _admin_ids(bot) == ["wx_owner"]

    # She opened the campaign, she is a member like any other now: her order stands
    # and she still changes it herself.
    await bot.say("wx_li", copy("7-1101 李四 砂糖橘3箱", "3-502 张三 草莓1盒"))
    assert await bot.book() == {("wx_li", "砂糖橘"): 3, ("wx_zhang", "草莓"): 1}
    await bot.say("wx_owner", "/截单")
    assert await _campaigns(bot) == [("周六水果团", "closed")]


async def test_a_member_who_leaves_and_rejoins_under_another_name_keeps_her_order(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_li", copy("3-502 张三 草莓2盒", "7-1101 李四 砂糖橘1箱"))
    # She leaves: the group is seen without her; someone else takes her old name.
    members = tuple(Member(i, n) for i, n in MEMBERS.items() if i != "wx_zhang")
    await bot.app.on_event(RoomSeen(RoomInfo("r1", "阳光花园水果团购群", "wx_owner", members)))
    await bot.say("wx_zhao", copy("3-502 张三 草莓2盒", "7-1101 李四 砂糖橘1箱", "8-808 赵六 草莓1盒"), name="张三")
    await bot.say("wx_zhao", "取消", name="张三")
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}

    # She comes back under a new name: her line is still hers, by id.
    await bot.app.on_event(MemberJoined("r1", Member("wx_zhang", "张三三"), bot.now))
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒", "7-1101 李四 砂糖橘1箱"), name="张三三")
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}
    await bot.say("wx_zhang", copy("3-502 张三 草莓4盒", "7-1101 李四 砂糖橘1箱"), name="张三三")
    assert await bot.book() == {("wx_zhang", "草莓"): 4, ("wx_li", "砂糖橘"): 1}
    await bot.say("wx_zhang", "我的订单", name="张三三")
    assert "@张三三 你的订单：\n【周六水果团】草莓×4，¥120，进行中" in bot.texts()
    await bot.say("wx_zhang", "草莓不要了", name="张三三")
    assert await bot.book() == {("wx_li", "砂糖橘"): 1}


async def test_only_the_owner_id_is_the_owner_even_when_the_room_is_seen_again(bot: Harness) -> None:
    # The group seen again with a member showing the owner's name changes nothing.
    members = (Member("wx_owner", "王姐"), Member("wx_zhang", OWNER_NAME))
    await bot.app.on_event(RoomSeen(RoomInfo("r1", "阳光花园水果团购群", "wx_owner", members)))
    await bot.say("wx_zhang", FRUIT, name=OWNER_NAME)
    assert await _campaigns(bot) == []
    await bot.say("wx_owner", FRUIT, name="王姐")
    assert await _campaigns(bot) == [("周六水果团", "open")]


async def test_typed_native_xml_cannot_claim_other_authors(bot: Harness) -> None:
    # Authors come from WeChat's own 群接龙 message; the same XML typed as text is
    # just her text, and no line of it becomes anyone else's order.
    await bot.say("wx_owner", FRUIT)
    info = "<solitaire><content><i><u>wx_li</u></i><i><u>wx_wang</u></i></content></solitaire>"
    xml = ("<msg><appmsg><title>#接龙\n周六水果团\n\n1. 7-1101 李四 砂糖橘5箱\n2. 5-1203 王五 草莓9盒</title>"
           f"<type>53</type><extinfo><solitaire_info><![CDATA[{info}]]></solitaire_info></extinfo></appmsg></msg>")
    await bot.say("wx_zhang", xml)
    assert {member for member, _ in await bot.book()} <= {"wx_zhang"}


async def test_the_welcome_counts_the_lines_as_they_are_now(bot: Harness) -> None:
    await bot.say("wx_owner", "/话术 设置 欢迎\n欢迎！已有{{ campaign.live_lines }}位邻居接龙")
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
    header = "#接龙\n周六水果团\n\n"
    await bot.say("wx_zhang", header + "1. 张三 草莓1盒")
    await bot.say("wx_li", header + "1. 张三 草莓1盒\n2. 李四 草莓2盒")
    await bot.say("wx_wang", header + "1. 张三 草莓1盒\n2. 李四 草莓2盒\n3. 王五 草莓1盒")
    await bot.app.on_event(MemberJoined("r1", Member("wx_new", "新人"), bot.now))
    await bot.settle()
    assert any("已有3位邻居接龙" in t for t in bot.texts())


async def test_the_welcome_counts_the_lines_when_the_campaign_is_not_in_memory(bot: Harness) -> None:
    await bot.say("wx_owner", "/话术 设置 欢迎\n欢迎！已有{{ campaign.live_lines }}位邻居接龙")
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
    header = "#接龙\n周六水果团\n\n"
    await bot.say("wx_zhang", header + "1. 张三 草莓1盒")
    await bot.say("wx_li", header + "1. 张三 草莓1盒\n2. 李四 草莓2盒")
    bot.svc.db.forget_caches()  # as after a restart: the count comes from the database
    await bot.app.on_event(MemberJoined("r1", Member("wx_new", "新人"), bot.now))
    await bot.settle()
    assert any("已有2位邻居接龙" in t for t in bot.texts())
