"""Help that teaches: members see what members can do; the owner sees her commands by task with a
worked /开团 using every kind of line, and /帮助 开团 explains each line — all from the commands' own
metadata."""

from __future__ import annotations

from bot.parsing.campaign_spec import OPEN_LINES
from tests.harness import Harness

OWNER_ONLY = ("/开团", "/截单", "/待确认", "/确认", "/问答", "/已付", "/改价", "/群", "/日报")


async def test_a_members_help_shows_only_what_members_can_do(bot: Harness) -> None:
    await bot.say("wx_zhang", "/帮助")
    text = bot.texts()[-1]
    assert text.startswith("🤖 接龙团购助手\n怎么下单：") and "我的订单" in text and "草莓2盒" in text
    assert not any(command in text for command in OWNER_ONLY)
    await bot.say("wx_zhang", "/帮助", room=None)
    assert bot.private("wx_zhang")[-1] == text
    # A member asking about an owner's command learns what she can do instead.
    await bot.say("wx_zhang", "/帮助 开团")
    assert bot.texts()[-1] == text


async def test_the_owners_help_is_by_task_with_a_worked_opening(bot: Harness) -> None:
    await bot.say("wx_owner", "/帮助")
    text = bot.private()[-1]
    titles = [line[:-1] for line in text.split("\n") if line.endswith("：") and not line.startswith("·")]
    assert titles[:7] == ["开团、截单与汇总", "改团（进行中）", "核对和改订单", "到货与取货", "收款", "缺货与售后",
                          "质量问答"]
    assert all(command in text for command in (*OWNER_ONLY, "/加库存", "/下架", "/核销", "/改单"))
    worked = text.split("看每一行的意思）：\n", 1)[1]
    assert worked.split("\n") == [line for line, _ in OPEN_LINES]
    assert bot.texts() == []  # the group hears nothing of it


async def test_help_for_open_explains_each_kind_of_line(bot: Harness) -> None:
    await bot.say("wx_owner", "/帮助 开团")
    text = bot.private()[-1]
    assert text.startswith("📖 /开团：")
    for example, meaning in OPEN_LINES:
        assert f"{example}\n  ↳ {meaning}" in text
    await bot.say("wx_owner", "/帮助 改价")
    assert bot.private()[-1] == "📖 /改价：草莓 35 新价格（已下单的保持原价；末尾加「全部」都按新价）"


async def test_the_worked_opening_opens_with_every_line_read(bot: Harness) -> None:
    """The example in the help is a real /开团: sent as it is, every line is taken, none is a problem."""
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", "\n".join(line for line, _ in OPEN_LINES), room=None)
    (announce, _list) = bot.texts("r1")
    assert "没看懂" not in announce and bot.texts("r2")[0] == announce
    part = await bot.svc.campaigns.open_in("r2")
    assert part is not None and part.drop_id is not None
    assert (part.close_at is not None, part.pickup, part.min_buyers, part.commission_bp) == (
        True, "东门快递柜 11-22 09:00-12:00", 10, 1000)
    products = await bot.svc.campaigns.products(part.id)
    assert [(p.code, p.name, p.price_cents, p.stock, p.per_member_limit, p.commission_bp) for p in products] == [
        ("A", "丹东草莓", 3000, 50, 3, None), ("B", "砂糖橘", 2500, None, 2, 500)]
    assert await bot.svc.hype.broadcast(part.id) is not None
    assert [q.question for q in await bot.svc.qa.pairs("r1")] == ["草莓甜吗"]
