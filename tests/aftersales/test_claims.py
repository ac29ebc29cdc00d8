"""售后: a member's report of a problem is a claim for the owner, never an order; /售后 settles it."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.models import MessageKind
from bot.render.xlsx_export import write_exports
from tests.harness import FRUIT, Harness


async def _delivered(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", "草莓3盒")
    await bot.say("wx_li", "砂糖橘2箱")
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/到货")
    await bot.settle()
    bot.take()


async def test_a_report_opens_a_claim_the_owner_gets_with_its_number(bot: Harness) -> None:
    await _delivered(bot)
    await bot.say("wx_zhang", "", kind=MessageKind.IMAGE, msg_id="pic1")
    await bot.say("wx_zhang", "草莓有两盒烂了")
    out = bot.take()
    assert [(o.room_id, o.mentions, o.text) for o in out if o.room_id] == [
        ("r1", ("wx_zhang",), "@张三 收到，已转给团长处理（售后 #1），处理好会告诉你。")]
    (owner,) = [o.text for o in out if o.to == "wx_owner"]
    assert owner.splitlines()[:4] == [
        "🧾 售后 #1（周六水果团）",
        "张三：草莓2盒坏了（她收到3盒，¥30/盒）",
        "原话：「草莓有两盒烂了」",
        "📷 有图：11月20日 08:05 发的图片（消息 pic1）",  # after the acknowledgements went out
    ]
    assert await bot.book() == {("wx_zhang", "草莓"): 3, ("wx_li", "砂糖橘"): 2}  # not an order


async def test_refund_units_at_the_price_paid_never_more_than_the_line(bot: Harness) -> None:
    await _delivered(bot)
    await bot.say("wx_zhang", "草莓有两盒烂了")
    bot.take()
    await bot.say("wx_owner", "/售后 1 退 4", room=None)
    assert bot.private()[-1] == "没有退：张三的草莓收到3盒，最多还能退3盒（¥90）。"
    await bot.say("wx_owner", "/售后 1 退 ¥100", room=None)
    assert bot.private()[-1] == "没有退：¥100超过她这行付的钱，最多还能退¥90。"
    bot.take()
    await bot.say("wx_owner", "/售后 1 退 2", room=None)
    out = bot.take()
    assert [(o.room_id, o.mentions, o.text) for o in out if o.room_id] == [
        ("r1", ("wx_zhang",), "@张三 你的售后 #1（草莓2盒坏了）：团长同意退草莓2盒 ¥60（已付款的团长退给你，没付的少付）。")]
    assert [o.text for o in out if o.to == "wx_owner"] == ["✅ 售后 #1 张三：退草莓2盒 ¥60，已告诉她。退了钱发 /退款 张三"]
    await bot.say("wx_owner", "/售后 1 退 1", room=None)
    assert bot.private()[-1] == "售后 #1 已经处理过了（退¥60）。"


async def test_refuse_with_a_reason_she_hears_privately_when_she_wrote_privately(bot: Harness) -> None:
    await _delivered(bot)
    await bot.say("wx_li", "漏发了一箱砂糖橘", room=None)
    assert bot.private("wx_li")[-1] == "收到，已转给团长处理（售后 #1），处理好会告诉你。"
    await bot.say("wx_owner", "/售后", room=None)
    assert bot.private()[-1].splitlines()[:2] == ["🧾 待处理的售后（1条）：",
                                                 "#1 李四：砂糖橘1箱少了（11月20日 08:05）「漏发了一箱砂糖橘」"]
    await bot.say("wx_owner", "/售后 1 拒绝 监控里看到你拿了两箱", room=None)
    assert bot.private("wx_li")[-1] == "你的售后 #1（砂糖橘1箱少了）团长的答复：监控里看到你拿了两箱"
    assert bot.texts() == [t for t in bot.texts() if "售后" not in t]  # nothing of it in the group


async def test_not_claims_questions_negations_and_admins(bot: Harness) -> None:
    await _delivered(bot)
    for text in ["坏了怎么办？", "草莓会不会坏", "一个都没烂，好评", "今天人少了"]:
        await bot.say("wx_zhang", text)
    await bot.say("wx_owner", "草莓有两盒烂了")  # the owner tells the group: not a claim
    assert all("售后" not in o.text for o in bot.take())


async def test_after_the_window_she_is_told_to_ask_the_owner(bot: Harness) -> None:
    await _delivered(bot)
    await bot.say("wx_owner", "/售后 时限 24", room=None)
    assert bot.private()[-1] == "✅ 你的1个群的售后时限：取货后24小时内可以报。"
    await bot.wait(25 * 3600)
    await bot.say("wx_zhang", "草莓有两盒烂了")
    assert bot.texts()[-1] == "@张三 「周六水果团」取货已超过24小时的售后时限，没有登记；有问题请直接私聊团长。"


async def test_replacement_is_noted_for_her_next_pickup(bot: Harness) -> None:
    await _delivered(bot)
    await bot.say("wx_zhang", "少了一盒草莓")
    await bot.say("wx_owner", "/售后 1 补发", room=None)
    assert bot.texts()[-1] == "@张三 你的售后 #1（草莓1盒少了）：团长会在下次取货时补给你草莓1盒。"
    await bot.say("wx_owner", "/售后", room=None)
    assert bot.private()[-1] == "待补发（下次取货时给她）：\n#1 张三：草莓1盒"


async def test_a_replacement_is_on_the_next_packing_list_until_she_collects(bot: Harness, tmp_path: Path) -> None:
    await _delivered(bot)
    await bot.say("wx_zhang", "少了一盒草莓")
    await bot.say("wx_owner", "/售后 1 补发", room=None)
    await bot.say("wx_owner", "/开团 下周水果团\n草莓 32元/盒\n自提 东门快递柜")
    await bot.say("wx_li", "草莓1盒")  # 张三 orders nothing this time: she still gets her box
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/到货")
    path = await write_exports(bot.db, 2, tmp_path, bot.now)
    sheet = list(load_workbook(path)["分拣单"].iter_rows(values_only=True))
    head = sheet[0]
    notes = {r[head.index("昵称")]: r[head.index("备注")] for r in sheet[1:-1]}
    assert notes == {"李四": None, "张三": "补发：草莓×1盒（售后#1）"}
    await bot.say("wx_owner", "/售后", room=None)
    assert "#1 张三：草莓1盒" in bot.private()[-1]
    await bot.say("wx_owner", "/售后 1 已补发", room=None)  # she had no order to collect: the owner says so
    assert bot.private()[-1] == "✅ 售后 #1 张三：补发已交给她。"
    await bot.say("wx_owner", "/售后", room=None)
    assert bot.private()[-1] == "没有待处理的售后。"
