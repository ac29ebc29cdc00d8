"""A quiet group: acknowledgements gather while orders keep coming, a lone one goes out within seconds,
exceptions within 10 s, nobody waits more than 30 s."""

from __future__ import annotations

from datetime import timedelta

from bot.app.ack_window import AckWindow
from tests.harness import FRUIT, START, Harness


def test_the_window_grows_with_traffic_and_has_limits() -> None:
    w = AckWindow()
    t = START
    assert w.due(t, t, None, 1) == t + timedelta(seconds=3)  # a lone order: a few seconds
    # Orders still coming: wait for the quiet, but never past the longest wait.
    assert w.due(t, t + timedelta(seconds=10), None, 11) == t + timedelta(seconds=13)
    assert w.due(t, t + timedelta(seconds=19), None, 19) == t + timedelta(seconds=20)
    assert w.due(t, t + timedelta(seconds=5), None, 20) == t + timedelta(seconds=5)  # full: at once
    assert w.due(t, t + timedelta(seconds=2), t + timedelta(seconds=1), 3) == t + timedelta(seconds=5)


async def test_a_lone_order_is_confirmed_within_a_few_seconds(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    await bot.say("wx_zhang", "草莓2盒")
    ordered = bot.now
    await bot.wait(10)
    ((at, ack),) = bot.transport.sent
    assert ack.text == "@张三 已记录：草莓×2，共¥60"
    assert at - ordered == timedelta(seconds=3)


async def test_one_a_second_gathers_twenty_members_into_one_message(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    bot.take()
    for i in range(45):
        await bot.say(f"wx_m{i}", "草莓1盒", name=f"团员{i}", after=1)
    await bot.wait(30)
    sent = bot.take()
    assert [len(o.mentions) for o in sent] == [20, 20, 5]
    assert sorted(m for o in sent for m in o.mentions) == sorted(f"wx_m{i}" for i in range(45))


async def test_an_exception_goes_out_within_ten_seconds_and_nobody_waits_thirty(bot: Harness) -> None:
    await bot.say("wx_owner", "/开团 限量团\n草莓 30元/盒 限量2")
    bot.take()
    sent_at: dict[str, float] = {}
    ordered_at: dict[str, float] = {}
    for i in range(15):
        member = f"wx_m{i}"
        await bot.say(member, "草莓1盒", name=f"团员{i}", after=1)
        ordered_at[member] = (bot.now - START).total_seconds()
    await bot.wait(40)
    for t, out in bot.transport.sent:
        for m in out.mentions:
            sent_at.setdefault(m, (t - START).total_seconds())
    waits = {m: sent_at[m] - ordered_at[m] for m in ordered_at}
    # 团员2 is the first waitlisted: told within 10 s, together with whoever was waiting.
    assert waits["wx_m2"] <= 10
    assert "已售罄" in next(o.text for _, o in bot.transport.sent if "wx_m2" in o.mentions)
    assert max(waits.values()) <= 30
