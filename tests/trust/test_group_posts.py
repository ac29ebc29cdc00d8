"""Nothing of the owner's in a group post, by construction: a long scenario — a drop in two groups
with commission, a partner, notes about her costs, an admin's templates trying to print everything
they are given, orders, a sell-out, 成团, 播报, questions, the close, arrival, pickups, payments,
reminders, her statistics and workbook — and every message the bot posts in a group is checked
against her money: commission, costs, the drop's totals, partners' shares, debts and statistics."""

from __future__ import annotations

import re

from bot.models import Outgoing
from tests.harness import Harness, copy

OPEN = ("/开团 周六水果团\n群 全部\n草莓 30元/盒 限量6 佣金5%\n砂糖橘 25元/箱\n佣金 15%\n成团 3人\n播报 每2单\n"
        "备注 进价18，每盒赚12块\n温馨提示：坏果包赔\n佣金 二十个点\n问 草莓甜吗 答 丹东99，不甜包退\n"
        "截单 11-20 20:00\n自提 东门快递柜")
# An admin's templates, each printing whatever the bot gives it.
TEMPLATES = {
    "开团": "{{ campaign }} {{ products }}",
    "接龙": "#接龙\n{{ campaign }}\n{{ prices }}\n{% for l in lines %}{{ l }}\n{% endfor %}",
    "确认": "{{ entries }}",
    "成团": "{{ campaign }} {{ have }}/{{ need }}",
    "售罄": "{{ product }} {{ campaign }}",
    "播报": "{{ live }} {{ campaign }}",
    "截单": "{{ campaign }} {{ totals }} {{ buyers }}",
    "到货": "{{ campaign }} {{ entries }} {{ place }}",
    "取货提醒": "{{ campaign }} {{ entries }}",
}
SECRETS = ["佣金", "commission_bp=1500", "commission_bp=500", "进价", "赚", "二十个点", "合计", "分润", "合伙人",
           "未付", "还差", "应付", "已付", "复购", "人均", "¥22", "¥27", "¥41"]


def _money_in(texts: list[str]) -> set[str]:
    return {m for t in texts for m in re.findall(r"¥\d+(?:\.\d+)?", t)}


async def test_no_group_post_carries_the_owners_money(bot: Harness) -> None:
    await bot.svc.rooms.upsert_room("r1", "锦绣1群", "wx_owner")
    await bot.room("r2")
    await bot.svc.rooms.upsert_room("r2", "锦绣2群", "wx_owner")
    await bot.say("wx_owner", "/管理员 添加 @李四", mentions=("wx_li",))
    await bot.say("wx_owner", "/合伙人 添加 @王五 佣金10%", room="r2", mentions=("wx_wang",))
    for kind, text in TEMPLATES.items():
        await bot.say("wx_li", f"/话术 设置 {kind}\n{text}")
        assert bot.private("wx_li")[-1].startswith("✅"), bot.private("wx_li")[-1]
    await bot.say("wx_owner", OPEN, room=None)
    # Orders in both groups: copies, plain, a sell-out and a waitlist, 成团, 播报.
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_zhao", copy("3-502 张三 草莓2盒", "5-101 赵六 13800138000 草莓3盒 砂糖橘1箱"))
    await bot.say("wx_zhang", "草莓甜吗？", room="r2")
    await bot.say("wx_li", "草莓2盒", room="r2")
    await bot.say("wx_wang", "砂糖橘2箱", room="r2")
    await bot.say("wx_zhao", "草莓不要了")  # frees stock for the waitlist
    await bot.say("wx_zhang", "几号到货？")
    await bot.settle()
    # Her own figures, privately, as the scenario goes.
    await bot.say("wx_owner", "/汇总", room=None)
    await bot.say("wx_owner", "/统计", room="r1")
    await bot.say("wx_owner", "/问答 回复 1 周日到", room=None)
    await bot.wait(12 * 3600)  # the reminder, then the close at 20:00
    await bot.say("wx_owner", "/到货 东门快递柜 明天 9:00", room=None)
    await bot.say("wx_owner", "/核销 101", room="r1")
    await bot.say("wx_owner", "/已付 @张三 30", room="r1", mentions=("wx_zhang",))
    await bot.say("wx_owner", "/未付", room="r1")
    await bot.say("wx_owner", "/提醒取货", room="r1")
    await bot.say("wx_owner", "/导出", room=None)
    await bot.say("wx_owner", "/日报 21:00", room=None)
    await bot.wait(24 * 3600)
    await bot.say("wx_zhang", "我的订单")
    await bot.say("wx_wang", "/汇总", room="r2")
    await bot.settle()

    sent: list[Outgoing] = [o for _, o in bot.transport.sent]
    posts = [o.text for o in sent if o.room_id is not None]
    private = [o.text for o in sent if o.room_id is None and o.to == "wx_owner"]
    assert len(posts) > 20 and any("已截单" in t for t in posts) and any("取货码" in t for t in posts)
    assert any("佣金：¥" in t for t in private) and any("合伙人分润" in t for t in private)
    assert any("复购率" in t for t in private) and any("未付" in t for t in private)
    # Her totals and the commission, as she was told them privately, never in a group.
    figures = {m for t in private if t.startswith("📋") for m in re.findall(r"(?:合计|佣金)：(¥\d+(?:\.\d+)?)", t)}
    assert figures
    for text in posts:
        leaked = [s for s in [*SECRETS, *figures] if s in text]
        assert not leaked, f"{leaked} in a group post:\n{text}"
    assert "13800138000" not in "\n".join(posts)
    # What members need was posted as she wrote it.
    assert any("温馨提示：坏果包赔" in t or "坏果包赔" in t for t in posts) or any(
        "description='温馨提示：坏果包赔'" in t for t in posts)
    assert _money_in(posts) <= {"¥25", "¥30", "¥50", "¥60", "¥75", "¥85", "¥90", "¥115", "¥125", "¥175"} | _money_in(
        [t for t in posts if t.startswith("@")])
