"""A message whose writes fail when they reach the database leaves no trace.

Writes wait for the commit (storage/db.py), so a failure can come after the
handler has run and the repositories' memory has moved on; the bot must then
forget that memory, send nothing for the message, and keep counting the
next messages exactly."""

from __future__ import annotations

from bot.app.faults import MISHAP_MEMBER_TEXT
from tests.harness import Harness

OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱"
HEADER = "#接龙\n周六水果团\n草莓 30元/盒，砂糖橘 25元/箱\n\n"


async def _break_lines_containing(bot: Harness, word: str) -> None:
    # Stands in for a disk or constraint failure at commit time.
    await bot.db.execute(
        f"CREATE TRIGGER fail_{len(word)} BEFORE INSERT ON lines WHEN NEW.raw LIKE '%{word}%' "
        "BEGIN SELECT RAISE(ABORT, 'write failed'); END"
    )


async def test_a_copy_that_fails_at_commit_changes_nothing_and_the_next_ones_count(bot: Harness) -> None:
    await bot.say("wx_owner", OPEN)
    await bot.say("wx_zhang", HEADER + "1. 3-502 张三 草莓2盒")
    await bot.settle()
    await _break_lines_containing(bot, "坏")
    bot.take()

    failed = await bot.say("wx_li", HEADER + "1. 3-502 张三 草莓2盒\n2. 坏 李四 草莓1盒 砂糖橘1箱")
    await bot.say("wx_wang", HEADER + "1. 3-502 张三 草莓2盒\n2. 5-101 王五 草莓3盒")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_wang", "草莓"): 3}
    # No acknowledgement for what was not recorded (王五's copy, taken exactly, needs none either):
    # she only hears that it did not go through.
    assert [t for t in bot.texts() if "李四" in t] == [f"@李四 {MISHAP_MEMBER_TEXT}"]

    # Her edit of the same list after the failure: nothing of the failed message lingers.
    await bot.say("wx_li", HEADER + "1. 3-502 张三 草莓2盒\n2. 5-101 王五 草莓3盒\n3. 6-101 李四 砂糖橘2箱")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_wang", "草莓"): 3, ("wx_li", "砂糖橘"): 2}

    # The failed message was never claimed: delivered again once writes work, it counts
    # (as her newest copy, which no longer has her 6-101 line).
    await bot.db.execute("DROP TRIGGER fail_1")
    await bot.redeliver("wx_li", HEADER + "1. 3-502 张三 草莓2盒\n2. 坏 李四 草莓1盒 砂糖橘1箱", failed)
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2, ("wx_wang", "草莓"): 3,
                                ("wx_li", "草莓"): 1, ("wx_li", "砂糖橘"): 1}


async def test_a_plain_order_that_fails_at_commit_keeps_her_earlier_order(bot: Harness) -> None:
    await bot.say("wx_owner", OPEN)
    await bot.say("wx_zhang", "草莓2盒")
    await bot.db.execute(
        "CREATE TRIGGER fail_items BEFORE UPDATE ON items WHEN NEW.qty = 7 "
        "BEGIN SELECT RAISE(ABORT, 'write failed'); END"
    )
    await bot.say("wx_zhang", "草莓改成7盒")
    await bot.say("wx_zhang", "再来1盒草莓")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 3}


async def test_a_redelivered_old_copy_does_not_hold_back_the_merged_list(bot: Harness) -> None:
    await bot.say("wx_owner", OPEN)
    first = await bot.say("wx_zhang", HEADER + "1. 3-502 张三 草莓2盒")
    await bot.say("wx_li", HEADER + "1. 3-502 张三 草莓2盒\n2. 6-101 李四 砂糖橘1箱")
    # Her first copy again (the service re-sends it): it lacks 李四's line, but it was handled already.
    await bot.redeliver("wx_zhang", HEADER + "1. 3-502 张三 草莓2盒", first)
    bot.take()
    await bot.say("wx_wang", HEADER + "1. 3-502 张三 草莓2盒\n2. 5-101 王五 草莓3盒", after=30)
    await bot.wait(10 * 60)  # the fork lasted: the merged list is said
    merged = [t for t in bot.texts() if "最新的接龙" in t]
    assert len(merged) == 1 and "李四 砂糖橘1箱" in merged[0] and "王五 草莓3盒" in merged[0]


async def test_a_template_saved_by_a_failed_message_is_not_used(bot: Harness) -> None:
    await bot.db.execute(
        "CREATE TRIGGER fail_templates BEFORE INSERT ON template_overrides "
        "BEGIN SELECT RAISE(ABORT, 'write failed'); END"
    )
    await bot.say("wx_owner", "/话术 设置 互动\n💬 新话术 {{ text }}")
    await bot.say("wx_owner", "/互动 30分钟后 草莓想要的扣1")
    await bot.wait(31 * 60)
    assert "新话术" not in bot.texts()[-1] and "草莓想要的扣1" in bot.texts()[-1]
