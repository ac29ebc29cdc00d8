"""Templates on a budget, off the event loop: a group's own template (/话术 设置, by its owner, an admin
or a partner) renders in a worker process, bounded in CPU time, memory and output, with range,
repetition, padding and recursion capped. Over budget or failing, it is refused when saved, with the
reason; on real data, the built-in text is used and the owner told privately, once — the bot never
stops answering, never crashes at the close, never rolls an order back because of a template."""

from __future__ import annotations

import pytest

from bot.render.sandbox import shared_worker
from bot.render.templates import Templates
from tests.harness import Harness, OpenBot

NESTED = ("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
          "{% endfor %}{% endfor %}{% endfor %}x")
RUNAWAY_ON_REAL_DATA = "{% if entries|length > 1 %}" + NESTED + "{% endif %}收到{{ entries|length }}条"


@pytest.mark.parametrize(("source", "why"), [
    (NESTED, "TimeoutError: 渲染超过200毫秒"),
    ("{{ 'x'|center(3000000) }}", "数字太大：3000000"),
    ("{{ text.ljust(10000000) }}", "数字太大：10000000"),
    ("{{ '%9999999s' % text }}", "格式宽度太大"),
    ("{{ range(100000)|list|length }}", "range 太大：最多1000个"),
    ("{{ 'a' * 50000000 }}", "重复太多"),
    ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "调用套得太深"),
    ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
     "Error"),
    ("{% for i in range(500) %}{{ text }}{% endfor %}", "输出太长"),
    ("{{ text.__class__ }}", "SecurityError"),
    ("{{ nothing_here }}", "UndefinedError"),
])
async def test_a_template_over_budget_is_refused_with_the_reason(bot: Harness, source: str, why: str) -> None:
    await bot.say("wx_owner", f"/话术 设置 互动\n{source}")
    refusal = bot.private()[-1]
    assert refusal.startswith("这段话术没有保存，用示例数据试了一下出错：") and why in refusal, refusal
    assert bot.svc.templates.override("r1", "interaction") is None
    # The bot answers the next message at once.
    await bot.say("wx_zhang", "/帮助")
    assert bot.texts()[-1].startswith("🤖 接龙团购助手")


def test_a_runaway_is_stopped_and_the_next_render_gets_a_fresh_worker() -> None:
    templates = Templates()
    assert templates.check("interaction", NESTED) == "TimeoutError: 渲染超过200毫秒"
    # A killed or interrupted worker costs the next render nothing it can see.
    assert templates.check("interaction", "{{ text }}好") is None


async def test_a_runaway_on_real_data_falls_back_once_and_the_owner_hears_once(open_bot: OpenBot) -> None:
    bot = await open_bot()
    await bot.say("wx_owner", "/话术 设置 确认\n" + RUNAWAY_ON_REAL_DATA)
    assert bot.private()[-1] == "✅ 已保存本群的【确认】话术。"
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
    await bot.say("wx_zhang", "草莓1盒", after=1)
    await bot.say("wx_li", "草莓2盒", after=1)
    await bot.settle()
    # Two in one batch: her template runs away; the members get the built-in acknowledgement.
    assert bot.texts()[-1] == "@张三 已记录：草莓×1，共¥30\n@李四 已记录：草莓×2，共¥60"
    told = [t for t in bot.private() if "话术用真实数据出错了" in t]
    assert len(told) == 1 and "【确认】" in told[0] and "TimeoutError" in told[0]
    # From now on the built-in one, without trying hers again; a restart keeps it so.
    started = shared_worker().started
    await bot.say("wx_wang", "草莓1盒")
    await bot.say("wx_zhao", "草莓1盒", after=1)
    await bot.settle()
    assert bot.texts()[-1] == "@王五 已记录：草莓×1，共¥30\n@赵六 已记录：草莓×1，共¥30"
    assert shared_worker().started == started
    assert len([t for t in bot.private() if "话术用真实数据出错了" in t]) == 1
    await bot.close()
    again = await open_bot()  # a restart, on the same database
    assert again.svc.templates.broken("r1", "acks") is not None
    # Setting it again (fixed) makes it hers again.
    again.now = bot.now
    await again.say("wx_owner", "/话术 设置 确认\n收到{{ entries|length }}条", msg_id="fixed")
    assert again.svc.templates.broken("r1", "acks") is None


async def test_a_template_failing_at_the_close_never_stops_the_close(bot: Harness) -> None:
    # Fine on the sample (8 buyers); recursion with one real buyer: it crashed the close job at every start.
    closed = ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}"
              "{% if buyers < 5 %}{{ f(1) }}{% endif %}截单了，{{ buyers }}人")
    await bot.say("wx_owner", "/话术 设置 截单\n" + closed)
    assert bot.private()[-1] == "✅ 已保存本群的【截单】话术。"
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n截单 今天 09:00")
    await bot.say("wx_zhang", "草莓1盒")
    await bot.wait(3600)
    campaign = await bot.svc.campaigns.latest_in("r1")
    assert campaign is not None and campaign.status == "closed"
    assert any(t.startswith("✂️ 「周六水果团」已截单") for t in bot.texts())
    assert any("【截单】话术用真实数据出错了" in t for t in bot.private())
    await bot.say("wx_li", "草莓1盒")  # the bot still answers: a late order is refused politely
    await bot.settle()
    assert "已截单" in bot.texts()[-1]


async def test_a_failing_template_never_rolls_an_order_back(bot: Harness) -> None:
    await bot.say("wx_owner", "/话术 设置 成团\n{% if have < 5 %}{{ none_such }}{% endif %}成团啦")
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n成团 1人")
    await bot.say("wx_zhang", "草莓2盒")  # reaches 成团: her template fails on it
    await bot.say("wx_li", "草莓1盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_li", "草莓"): 1}
    assert any(t.startswith("🎉") and "成团" in t for t in bot.texts())


async def test_output_that_grows_with_real_data_falls_back(bot: Harness) -> None:
    await bot.say("wx_owner", "/话术 设置 确认\n{{ entries|map(attribute='text')|join('') * (entries|length * 150) }}")
    assert bot.private()[-1] == "✅ 已保存本群的【确认】话术。"
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒")
    for member in ("wx_zhang", "wx_li", "wx_wang"):
        await bot.say(member, "草莓1盒", after=1)
    await bot.settle()
    assert all(len(t) < 200 for t in bot.texts())
    assert any("输出太长" in t for t in bot.private())


async def test_a_group_template_never_sees_the_owners_commission(bot: Harness) -> None:
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    await bot.say("wx_li", "/话术 设置 开团\n{{ campaign.title }} {{ campaign.commission_bp }} {{ products[0].commission_bp }}")
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒 佣金5%\n佣金 15%")
    assert bot.texts()[0] == "周六水果团 None None"
