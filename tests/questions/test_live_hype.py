"""Hype from live figures: sold-out news, 跟团播报, and the figures the scheduled posts show."""

from __future__ import annotations

from tests.harness import Harness

LIMITED = "/开团 草莓团\n草莓 30元/盒 限量3\n砂糖橘 25元/箱\n截单 11-20 20:00"


def private(bot: Harness, to: str = "wx_owner") -> list[str]:
    return [o.text for _, o in bot.transport.sent if o.to == to]


async def test_a_sold_out_product_is_announced_once_and_again_when_stock_frees_up(bot: Harness) -> None:
    await bot.say("wx_owner", LIMITED)
    await bot.say("wx_zhang", "草莓2盒")
    assert not any("抢完" in t for t in bot.texts())
    await bot.say("wx_li", "草莓1盒")
    sold_out = "🔥 草莓已抢完，再下单的已登记候补，有人退单按顺序补上～"
    assert bot.texts().count(sold_out) == 1
    assert private(bot) == ["🔔 「草莓团」草莓已抢完（限量3盒），之后下单的登记候补；/汇总 查看。"]
    await bot.say("wx_wang", "草莓1盒")  # waitlisted: no second announcement
    await bot.say("wx_zhao", "砂糖橘2箱")
    assert bot.texts().count(sold_out) == 1
    await bot.say("wx_li", "草莓不要了")  # frees 1: 王五 waited for it first (issue 10), so it is not back on sale
    assert not any("又有" in t for t in bot.texts())
    await bot.say("wx_zhao", "草莓1盒")
    assert bot.texts().count(sold_out) == 1
    assert len(private(bot)) == 1
    await bot.settle()
    book = await bot.book()
    assert book[("wx_zhang", "草莓")] == 2 and book[("wx_wang", "草莓")] == 1 and ("wx_zhao", "草莓") not in book
    # With nobody waiting, freed stock is back on sale and announced.
    await bot.say("wx_zhao", "草莓不要了")
    await bot.say("wx_wang", "草莓不要了")
    assert bot.texts()[-1] == "✨ 草莓又有1盒了，想要的抓紧～"


async def test_follow_broadcast_every_n_buyers_only_when_enabled(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒 限量10\n截单 11-20 20:00\n播报 每2单")
    await bot.say("wx_zhang", "草莓2盒")
    assert not any("跟团" in t for t in bot.texts())
    await bot.say("wx_li", "草莓1盒")
    assert bot.texts()[-1] == "📣 「草莓团」已有2人跟团！\n· 草莓 已订3盒，仅剩7盒\n⏰ 还有11小时59分钟截单，手慢无～"
    await bot.say("wx_li", "草莓3盒")  # a change, not a new buyer
    await bot.say("wx_wang", "草莓1盒")
    assert sum("跟团！" in t for t in bot.texts()) == 1
    await bot.say("wx_zhao", "草莓1盒")
    assert sum("跟团！" in t for t in bot.texts()) == 2
    assert bot.texts()[-1].startswith("📣 「草莓团」已有4人跟团！\n· 草莓 已订7盒，仅剩3盒")


async def test_no_broadcast_by_default(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒")
    for member in ("wx_zhang", "wx_li", "wx_wang", "wx_zhao"):
        await bot.say(member, "草莓1盒")
    await bot.settle()
    assert not any("跟团" in t for t in bot.texts())


async def test_owner_templates_get_live_figures_and_see_them_documented(bot: Harness) -> None:
    await bot.say("wx_owner", "/话术 查看 提醒")
    shown = bot.private()[-1]
    assert "可用变量：" in shown and "live.buyers" in shown and ".left 剩余" in shown
    await bot.say("wx_owner", "/话术 设置 预告\n{% if live %}已有{{ live.buyers }}人跟团，{% for p in live.products %}"
                              "{{ p.name }}剩{{ p.left }}{% endfor %}{% else %}明天开团{% endif %}")
    assert bot.private()[-1] == "✅ 已保存本群的【预告】话术。"
    await bot.say("wx_owner", "/预告 30分钟后")
    await bot.wait(31 * 60)
    assert bot.texts()[-1] == "明天开团"
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒 限量5")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_owner", "/预告 30分钟后")
    await bot.wait(31 * 60)
    assert bot.texts()[-1] == "已有1人跟团，草莓剩3"


async def test_a_broken_broadcast_template_skips_the_post_not_the_order(bot: Harness) -> None:
    await bot.say("wx_owner", "/话术 设置 播报\n{{ live.products[1].name }}也火了")
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒\n播报 每1单")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.settle()
    assert not any("也火了" in t for t in bot.texts())
    assert (await bot.book())[("wx_zhang", "草莓")] == 2


async def test_broadcast_at_set_times_is_skipped_when_nothing_changed(bot: Harness) -> None:
    # START is 11-20 08:00.
    await bot.say("wx_owner", "/开团 草莓团\n草莓 30元/盒 限量10\n截单 11-20 20:00\n播报 10:00 12:00 14:00")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.wait(2 * 3600)  # 10:00
    broadcasts = [t for t in bot.texts() if "跟团！" in t]
    assert broadcasts == ["📣 「草莓团」已有1人跟团！\n· 草莓 已订2盒，仅剩8盒\n⏰ 还有10小时截单，手慢无～"]
    await bot.wait(2 * 3600)  # 12:00: nothing changed, nothing posted
    assert sum("跟团！" in t for t in bot.texts()) == 1
    await bot.say("wx_li", "草莓3盒")
    await bot.wait(2 * 3600)  # 14:00
    assert bot.texts()[-1].startswith("📣 「草莓团」已有2人跟团！\n· 草莓 已订5盒，仅剩5盒")


def test_broadcast_lines_are_read_and_a_product_named_like_one_stays_a_product() -> None:
    from bot.parsing.campaign_spec import parse_open_command
    from tests.harness import START

    spec = parse_open_command("团\n草莓 30元/盒\n播报 12:00，18:00\n播报机 10元", START)
    assert spec.broadcast_at == ("12:00", "18:00")
    assert [p.name for p in spec.products] == ["草莓", "播报机"]
    assert spec.broadcast_every is None and spec.problems == ()
