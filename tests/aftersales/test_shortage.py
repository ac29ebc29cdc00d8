"""缺货 and 补货 through the real app: the plan privately, one word, then the book and each member's notice."""

from __future__ import annotations

from bot.models import Outgoing
from tests.harness import FRUIT, Harness


async def _closed(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓3盒")
    await bot.say("wx_li", "草莓2盒")
    await bot.say("wx_wang", "草莓3盒，砂糖橘1箱")
    await bot.say("wx_zhao", "草莓2盒")
    await bot.say("wx_owner", "/截单")
    await bot.settle()
    bot.take()


CUT_NOTICE = "\n".join([
    "📦 「周六水果团」到货有变化，被@的姐妹请看自己这一行：",
    "@王五 草莓到货不足，你订的3盒分到1盒，少的2盒退¥60",
    "@赵六 草莓到货不足，你订的2盒分到0盒，少的2盒退¥60",
    "退款：已付款的团长退给你，没付的少付。有疑问请私聊团长。"])


def _group_posts(out: list[Outgoing]) -> list[Outgoing]:
    return [o for o in out if o.room_id is not None]


async def test_in_order_cuts_the_latest_orders_after_her_word(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 6", room=None)
    (plan,) = bot.take()
    assert plan.to == "wx_owner"
    assert plan.text.splitlines()[:5] == [
        "📦 草莓缺货：订了10盒，到了6盒，要少分4盒。",
        "规则：按顺序（先下单的先满足，最后下单的先减）",
        "减少的人：",
        "· 王五 3盒→1盒，退¥60",
        "· 赵六 2盒→0盒，退¥60",
    ]
    assert await bot.book() == {("wx_zhang", "草莓"): 3, ("wx_li", "草莓"): 2, ("wx_wang", "草莓"): 3,
                                ("wx_wang", "砂糖橘"): 1, ("wx_zhao", "草莓"): 2}  # nothing changed yet
    await bot.say("wx_owner", "确认", room=None)
    out = bot.take()
    assert await bot.book() == {("wx_zhang", "草莓"): 3, ("wx_li", "草莓"): 2, ("wx_wang", "草莓"): 1,
                                ("wx_wang", "砂糖橘"): 1}
    # One gathered post in the group: a line each, @-mentioned, her own figures; no totals.
    assert [(p.mentions, p.text) for p in _group_posts(out)] == [(("wx_wang", "wx_zhao"), CUT_NOTICE)]
    assert [o.text.splitlines()[0] for o in out if o.to == "wx_owner"] == [
        "✅ 草莓缺货已按「按顺序」处理：2人减少，共退¥120；已在群里@她们（每人一行，只写她自己的）。/导出 的分拣单、采购单按实际到货。"]


async def test_even_cuts_one_unit_at_a_time_from_the_largest(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 6 平均", room=None)
    (plan,) = bot.take()
    assert "规则：平均（从订得最多的人开始一份一份减，让尽量多的人都分到）" in plan.text
    await bot.say("wx_owner", "好", room=None)
    bot.take()
    # 3,2,3,2 → cut 4 from the largest, the later of equals first: 王五 3→2, 张三 3→2, then 赵六 2→1, 王五 2→1.
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "草莓"): 2, ("wx_wang", "草莓"): 1,
                                ("wx_wang", "砂糖橘"): 1, ("wx_zhao", "草莓"): 1}


async def test_restock_gives_back_in_the_same_order(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 6", room=None)
    await bot.say("wx_owner", "确认", room=None)
    bot.take()
    await bot.say("wx_owner", "/补货 草莓 3", room=None)
    (plan,) = bot.take()
    assert "· 王五 1盒→3盒，少退¥60" in plan.text and "· 赵六 0盒→1盒，少退¥30" in plan.text
    await bot.say("wx_owner", "确认", room=None)
    out = bot.take()
    assert await bot.book() == {("wx_zhang", "草莓"): 3, ("wx_li", "草莓"): 2, ("wx_wang", "草莓"): 3,
                                ("wx_wang", "砂糖橘"): 1, ("wx_zhao", "草莓"): 1}
    assert [(p.mentions, p.text) for p in _group_posts(out)] == [(("wx_wang", "wx_zhao"), "\n".join([
        "📦 「周六水果团」到货有变化，被@的姐妹请看自己这一行：",
        "@王五 草莓补到货了，补回2盒，你现在是3盒（少退¥60）",
        "@赵六 草莓补到货了，补回1盒，你现在是1盒（少退¥30）",
        "有疑问请私聊团长。"]))]


async def test_a_plan_made_stale_by_a_change_is_shown_again_not_applied(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 6", room=None)
    bot.take()
    await bot.say("wx_owner", "/缺货 草莓 8", room=None)  # a new plan replaces the one waiting
    (plan,) = bot.take()
    assert "· 赵六 2盒→0盒，退¥60" in plan.text and "王五" not in plan.text
    await bot.say("wx_owner", "取消", room=None)
    assert bot.take()[0].text == "好的，缺货方案作罢，订单没有改。"
    await bot.say("wx_owner", "确认", room=None)
    assert bot.take() == []  # nothing waits for her word: not taken as anything


async def test_enough_arrived_and_an_unknown_product_change_nothing(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 10")
    assert bot.private()[-1] == "草莓一共订了10盒，到了10盒，够分，不用减。"
    await bot.say("wx_owner", "/缺货 榴莲 3")
    assert bot.private()[-1].startswith("没有找到商品「榴莲」。这个团的商品：草莓、砂糖橘")
    await bot.say("wx_zhang", "/缺货 草莓 3")
    assert bot.texts()[-1] == "@张三 抱歉，/缺货 只有团长和管理员可以使用。"


async def test_manual_gives_her_the_list_and_waits_until_she_has_cut_enough(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 规则 手动", room=None)
    assert bot.take()[0].text == "✅ 「周六水果团」缺货规则改为：手动（团长自己分）。"
    await bot.say("wx_owner", "/缺货 草莓 6", room=None)
    (plan,) = bot.take()
    assert plan.text.splitlines()[1:7] == [
        "规则：手动（团长自己分）", "订了的人（按下单先后）：", "1. 张三 3盒", "2. 李四 2盒", "3. 王五 3盒", "4. 赵六 2盒"]
    await bot.say("wx_owner", "确认", room=None)
    assert [o.text for o in bot.take()] == ["草莓现在还分了10盒，到货只有6盒，还要减4盒：用 /改单 调好再回复「确认」。"]
    assert len(await bot.book()) == 5  # nothing cut by the bot


async def test_manual_settled_with_edits_tells_each_member_once_with_her_refund(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 6 手动", room=None)
    await bot.say("wx_owner", "/删单 赵六 草莓", room=None)
    await bot.say("wx_owner", "/改单 王五 草莓1", room=None)
    assert bot.private()[-1].endswith("（缺货手动分配中：回复「确认」后和退款一起告诉她）")
    await bot.settle()
    assert not [o for o in bot.take() if o.room_id]  # her edits told nobody yet
    await bot.say("wx_owner", "确认", room=None)
    out = bot.take()
    assert [(o.mentions, o.text) for o in out if o.room_id] == [(("wx_wang", "wx_zhao"), CUT_NOTICE)]
    assert next(o.text for o in out if o.to == "wx_owner").startswith("✅ 草莓缺货已按「手动」处理：2人减少，共退¥120")
    await bot.settle()
    assert not [o for o in bot.take() if o.room_id]  # nothing more about it


async def test_a_drop_across_two_groups_is_one_plan_and_each_member_hears_in_her_group(bot: Harness) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", "/开团 周六水果团\n群 锦绣1群 锦绣2群\n草莓 30元/盒\n自提 东门快递柜", room=None)
    await bot.say("wx_zhang", "草莓3盒", room="r1")
    await bot.say("wx_li", "草莓2盒", room="r2")
    await bot.say("wx_wang", "草莓2盒", room="r1")
    await bot.say("wx_zhao", "草莓2盒", room="r2")
    await bot.say("wx_owner", "/截单", room=None)
    await bot.settle()
    bot.take()
    await bot.say("wx_owner", "/缺货 草莓 6", room=None)  # her one drop: no group to pick
    (plan,) = bot.take()
    assert plan.text.splitlines()[:5] == [
        "📦 草莓缺货：订了9盒，到了6盒，要少分3盒。", "规则：按顺序（先下单的先满足，最后下单的先减）", "减少的人：",
        "· 王五（锦绣1群） 2盒→1盒，退¥30", "· 赵六（锦绣2群） 2盒→0盒，退¥60"]
    await bot.say("wx_owner", "确认", room=None)
    posts = [(o.room_id, o.mentions) for o in bot.take() if o.room_id]
    assert posts == [("r1", ("wx_wang",)), ("r2", ("wx_zhao",))]


async def test_an_even_cut_touching_25_members_is_two_posts_of_one_line_each(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n自提 东门快递柜")
    people = [(f"wx_m{i:02}", f"邻居{i:02}") for i in range(1, 31)]
    for mid, name in people:
        await bot.say(mid, "草莓2盒", name=name)  # 60 ordered
    await bot.say("wx_owner", "/截单")
    await bot.settle()
    bot.take()
    await bot.say("wx_owner", "/缺货 草莓 35 平均", room=None)  # 25 of the 30 lose one box
    await bot.say("wx_owner", "确认", room=None)
    out = bot.take()
    posts = _group_posts(out)
    # Twenty @-mentions to a post, as the pickup notice: 25 members are two posts, not 25.
    assert [len(p.mentions) for p in posts] == [20, 5]
    assert [p.text.splitlines()[0] for p in posts] == [
        "📦 「周六水果团」到货有变化（1/2），被@的姐妹请看自己这一行：",
        "📦 「周六水果团」到货有变化（2/2），被@的姐妹请看自己这一行："]
    names = dict(people)
    cut = [m for p in posts for m in p.mentions]
    assert len(set(cut)) == 25 and len(await bot.book()) == 30
    for p in posts:
        lines = p.text.splitlines()[1:-1]
        # Each line @-mentions one member and carries her figures only; the unaffected five are nowhere.
        assert lines == [f"@{names[m]} 草莓到货不足，你订的2盒分到1盒，少的1盒退¥30" for m in p.mentions]
        assert not any(name in p.text for m, name in people if m not in p.mentions)
        assert "共" not in p.text and "¥750" not in p.text
    assert [o.text for o in out if o.to == "wx_owner"][-1].startswith("✅ 草莓缺货已按「平均」处理：25人减少，共退¥750")


async def test_two_plans_confirmed_with_one_word_are_one_line_for_her(bot: Harness) -> None:
    await _closed(bot)
    await bot.say("wx_owner", "/缺货 草莓 8", room=None)
    await bot.say("wx_owner", "/缺货 砂糖橘 0", room=None)
    bot.take()
    await bot.say("wx_owner", "确认", room=None)
    posts = _group_posts(bot.take())
    assert [(p.mentions, p.text.splitlines()[1:-1]) for p in posts] == [
        (("wx_zhao", "wx_wang"), ["@赵六 草莓到货不足，你订的2盒分到0盒，少的2盒退¥60",
                                  "@王五 砂糖橘到货不足，你订的1箱分到0箱，少的1箱退¥25"])]
