"""Members ordering, as the group sees it: what the book holds and what the bot said."""

from __future__ import annotations

from bot.domain.services import Settings
from bot.models import MessageKind
from tests.harness import FRUIT, Harness, OpenBot, copy


async def test_copies_append_and_each_member_owns_her_line(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_li", copy("3-502 张三 草莓2盒", "7-1101 李四 砂糖橘1箱"))
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}
    # Each copy shows its sender's line as she wrote it, taken exactly: no acknowledgement of its own.
    assert not any("已记录" in t for t in bot.texts())
    # A plain order is not visible as a list line: it is acknowledged.
    await bot.say("wx_wang", "草莓1盒")
    await bot.settle()
    assert "@王五 已记录：草莓×1，共¥30" in bot.texts()


async def test_two_members_copying_the_same_version_lose_nobody(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("张三 草莓1盒"))
    await bot.say("wx_li", copy("张三 草莓1盒", "李四 草莓2盒"), after=5)
    await bot.say("wx_wang", copy("张三 草莓1盒", "王五 砂糖橘1箱"), after=1)
    await bot.say("wx_zhao", copy("张三 草莓1盒", "李四 草莓2盒", "赵六 砂糖橘2箱"), after=30)
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 2, ("wx_wang", "砂糖橘"): 1,
                                ("wx_zhao", "砂糖橘"): 2}


async def test_fork_posts_the_merged_list_once(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("张三 草莓1盒"))
    await bot.say("wx_li", copy("张三 草莓1盒", "李四 草莓2盒"))
    bot.take()
    await bot.say("wx_wang", copy("张三 草莓1盒", "王五 砂糖橘1箱"))
    await bot.say("wx_zhao", copy("张三 草莓1盒", "赵六 砂糖橘2箱"))
    await bot.wait(60 * 60)  # the fork lasted (nobody re-posted the whole list): one list, however long it lasts
    merged = [t for t in bot.texts() if "最新的接龙" in t]
    assert len(merged) == 1
    assert "1. 张三 草莓1盒\n2. 李四 草莓2盒\n3. 王五 砂糖橘1箱" in merged[0]


async def test_own_line_edited_and_dropped(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("张三 草莓2盒"))
    await bot.say("wx_li", copy("张三 草莓2盒", "李四 砂糖橘1箱"))
    await bot.say("wx_zhang", copy("张三 草莓3盒", "李四 砂糖橘1箱"))
    assert await bot.book() == {("wx_zhang", "草莓"): 3, ("wx_li", "砂糖橘"): 1}
    await bot.say("wx_zhang", copy("李四 砂糖橘1箱"))
    await bot.settle()
    assert await bot.book() == {("wx_li", "砂糖橘"): 1}
    assert "@张三 订单已取消" in bot.texts()


async def test_stale_copy_never_cancels_someone_else(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("张三 草莓2盒"))
    await bot.say("wx_li", copy("张三 草莓2盒", "李四 砂糖橘1箱"))
    await bot.say("wx_wang", copy("张三 草莓2盒", "王五 草莓1盒"), after=600)
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1, ("wx_wang", "草莓"): 1}


async def test_changing_someone_elses_line_is_for_the_owner_not_an_order(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_li", copy("3-502 张三 草莓5盒", "7-1101 李四 砂糖橘1箱"))
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}
    await bot.say("wx_owner", "/汇总")
    assert "3-502 张三 草莓5盒（改动了别人的接龙行）" in bot.private()[-1]


async def test_identical_lines_from_two_members_are_two_orders(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒")
    await bot.say("wx_zhang", "#接龙\n草莓团\n\n1. 1盒")
    await bot.say("wx_li", "#接龙\n草莓团\n\n1. 1盒\n2. 1盒")
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 1}


async def test_plain_messages_set_add_and_cancel(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_zhang", "草莓2盒")  # sent twice: still 2, never doubled
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    await bot.say("wx_zhang", "再来1盒草莓")
    assert await bot.book() == {("wx_zhang", "草莓"): 3}
    await bot.say("wx_zhang", "砂糖橘来一箱")
    await bot.say("wx_zhang", "草莓改成1盒")
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_zhang", "砂糖橘"): 1}
    await bot.say("wx_zhang", "砂糖橘不要了")
    assert await bot.book() == {("wx_zhang", "草莓"): 1}
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {}


async def test_plain_message_changes_a_jielong_order(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("张三 草莓3盒"))
    await bot.say("wx_zhang", "草莓改成1盒")
    assert await bot.book() == {("wx_zhang", "草莓"): 1}
    await bot.say("wx_li", copy("张三 草莓3盒", "李四 砂糖橘1箱"))  # her old line copied again: no change
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "砂糖橘"): 1}


async def test_product_codes_and_plus_one(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周末生鲜\nA. 草莓 30元/盒\nB. 砂糖橘 25元/箱\nC. 鸡蛋 15元/板")
    await bot.say("wx_zhang", "A2 B1")
    await bot.say("wx_li", "c3")
    await bot.say("wx_wang", "+1")  # which product? she is asked, and answers in a word
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_zhang", "砂糖橘"): 1, ("wx_li", "鸡蛋"): 3}
    await bot.settle()
    assert "@王五 「+1」是要哪个？A 草莓×1、B 砂糖橘×1 还是 C 鸡蛋×1？回 A、B 或 C" in "\n".join(bot.texts()).split("\n")
    await bot.say("wx_wang", "C")
    assert (await bot.book())[("wx_wang", "鸡蛋")] == 1


async def test_plus_one_in_a_single_product_campaign(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n丹东草莓 30元/盒")
    await bot.say("wx_zhang", "+1")
    await bot.say("wx_li", "加2")
    assert await bot.book() == {("wx_zhang", "丹东草莓"): 1, ("wx_li", "丹东草莓"): 2}


async def test_questions_and_chatter_are_not_orders(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    for text in ["今天的草莓甜吗？", "收到", "谢谢团长[玫瑰]", "明天几点到？", "3-502"]:
        await bot.say("wx_zhao", text)
    await bot.settle()
    assert await bot.book() == {}
    assert bot.texts() == []


async def test_quoted_order_is_not_repeated(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "「张三：草莓2盒」\n- - - - - - - - - - - - - - -\n我也是，砂糖橘1箱")
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}


async def test_stock_is_first_come_first_served_with_a_waitlist(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量草莓\n草莓 30元/盒 限量5")
    await bot.say("wx_zhang", "草莓3盒")
    await bot.say("wx_li", "草莓3盒")
    await bot.say("wx_wang", "草莓2盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 3, ("wx_li", "草莓"): 2}
    assert any("@李四 已记录：草莓×2，共¥60；草莓只剩2盒，已记2盒，另1盒登记候补" in t for t in bot.texts())
    assert any("@王五 草莓已售罄，2盒登记候补" in t for t in bot.texts())
    # A cancellation frees stock for the waitlist, in order; a later order waits behind it.
    bot.take()
    await bot.say("wx_zhang", "取消")
    await bot.say("wx_zhao", "草莓2盒")
    await bot.settle()
    assert await bot.book() == {("wx_li", "草莓"): 3, ("wx_wang", "草莓"): 2}
    ack = "\n".join(bot.texts())
    assert "@李四 已记录：草莓×3，共¥90；候补到了：草莓补上1盒" in ack
    assert "@王五 已记录：草莓×2，共¥60；候补到了：草莓补上2盒" in ack
    assert "@赵六 草莓已售罄，2盒登记候补" in ack


async def test_a_cancelled_order_leaves_the_waitlist_too(bot: Harness) -> None:
    # Found on the way: a member who cancelled while waiting for a sold-out product kept her place in
    # its queue (a sold-out product holds nothing on her line, so only the line was cancelled) and was
    # later served what she had cancelled: an invented order. All three ways of cancelling are here.
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱 限量1")
    await bot.say("wx_zhang", "砂糖橘1箱")
    await bot.say("wx_li", "草莓1盒 砂糖橘1箱")
    await bot.say("wx_wang", copy("7-1101 王五 砂糖橘1箱"))
    await bot.say("wx_zhao", copy("7-1101 王五 砂糖橘1箱", "5-1203 赵六 草莓1盒 砂糖橘1箱"))
    await bot.say("wx_li", "取消")
    await bot.say("wx_wang", copy("5-1203 赵六 草莓1盒 砂糖橘1箱"))  # her own line taken out
    await bot.say("wx_zhao", "草莓和砂糖橘都不要了")
    await bot.say("wx_sun", "砂糖橘1箱", name="孙七")
    await bot.settle()
    said = "\n".join(bot.texts()).split("\n")
    # Each one's last word is that her order is cancelled (the acknowledgements are gathered).
    assert [[line for line in said if line.startswith(f"@{name} ")][-1] for name in ("李四", "王五", "赵六")] == [
        "@李四 订单已取消：草莓×1", "@王五 订单已取消", "@赵六 订单已取消"]
    bot.take()
    await bot.say("wx_zhang", "取消")
    await bot.settle()
    assert await bot.book() == {("wx_sun", "砂糖橘"): 1}
    assert "@孙七 已记录：砂糖橘×1，共¥25；候补到了：砂糖橘补上1箱" in "\n".join(bot.texts())


async def test_per_member_limit(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒 限购2")
    await bot.say("wx_zhang", "草莓5盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert any("草莓每人限购2盒" in t for t in bot.texts())


async def test_redelivered_message_counts_once(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    mid = await bot.say("wx_zhang", "再来2盒草莓")
    await bot.redeliver("wx_zhang", "再来2盒草莓", mid)
    await bot.redeliver("wx_zhang", "再来2盒草莓", mid)
    assert await bot.book() == {("wx_zhang", "草莓"): 2}


async def test_acknowledgements_are_gathered_into_one_message(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", "草莓2盒", after=1)
    await bot.say("wx_li", "砂糖橘1箱", after=1)
    await bot.say("wx_zhang", "砂糖橘1箱", after=0.5)
    await bot.settle()
    sent = bot.take()
    assert len(sent) == 1
    assert set(sent[0].mentions) == {"wx_zhang", "wx_li"}
    assert "@张三 已记录：草莓×2、砂糖橘×1，共¥85" in sent[0].text
    assert "@李四 已记录：砂糖橘×1，共¥25" in sent[0].text


async def test_native_solitaire_orders_belong_to_each_author(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)

    def native(*entries: tuple[str, str]) -> str:
        title = "#接龙\n周六水果团\n\n" + "\n".join(f"{i}. {t}" for i, (_, t) in enumerate(entries, 1))
        authors = "".join(f"<i><u>{a}</u></i>" for a, _ in entries)
        return (f"<msg><appmsg><title>{title}</title><type>53</type><extinfo><solitaire_info><![CDATA["
                f"<solitaire><content>{authors}</content></solitaire>]]></solitaire_info></extinfo></appmsg></msg>")

    await bot.say("wx_zhang", native(("wx_zhang", "张三 草莓2盒")), kind=MessageKind.SOLITAIRE)
    await bot.say("wx_li", native(("wx_zhang", "张三 草莓2盒"), ("wx_li", "李四 砂糖橘1箱")),
                  kind=MessageKind.SOLITAIRE)
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "砂糖橘"): 1}
    # The newest native list is authoritative: 张三 removed her entry in WeChat.
    await bot.say("wx_wang", native(("wx_li", "李四 砂糖橘1箱"), ("wx_wang", "王五 草莓1盒")),
                  kind=MessageKind.SOLITAIRE)
    assert await bot.book() == {("wx_li", "砂糖橘"): 1, ("wx_wang", "草莓"): 1}


async def test_native_solitaire_without_xml_reads_the_text(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "#接龙\n周六水果团\n\n1. 张三 草莓2盒", kind=MessageKind.SOLITAIRE)
    assert await bot.book() == {("wx_zhang", "草莓"): 2}


async def test_unreadable_line_is_kept_for_the_owner(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_li", copy("3-502 张三 草莓2盒", "7-1101 李四 老样子"))
    await bot.say("wx_owner", "/汇总")
    summary = bot.private()[-1]
    assert "草莓：2盒，¥60" in summary
    assert "1人下单" in summary
    assert "在群里问了团员、等她回复（1条" in summary and "李四：7-1101 李四 老样子" in summary
    # She fixes her line: nothing is left to ask her.
    await bot.say("wx_li", copy("3-502 张三 草莓2盒", "7-1101 李四 砂糖橘1箱"))
    await bot.say("wx_owner", "/汇总")
    assert "问了团员" not in bot.private()[-1] and "砂糖橘：1箱" in bot.private()[-1]


async def test_my_orders(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒，砂糖橘1箱")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "我的订单")
    sent = bot.take()
    assert sent[0].mentions == ("wx_zhang",)
    assert sent[0].text == "@张三 你的订单：\n【周六水果团】草莓×2、砂糖橘×1，¥85，进行中"
    await bot.say("wx_li", "查单")
    assert bot.take()[0].text == "@李四 你在本群还没有进行中或待取货的订单。"


async def test_my_orders_in_private_chat_covers_every_group(bot: Harness) -> None:
    await bot.room("r2")
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_owner", "/开团 鸡蛋团\n鸡蛋 15元/板", room="r2")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.say("wx_zhang", "鸡蛋2板", room="r2")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhang", "我的订单", room=None)
    sent = bot.take()
    assert sent[0].to == "wx_zhang"
    assert "【周六水果团】草莓×1，¥30，进行中" in sent[0].text
    assert "【鸡蛋团】鸡蛋×2，¥30，进行中" in sent[0].text
    assert "合计：¥60" in sent[0].text


async def test_groups_keep_their_own_campaigns(bot: Harness) -> None:
    await bot.room("r2")
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓1盒", room="r2")  # no campaign in r2: nothing
    await bot.say("wx_zhang", "草莓2盒")
    assert await bot.book() == {("wx_zhang", "草莓"): 2}


async def test_oversized_message_is_ignored(open_bot: OpenBot) -> None:
    bot = await open_bot(settings=Settings(max_message_chars=1000))
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓2盒" + " " * 2000)
    assert await bot.book() == {}
    await bot.say("wx_zhang", "草莓1盒")
    assert await bot.book() == {("wx_zhang", "草莓"): 1}
    await bot.close()


async def test_a_failing_message_changes_nothing_and_the_next_is_handled(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    original = bot.svc.book.apply_intent

    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    bot.svc.book.apply_intent = explode  # type: ignore[assignment, method-assign]
    await bot.say("wx_zhang", "草莓2盒")
    bot.svc.book.apply_intent = original  # type: ignore[method-assign]
    await bot.say("wx_li", "草莓1盒")
    assert await bot.book() == {("wx_li", "草莓"): 1}


async def test_a_failed_send_does_not_lose_the_order(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.transport.fail_next = 5
    await bot.say("wx_zhang", "草莓2盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}


async def test_new_members_are_greeted_with_the_open_campaign_in_one_message(bot: Harness) -> None:
    from bot.models import Member, MemberJoined

    await bot.say("wx_owner", FRUIT)
    bot.take()
    for i in range(3):
        await bot.app.on_event(MemberJoined("r1", Member(f"wx_new{i}", f"新人{i}"), bot.now))
    await bot.settle()
    (greeting,) = bot.take()
    assert greeting.mentions == ("wx_new0", "wx_new1", "wx_new2")
    assert "@新人0 欢迎入群🎉 正在进行「周六水果团」，11月21日 20:00 截单" in greeting.text



async def test_a_list_with_no_entries_left_cancels_nothing(bot: Harness) -> None:
    # It may be the bare template re-posted by mistake; losing her order would be worse.
    # To cancel, she says 取消.
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("张三 草莓2盒"))
    await bot.say("wx_zhang", copy())
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    await bot.say("wx_zhang", "取消")
    assert await bot.book() == {}


async def test_the_owner_talking_to_a_member_or_showing_how_to_order_is_not_her_order(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_owner", "要的直接发 商品+数量 就行，比如 草莓2盒")
    await bot.say("wx_zhang", "🍓🍓🍓")
    await bot.say("wx_owner", "@张三\u2005草莓三盒对吧", mentions=("wx_zhang",))
    await bot.say("wx_owner", "@李四\u2005砂糖橘还剩1箱了哦", mentions=("wx_li",))
    await bot.settle()
    # Nothing is billed to the owner for her examples and her questions to members.
    assert not [k for k in await bot.book() if k[0] == "wx_owner"]
