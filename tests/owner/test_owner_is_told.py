"""She is told, once and privately, when anything of hers fails or needs her; members left on the
waitlist at the close are told in one gathered message."""

from __future__ import annotations

from tests.harness import Harness

# Works on the sample data /话术 tries it on (its campaign has a pickup point), fails on a campaign
# opened without one.
PICKUP_UPPER = "{{ campaign.pickup.upper() }} 截单啦"


async def test_a_template_failing_on_real_data_is_told_once_with_what_was_posted(bot: Harness) -> None:
    await bot.say("wx_owner", f"/话术 设置 截单\n{PICKUP_UPPER}")
    assert bot.private()[-1] == "✅ 已保存本群的【截单】话术。"
    private: list[str] = []
    for title in ("第一团", "第二团"):
        await bot.say("wx_owner", f"/开团 {title}\n草莓 30元/盒")
        bot.take()
        await bot.say("wx_owner", "/截单")
        # The group still hears the close, in the default words.
        assert any(t.startswith(f"✂️ 「{title}」已截单") for t in bot.texts())
        private += bot.private()
    told = [t for t in private if "话术用真实数据出错了" in t]
    assert len(told) == 1  # once, not at every close
    assert told[0].startswith("⚠️ 「阳光花园水果团购群」的【截单】话术用真实数据出错了（")
    assert "这次用默认文字发出了" in told[0] and "/话术 恢复 截单" in told[0]


async def test_a_hype_post_whose_template_fails_goes_out_in_the_default_words_and_she_hears_it(
        bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 30元/盒")
    await bot.say("wx_owner", "/话术 设置 预告\n{{ live.products[1].name }} 来啦")  # one product here, two in samples
    await bot.say("wx_owner", "/预告 30分钟后")
    bot.take()
    await bot.wait(31 * 60)
    # Issue 20: a template failing on real data falls back to the built-in one (bot/render/templates.py).
    assert not any("来啦" in t for t in bot.texts()) and any(t.startswith("📣") for t in bot.texts())
    (told,) = bot.private()
    assert told.startswith("⚠️ 「阳光花园水果团购群」的【预告】话术用真实数据出错了（") and "这次用默认文字发出了" in told


async def test_a_planned_opening_that_cannot_open_is_told_to_whoever_planned_it(bot: Harness) -> None:
    await bot.say("wx_owner", "/定时开团 今天 9:00 周五团\n草莓 30元/盒")
    await bot.say("wx_owner", "/开团 急用团\n砂糖橘 25元/箱")  # still open at 9:00
    bot.take()
    await bot.wait(3600)
    (told,) = bot.private()
    assert told.startswith("⏰ 计划 #1（开团）11月20日 09:00 没有执行：「急用团」还在进行中")
    assert not any("周五团" in t for t in bot.texts())


async def test_members_still_waiting_at_the_close_hear_it_in_one_message(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 周六团\n草莓 30元/盒 限量2\n砂糖橘 25元/箱 限量1")
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_li", "草莓1盒 砂糖橘1箱")  # gets 砂糖橘, waits for 草莓
    await bot.say("wx_wang", "草莓3盒 砂糖橘1箱")  # gets nothing
    await bot.settle()
    bot.take()
    await bot.say("wx_owner", "/截单")
    (notice,) = [o for o in bot.take() if o.room_id and o.text.startswith("😔")]
    assert notice.text == ("😔 「周六团」已截单，这些候补没有轮到，这次没买到，抱歉：\n"
                           "@李四 候补的草莓×1\n@王五 候补的草莓×3、砂糖橘×1")
    assert notice.mentions == ("wx_li", "wx_wang")
