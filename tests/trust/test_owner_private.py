"""Nothing of the owner's in a group post: what /开团 could not read (lines, commission) and her notes
about costs go to her privately, wherever she typed it; her notes for members (备注, 温馨提示, 付款方式,
产地 …) are the campaign's description, posted as she wrote them, and never products."""

from __future__ import annotations

import pytest

from tests.harness import Harness

OPEN = ("/开团 周六水果团\n草莓 30元/盒\n备注 进价20，赚10块\n温馨提示：坏果包赔，当天反馈\n付款方式：群收款，取货时付\n"
        "产地 辽宁丹东\n佣金 15个点\n新鲜苹果\n截单 11-21 20:00")


@pytest.mark.parametrize("room", ["r1", None])
async def test_what_she_must_fix_and_her_costs_reach_her_alone(bot: Harness, room: str | None) -> None:
    await bot.say("wx_owner", OPEN, room=room)
    posts = "\n".join(bot.texts())
    for secret in ("进价", "赚10块", "佣金", "15个点", "新鲜苹果", "没看懂"):
        assert secret not in posts
    (private,) = [t for t in bot.private() if "没看懂" in t]
    assert "佣金看不懂：15个点" in private and "这行没有价格：新鲜苹果" in private
    assert "· 备注 进价20，赚10块" in private and "没有发到群里" in private
    # Her notes for members, as she wrote them, in the announcement.
    announce = bot.texts()[0]
    assert "温馨提示：坏果包赔，当天反馈\n付款方式：群收款，取货时付\n产地 辽宁丹东" in announce


async def test_notes_are_never_products(bot: Harness) -> None:
    await bot.say("wx_owner", OPEN)
    campaign = await bot.svc.campaigns.open_in("r1")
    assert campaign is not None
    assert [p.name for p in await bot.svc.campaigns.products(campaign.id)] == ["草莓"]
    assert campaign.description.startswith("温馨提示：坏果包赔")
    await bot.say("wx_li", "温馨提示1份")  # nothing named 温馨提示 to order: 草莓, its only product
    await bot.settle()
    assert await bot.book() == {("wx_li", "草莓"): 1}


async def test_a_planned_opening_keeps_her_notes_and_her_costs_private(bot: Harness) -> None:
    await bot.say("wx_owner", "/定时开团 明天 8:00 周日团\n草莓 30元/盒\n备注 成本25\n温馨提示：自带袋子")
    assert "成本25" in bot.private()[-1]
    await bot.wait(24 * 3600)
    posts = "\n".join(bot.texts())
    assert "温馨提示：自带袋子" in posts and "成本" not in posts
