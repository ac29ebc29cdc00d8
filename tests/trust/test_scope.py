"""One scope rule (bot/domain/scope.py), walked: every command, by every role, in every group and from
the private chat with every group picked, against two owners' businesses side by side.

After each command: nothing it said reveals another business, a group outside the sender's scope, or
(to anyone but the owner) her commission and her partners' shares; nothing of a group outside the
sender's scope changed; and the sender got an answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.models import Outgoing
from bot.routers import build_dispatcher
from tests.harness import Harness
from tests.two_owners import (
    ADM,
    BUYER,
    MEM,
    NAMES,
    OTHER_ORDERS,
    OWNERS,
    PAR,
    TOPICS,
    A,
    B,
    build,
    leaks,
    room_state,
    staff_rooms,
)

# Every command with the arguments (and real @-mentions) an attacker would try. A new command needs a
# line here: test_every_command_is_walked fails until it has one.
EXAMPLES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "帮助": [("", ())],
    "开团": [("新团\n草莓 10元/盒", ()), ("跨团\n群 全部\n苹果 5元/个", ()), ("跨团\n群 1 2 3\n苹果 5元/个", ()),
             ("跨团\n群 乙三群 甲一群\n苹果 5元/个", ())],
    # Changing the running drop (before it closes): a whole drop's change needs every group of it.
    "延长": [("11-23 20:00", ()), ("2群 11-23 21:00", ())],
    "加库存": [("草莓 5", ())],
    "限量": [("草莓 60", ())],
    "改价": [("草莓 40", ()), ("榴莲 999 全部", ())],
    "加商品": [("芒果 40元/箱 限量5", ())],
    "下架": [("芒果", ())],
    "别名": [("莓 = 草莓", ()), ("", ()), ("删除 莓", ())],
    # A member named without an @: only among the groups she runs.
    "改单": [("阿三乙 草莓1", ()), ("阿一甲 草莓2", ()), ("@阿二甲 草莓1", (BUYER["a2"],))],
    "删单": [("阿二甲 草莓", ()), ("阿三乙", ())],
    "截单": [("", ()), ("2群", ())],
    "汇总": [("", ()), ("1群", ()), ("2群", ()), ("3群", ())],
    "到货": [("", ()), ("北门 明天 9:00", ())],
    "核销": [("101", ()), ("102", ())],
    "已取": [("@阿三乙", (BUYER["b1"],)), ("@阿一甲", (BUYER["a1"],))],
    "未取": [("", ())],
    "提醒取货": [("", ()), ("明天 18:00", ())],
    "已付": [("@阿三乙 1", (BUYER["b1"],)), ("@阿二甲", (BUYER["a2"],)), ("阿三乙 5", ()), ("阿一甲 撤销", ()),
             ("1 1", ())],
    "未付": [("", ())],
    "统计": [("", ()), ("3650", ())],
    "导出": [("", ())],
    "预告": [("明天 8:00 攻击", ())],
    "互动": [("明天 9:00 想要的扣1", ())],
    "定时开团": [("11-25 08:00 计划团\n草莓 9元/盒", ()), ("11-25 08:00 计划团\n群 全部\n草莓 9元/盒", ()),
                 ("11-25 08:00 计划团\n群 1 2 3\n草莓 9元/盒", ())],
    "计划": [("", ())],
    "取消计划": [("1", ()), ("2", ()), ("3", ())],
    "话术": [("查看 汇总", ()), ("设置 汇总\n{{ campaign.title }} 被改了", ()), ("设置 确认\n收到{{ entries|length }}",
             ()), ("恢复 确认", ())],
    "问答": [("", ()), ("榴莲产地 = 越南", ()), ("删除 1", ()), ("回复 1 明天到", ())],
    "管理员": [("", ()), ("添加 @路人", (MEM,)), ("移除 @管管", (ADM,))],
    "合伙人": [("", ()), ("添加 @路人 佣金50%", (MEM,)), ("移除 @伙伴", (PAR,))],
    "群": [("", ()), ("1", ()), ("乙三群", ())],
    "日报": [("", ()), ("21:00", ())],
    "待确认": [("", ())],
    "确认": [("1 草莓1盒", ()), ("2 榴莲9个", ()), ("2 榴莲9个 @路人", (MEM,))],
    "忽略": [("1", ()), ("2", ())],
    "重新开团": [("", ())],
    # When the goods are not what was sold: a shortage is planned for the whole drop (its one word comes
    # privately); claims and refunds only in the groups she runs.
    "缺货": [("草莓 1", ()), ("规则 平均", ()), ("草莓 少1 手动", ())],
    "补货": [("草莓 1", ())],
    "售后": [("", ()), ("1 退 1", ()), ("1 拒绝 不行", ()), ("时限 24", ())],
    "退款": [("阿三乙", ()), ("阿一甲 5", ()), ("1", ())],
    # The pickup-day page's login link (always private), logging out, the owner's pickup cards.
    "后台": [("", ()), ("退出", ()), ("二维码 开", ()), ("二维码 关", ())],
}


def test_every_command_is_walked() -> None:
    names = {cmd.names[0] for cmd in build_dispatcher().commands}
    assert names == set(EXAMPLES)


PLACES: list[tuple[str | None, str | None]] = [("a1", None), ("a2", None), ("b1", None), (None, None),
                                               (None, "1"), (None, "2"), (None, "3")]


def _seen(said: list[Outgoing], hidden: set[str]) -> list[tuple[str | None, str | None, str]]:
    """What was said, less what went into (or to the owner of) a group she does not run."""
    owners = {OWNERS[r] for r in hidden}
    return [(o.room_id, o.to, o.text) for o in said if o.room_id not in hidden and o.to not in owners]


@pytest.mark.slow
@pytest.mark.parametrize("who", [A, B, ADM, PAR, MEM])
async def test_every_command_stays_in_the_senders_scope(tmp_path: Path, who: str) -> None:
    """Two worlds that differ only in the orders of the groups she does not run: every command she
    gives says exactly the same in both (non-interference), and in the first one nothing it says
    names another group's or business's figures, or the owner's commission to anyone else."""
    one = await Harness.create(tmp_path / "one.sqlite")
    two = await Harness.create(tmp_path / "two.sqlite")
    try:
        await build(one)
        hidden = set(TOPICS) - await staff_rooms(one.db, who)
        await build(two, {room: OTHER_ORDERS[room] for room in hidden})
        typed = ""  # what she wrote herself may be quoted back to her
        for room, pick in PLACES:
            if pick is not None:
                for bot in (one, two):
                    await bot.say(who, f"/群 {pick}", room=None, name=NAMES[who])
                    bot.take()
            for name, examples in EXAMPLES.items():
                for args, mentions in examples:
                    text = f"/{name} {args}".rstrip()
                    typed += text
                    where = f"{NAMES[who]} in {room or 'private (picked ' + str(pick) + ')'}: {text!r}"
                    runs = await staff_rooms(one.db, who)
                    before = {r: await room_state(one.db, r) for r in TOPICS if r not in runs}
                    said = []
                    for bot in (one, two):
                        await bot.say(who, text, room=room, mentions=mentions, name=NAMES[who])
                        await bot.settle()
                        said.append(bot.take())
                    assert [o for o in said[0] if o.to == who or (room is not None and o.room_id == room)], \
                        f"{where} got no answer"
                    assert _seen(said[0], hidden) == _seen(said[1], hidden), f"{where} depends on others' orders"
                    for out in said[0]:
                        assert not await leaks(one.db, out, typed), f"{where} -> {out}"
                    for r, state in before.items():
                        assert await room_state(one.db, r) == state, f"{where} changed {r}, not hers"
    finally:
        await one.close()
        await two.close()


async def test_statistics_count_only_her_own_groups(bot: Harness) -> None:
    await build(bot)
    await bot.say(B, "/统计", room="b1")
    (stats,) = bot.private(B)
    # 乙's one group, her own ¥888: not 甲's ¥185 in two other groups.
    assert stats.split("\n")[1] == "本群：1个团，1人下单，1单，¥888，人均¥888，复购率0%"
    assert "全部" not in stats
    await bot.say(ADM, "/统计", room="a1")
    assert bot.private(ADM)[-1].split("\n")[1:] == ["本群：1个团，1人下单，1单，¥74，人均¥74，复购率0%"]
    await bot.say(A, "/统计", room="a1")
    assert bot.private(A)[-1].split("\n")[1:] == ["甲一群：1个团，1人下单，1单，¥74，人均¥74，复购率0%",
                                                 "甲二群：1个团，1人下单，1单，¥111，人均¥111，复购率0%",
                                                 "全部2个群：1个团，2人下单，2单，¥185，人均¥92.50，复购率0%"]


async def test_a_drop_never_spans_two_owners(bot: Harness) -> None:
    await build(bot)
    await bot.say(A, "/截单", room=None)
    await bot.say(B, "/截单", room="b1")
    bot.take()
    # 管管 runs 甲一群 for 甲 and 乙三群 for 乙: she cannot sell one stock in both.
    await bot.say(ADM, "/开团 合并团\n群 甲一群 乙三群\n苹果 5元/个 限量3", room=None)
    assert bot.private(ADM)[-1].startswith("没有开团：「乙三群」不在你能一起开团的群里")
    await bot.say(ADM, "/开团 合并团\n群 全部\n苹果 5元/个 限量3", room="b1")
    assert [await bot.svc.campaigns.open_in(r) is not None for r in TOPICS] == [False, False, True]
    opened = await bot.svc.campaigns.open_in("b1")
    assert opened is not None and opened.drop_id is None  # 群 全部 in 乙's group: 乙's groups she runs


async def test_admins_and_partners_never_see_the_owners_commission_or_others_shares(bot: Harness) -> None:
    await bot.say("wx_owner", "/合伙人 添加 @李四 佣金10%", mentions=("wx_li",))
    await bot.say("wx_owner", "/合伙人 添加 @王五 佣金5%", mentions=("wx_wang",))
    await bot.say("wx_owner", "/管理员 添加 @赵六", mentions=("wx_zhao",))
    await bot.say("wx_owner", "/开团 周六水果团\n草莓 30元/盒\n佣金 15%")
    await bot.say("wx_zhang", "草莓4盒")
    await bot.settle()
    bot.take()
    await bot.say("wx_zhao", "/汇总")
    assert "合计：¥120" in bot.private("wx_zhao")[-1] and "佣金" not in bot.private("wx_zhao")[-1]
    # The partner closes: she gets her group's totals and her own share, never 王五's nor the commission.
    await bot.say("wx_li", "/截单")
    mine = bot.private("wx_li")[-1]
    assert "合计：¥120" in mine and mine.endswith("你的分润（10%）：¥12")
    assert "佣金" not in mine and "王五" not in mine and "合伙人分润" not in mine
    owner = bot.private("wx_owner")[-1]
    assert "佣金：¥18" in owner and "· 王五（阳光花园水果团购群，5%）：销售额¥120，分润¥6" in owner
    # Her workbook: the group's orders, without the commission columns or another partner's share.
    await bot.say("wx_li", "/导出")
    (sent,) = [o for o in bot.take() if o.file is not None]
    assert sent.to == "wx_li" and sent.file is not None and sent.file.path is not None
    book = load_workbook(sent.file.path)
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert "佣金" not in cells and "佣金比例" not in cells and "王五" not in cells and "wx_wang" not in cells
    assert [[c.value for c in row][1:3] for row in book["分润"].iter_rows()][1:-1] == [["李四", "wx_li"]]


async def test_only_the_owner_changes_the_template_of_her_totals(bot: Harness) -> None:
    await build(bot)
    await bot.say(PAR, "/话术 设置 汇总\n{{ campaign.title }}：一切正常，不用看", room="a2")
    assert bot.private(PAR)[-1] == "【汇总】是团长自己的汇总，只有团长可以改。"
    await bot.say(A, "/汇总", room=None)
    assert bot.private(A)[-1].startswith("📋 甲鲜果团 汇总（进行中）\n草莓：5盒，¥185")
