"""A quiet group: acknowledgements gather into one message every few minutes whatever the pace; each
member hears hers within 5 minutes, anything not as she wrote within a minute, a full message at once,
and a lone order in a group the bot has been quiet in within seconds."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app.ack_window import AckWindow
from tests.harness import FRUIT, START, Harness


def seconds(t: datetime) -> float:
    return (t - START).total_seconds()


def test_the_policy() -> None:
    w = AckWindow()
    t = START
    spoke = t - timedelta(seconds=30)  # the bot posted in the group half a minute ago
    # A lone order in a busy group: within the 5 minutes (4 min 50 s, the rest is the queue's pacing).
    assert w.due(t, t, None, 1, spoke) == t + timedelta(seconds=290)
    # Orders coming and going: still counted from the first one waiting.
    assert w.due(t, t + timedelta(seconds=200), None, 11, spoke) == t + timedelta(seconds=290)
    # Not what she wrote: within 40 s of it (a minute promised), taking everyone waiting along.
    assert w.due(t, t + timedelta(seconds=100), t + timedelta(seconds=100), 5, spoke) == t + timedelta(seconds=140)
    # Full (20 mentions): at once.
    assert w.due(t, t + timedelta(seconds=5), None, 20, spoke) == t + timedelta(seconds=5)
    # A group the bot has been quiet in for 10 minutes: a few seconds after the orders stop.
    assert w.due(t, t + timedelta(seconds=2), None, 2, t - timedelta(minutes=10)) == t + timedelta(seconds=5)
    assert w.due(t, t, None, 1, None) == t + timedelta(seconds=3)
    # ... but never later than the promise, however long the orders go on.
    assert w.due(t, t + timedelta(seconds=400), None, 19, None) == t + timedelta(seconds=290)
    # The command line's knobs: a shorter promise shortens the exceptions' too.
    short = AckWindow.of(timedelta(seconds=1), timedelta(seconds=10))
    assert (short.quiet, short.within, short.urgent) == (timedelta(seconds=1), timedelta(seconds=10),
                                                        timedelta(seconds=10))


async def test_a_lone_order_in_a_quiet_group_is_confirmed_within_seconds(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", "草莓2盒", after=15 * 60)  # the evening's odd order
    ordered = bot.now
    await bot.wait(10)
    ((at, ack),) = bot.transport.sent
    assert ack.text == "@张三 已记录：草莓×2，共¥60"
    assert at - ordered == timedelta(seconds=3)


async def test_orders_right_after_the_drop_are_gathered_and_each_told_within_five_minutes(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", "草莓2盒")
    first = bot.now
    await bot.say("wx_li", "砂糖橘1箱", after=100)
    await bot.say("wx_wang", "草莓1盒", after=100)
    await bot.wait(100)
    ((at, ack),) = bot.transport.sent
    assert ack.text == "@张三 已记录：草莓×2，共¥60\n@李四 已记录：砂糖橘×1，共¥25\n@王五 已记录：草莓×1，共¥30"
    assert at - first == timedelta(seconds=290)


async def test_one_a_second_gathers_twenty_members_into_one_message(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    for i in range(45):
        await bot.say(f"wx_m{i}", "草莓1盒", name=f"团员{i}", after=1)
    await bot.wait(300)
    sent = bot.transport.sent
    assert [len(o.mentions) for _, o in sent] == [20, 20, 5]
    assert sorted(m for _, o in sent for m in o.mentions) == sorted(f"wx_m{i}" for i in range(45))
    # Full messages go at once; the last five wait for company, never past the 5 minutes.
    assert [seconds(t) for t, _ in sent] == [30, 50, 51 + 290]


async def test_one_every_half_minute_for_half_an_hour_is_a_message_every_five_minutes(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    ordered: dict[str, datetime] = {}
    for i in range(60):
        await bot.say(f"wx_m{i}", "草莓1盒", name=f"团员{i}", after=30)
        ordered[f"wx_m{i}"] = bot.now
    await bot.settle()
    sent = bot.transport.sent
    assert len(sent) == 6  # against 60 a message each
    told = {m: t for t, o in sent for m in o.mentions}
    assert sorted(told) == sorted(ordered)
    assert max(told[m] - ordered[m] for m in ordered) <= timedelta(minutes=5)


async def test_an_exception_goes_out_within_a_minute_taking_the_others_along(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量团\n草莓 30元/盒 限量2")
    bot.take()
    ordered_at: dict[str, float] = {}
    for i in range(15):
        member = f"wx_m{i}"
        await bot.say(member, "草莓1盒", name=f"团员{i}", after=1)
        ordered_at[member] = seconds(bot.now)
    await bot.wait(400)
    sent_at: dict[str, float] = {}
    for t, out in bot.transport.sent:
        for m in out.mentions:
            sent_at.setdefault(m, seconds(t))
    waits = {m: sent_at[m] - ordered_at[m] for m in ordered_at}
    # 团员2 is the first waitlisted: told within a minute, together with whoever was waiting.
    assert waits["wx_m2"] <= 60
    assert "已售罄" in next(o.text for _, o in bot.transport.sent if "wx_m2" in o.mentions)
    assert waits["wx_m0"] == waits["wx_m2"] + 2  # 团员0 ordered two seconds earlier and went with her
    assert max(waits.values()) <= 60


async def test_editing_her_order_every_few_seconds_does_not_put_off_her_acknowledgement(bot: Harness) -> None:
    # Issue 25's planted bug: each change reset her wait, so a member who kept editing was never told.
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", "草莓1盒")
    first = bot.now
    asked = [(bot.now, 1)]
    for n in range(2, 80):  # every 5 s for six and a half minutes
        qty = n % 9 + 1
        await bot.say("wx_zhang", f"草莓改成{qty}盒", after=5)
        if bot.transport.sent:
            break
        asked.append((bot.now, qty))
    (at, ack), *_ = bot.transport.sent
    assert at - first <= timedelta(minutes=5)
    # What she hears is her whole order as it stood then, not an old version of it.
    latest = [qty for t, qty in asked if t <= at][-1]
    assert ack.text == f"@张三 已记录：草莓×{latest}，共¥{30 * latest}" and len(bot.transport.sent) == 1


async def test_a_copy_taken_as_written_withdraws_her_waiting_acknowledgement(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", "草莓2盒")
    await bot.say("wx_zhang", "#接龙\n周六水果团\n\n1. 张三 草莓2盒 砂糖橘1箱")  # her copy shows it all
    await bot.settle()
    assert bot.transport.sent == []
