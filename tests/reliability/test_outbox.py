"""The outbound queue: limits per group and per account, fairness, merging, retries, shutdown.

Time is a ManualClock and every wait goes through ManualSleep, so the tests
read exact send times in seconds after START and never really sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app.outbox import ManualSleep, OutboundQueue, SendLimits
from bot.clock import DEFAULT_TZ, ManualClock
from bot.models import Outgoing
from bot.transports.base import SendError

START = datetime(2026, 11, 20, 8, 0, 0, tzinfo=DEFAULT_TZ)
# Most tests here are about the per-chat and per-account pacing; the random gap
# between chats has its own test.
NO_GAP = (0.0, 0.0)


def msg(text: str, room: str = "r1", *, mentions: tuple[str, ...] = (), mergeable: bool = False) -> Outgoing:
    return Outgoing(text=text, room_id=room, mentions=mentions, mergeable=mergeable)


def ack(text: str, *mentions: str, room: str = "r1") -> Outgoing:
    return Outgoing(text=text, room_id=room, mentions=mentions, mergeable=True)


class FakeTransport:
    """Records sends at clock time; fails or hangs on request, per text."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, Outgoing]] = []
        self.attempts: list[tuple[float, str]] = []
        self.fail: dict[str, int] = {}
        self.throttle: dict[str, int] = {}
        self.hang: dict[str, int] = {}
        self.slow: dict[str, float] = {}  # answers after this many seconds (on `sleep`)
        self.sleep: Callable[[float], Awaitable[None]] | None = None

    def now(self) -> float:
        return (self.clock.now() - START).total_seconds()

    async def send(self, out: Outgoing) -> None:
        self.attempts.append((self.now(), out.text))
        if self.hang.get(out.text, 0) > 0:
            self.hang[out.text] -= 1
            await asyncio.get_running_loop().create_future()  # never answers
        if out.text in self.slow and self.sleep is not None:
            await self.sleep(self.slow.pop(out.text))
        if self.throttle.get(out.text, 0) > 0:
            self.throttle[out.text] -= 1
            raise SendError("sending to r1 failed: 操作过于频繁，请稍后再试")
        if self.fail.get(out.text, 0) > 0:
            self.fail[out.text] -= 1
            raise SendError("sending to r1 failed: connection reset")
        self.sent.append((self.now(), out))

    def times(self, room: str | None = None) -> list[float]:
        return [t for t, o in self.sent if room is None or o.room_id == room]

    def texts(self, room: str | None = None) -> list[str]:
        return [o.text for _, o in self.sent if room is None or o.room_id == room]


class Rig:
    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.timer = ManualSleep(self.clock)
        self.transport = FakeTransport(self.clock)
        self.transport.sleep = self.timer.sleep
        self.queue = OutboundQueue(self.transport.send, self.clock, SendLimits(switch_gap=NO_GAP),
                                   sleep=self.timer.sleep)
        self.worker: asyncio.Task[None] | None = None

    def use(self, limits: SendLimits, rng: random.Random | None = None) -> None:
        assert self.worker is None
        self.queue = OutboundQueue(self.transport.send, self.clock, limits, sleep=self.timer.sleep, rng=rng)

    def start(self) -> None:
        self.worker = asyncio.create_task(self.queue.run())

    async def post(self, *outs: Outgoing) -> None:
        for out in outs:
            await self.queue.post(out)

    async def at(self, seconds: float) -> None:
        """Plays everything up to `seconds` after START."""
        await self.timer.advance_to(START + timedelta(seconds=seconds))

    async def close(self) -> None:
        await self.queue.stop()
        if self.worker is not None:
            await asyncio.wait_for(self.worker, 1)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.close()


def completes_without_suspending(coro: Coroutine[Any, Any, None]) -> bool:
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


# -- limits ------------------------------------------------------------------------


async def test_one_group_gets_a_message_every_two_seconds_in_order(rig: Rig) -> None:
    rig.start()
    await rig.post(*(msg(f"m{i}") for i in range(5)))
    await rig.at(60)
    assert rig.transport.texts() == ["m0", "m1", "m2", "m3", "m4"]
    assert rig.transport.times() == [0, 2, 4, 6, 8]
    assert rig.queue.sent == 5


async def test_the_gap_counts_from_the_last_send_not_from_the_post(rig: Rig) -> None:
    rig.start()
    await rig.post(msg("a"))
    await rig.at(1.5)
    await rig.post(msg("b"))
    await rig.at(10)
    await rig.post(msg("c"))
    await rig.at(20)
    assert rig.transport.times() == [0, 2, 10]


async def test_account_window_holds_across_groups(rig: Rig) -> None:
    rig.start()
    await rig.post(*(msg(f"g{i}", room=f"r{i}") for i in range(30)))
    await rig.at(200)
    times = rig.transport.times()
    assert len(times) == 30
    # At most one send a second, at most 20 in any 60 s, and none later than needed.
    assert times == [*range(20), *range(60, 70)]
    for i, t in enumerate(times):
        assert sum(1 for s in times[: i + 1] if t - s < 60) <= 20
    assert rig.transport.texts() == [f"g{i}" for i in range(30)]


async def test_private_chats_are_their_own_conversations(rig: Rig) -> None:
    rig.start()
    await rig.post(Outgoing("to a", to="wx_a"), Outgoing("room", room_id="wx_a"), Outgoing("to a again", to="wx_a"))
    await rig.at(10)
    assert [(t, o.text) for t, o in rig.transport.sent] == [(0, "to a"), (1, "room"), (2, "to a again")]


async def test_unlimited_does_not_pace(rig: Rig) -> None:
    rig.use(SendLimits.unlimited())
    rig.start()
    await rig.post(*(msg(f"m{i}", room=f"r{i % 3}") for i in range(100)))
    await rig.at(0)
    assert rig.transport.times() == [0] * 100
    await rig.close()


async def test_a_clock_set_back_does_not_stall_sending(rig: Rig) -> None:
    rig.start()
    await rig.post(msg("a"))
    await rig.at(1)
    rig.clock.set(START - timedelta(hours=1))
    await rig.post(msg("b"))
    await rig.timer.advance_to(START - timedelta(hours=1) + timedelta(seconds=5))
    assert rig.transport.texts() == ["a", "b"]


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        SendLimits(per_account_per_minute=0)
    with pytest.raises(ValueError):
        SendLimits(per_group_interval=-1)
    assert [SendLimits().backoff(n) for n in (1, 2, 3, 10)] == [2, 4, 8, 120]


# -- fairness ------------------------------------------------------------------------


async def test_a_flood_in_one_group_does_not_hold_up_another(rig: Rig) -> None:
    rig.start()
    await rig.post(*(msg(f"flood{i}") for i in range(1000)))
    await rig.at(100)
    # r1 used the whole account budget: 20 sends in 0..38, 20 in 60..98.
    assert rig.transport.times("r1") == [*range(0, 40, 2), *range(60, 100, 2)]
    await rig.post(msg("hello", room="r2"))
    await rig.at(130)
    (t_hello,) = rig.transport.times("r2")
    before = [t for t in rig.transport.times() if t < t_hello]
    # The first moment the account may send again (its 60 s window), and no
    # flood message went first.
    assert t_hello == max(100, before[-20] + 60, before[-1] + 1) == 120
    assert [t for t in rig.transport.times("r1") if 100 <= t <= t_hello] == []
    assert rig.transport.texts("r1") == [f"flood{i}" for i in range(len(rig.transport.texts("r1")))]


async def test_a_flood_leaves_other_groups_their_own_pace(rig: Rig) -> None:
    # Without the account window binding, the other group's messages keep
    # their own 2 s pace while the flood continues in between.
    rig.use(SendLimits(per_account_per_minute=1000, switch_gap=NO_GAP))
    rig.start()
    await rig.post(*(msg(f"flood{i}") for i in range(1000)))
    await rig.at(101)
    await rig.post(msg("a", room="r2"), msg("b", room="r2"), msg("c", room="r2"))
    await rig.at(120)
    assert rig.transport.times("r2") == [101, 103, 105]
    assert rig.transport.times("r1")[-5:] == [112, 114, 116, 118, 120]
    await rig.close()


async def test_busy_groups_take_turns(rig: Rig) -> None:
    rig.use(SendLimits(per_account_per_minute=1000, switch_gap=NO_GAP))
    rig.start()
    for room in ("r1", "r2", "r3"):
        await rig.post(*(msg(f"{room}-{i}", room=room) for i in range(4)))
    await rig.at(100)
    assert [o.room_id for _, o in rig.transport.sent] == ["r1", "r2", "r3"] * 4
    assert rig.transport.times() == list(range(12))
    await rig.close()


# -- merging ---------------------------------------------------------------------------


async def test_waiting_acknowledgements_merge(rig: Rig) -> None:
    rig.start()
    await rig.post(msg("🎉 开团啦"))
    await rig.at(0.5)
    await rig.post(ack("@张三 已记录：草莓×2", "zhang"),
                   ack("✅ 订单已更新（2人）\n@李四 已记录：砂糖橘×1\n@张三 已记录：草莓×3", "li", "zhang"),
                   ack("@王五 已记录：草莓×1\n", "wang"))
    await rig.at(10)
    assert rig.transport.times() == [0, 2]
    merged = rig.transport.sent[1][1]
    assert merged.text == ("@张三 已记录：草莓×2\n✅ 订单已更新（2人）\n@李四 已记录：砂糖橘×1\n@张三 已记录：草莓×3\n"
                           "@王五 已记录：草莓×1\n")
    assert merged.mentions == ("zhang", "li", "wang")
    assert merged.mergeable and merged.room_id == "r1"
    assert (rig.queue.posted, rig.queue.sent, rig.queue.merged) == (4, 2, 2)


async def test_merging_respects_the_mention_and_length_caps(rig: Rig) -> None:
    rig.start()
    u = [f"u{i}" for i in range(40)]
    await rig.post(msg("busy"), ack("a", *u[:15]), ack("b", *u[10:20]),  # 20 distinct: fits
                   ack("c", u[20]))  # a 21st would not
    await rig.post(msg("busy", room="r2"), ack("x" * 1000, "v1", room="r2"),
                   ack("y" * 600, "v2", room="r2"),  # 1000 + 1 + 600 is over 1500
                   ack("z" * 499, "v3", room="r2"))  # 600 + 1 + 499 fits
    await rig.at(30)
    assert [(o.text, o.mentions) for _, o in rig.transport.sent if o.room_id == "r1"][1:] == [
        ("a\nb", tuple(u[:20])), ("c", ("u20",))]
    assert [(o.text, o.mentions) for _, o in rig.transport.sent if o.room_id == "r2"][1:] == [
        ("x" * 1000, ("v1",)), ("y" * 600 + "\n" + "z" * 499, ("v2", "v3"))]


async def test_an_acknowledgement_may_pass_other_members_to_merge(rig: Rig) -> None:
    # The batcher's 20-mention chunks: a rest of 10 joins the earlier rest of 10.
    rig.start()
    u = [f"u{i}" for i in range(40)]
    await rig.post(msg("busy"), ack("a", *u[:10]), ack("b", *u[10:30]), ack("c", *u[30:40]))
    await rig.at(30)
    assert rig.transport.texts() == ["busy", "a\nc", "b"]
    assert rig.transport.sent[1][1].mentions == (*u[:10], *u[30:40])


async def test_an_acknowledgement_never_passes_one_for_the_same_member(rig: Rig) -> None:
    rig.start()
    u = [f"u{i}" for i in range(40)]
    await rig.post(msg("busy"), ack("a", *u[:10]), ack("b", *u[10:30]), ack("c", *u[30:39], "u15"))
    await rig.at(30)
    assert rig.transport.texts() == ["busy", "a", "b", "c"]


async def test_an_oversized_message_is_sent_whole(rig: Rig) -> None:
    rig.start()
    big = ack("x" * 3000, *(f"u{i}" for i in range(30)))
    await rig.post(big, ack("y", "u1"))
    await rig.at(10)
    assert [o for _, o in rig.transport.sent] == [big, ack("y", "u1")]


async def test_non_mergeable_messages_are_never_merged_nor_passed(rig: Rig) -> None:
    rig.start()
    await rig.post(msg("busy"), ack("a1", "a"), msg("reply"), ack("a2", "b"), ack("a3", "c"),
                   msg("totals"), msg("totals again"), ack("a4", "d"))
    await rig.at(60)
    assert rig.transport.texts() == ["busy", "a1", "reply", "a2\na3", "totals", "totals again", "a4"]


async def test_an_acknowledgement_already_sent_or_tried_is_not_merged_into(rig: Rig) -> None:
    rig.start()
    rig.transport.fail["a1"] = 1
    await rig.post(ack("a1", "a"))
    await rig.at(0.5)  # a1 failed once and waits for its retry: its text stays as tried
    await rig.post(ack("a2", "b"))
    await rig.at(5)  # a1 went at 2, a2 at 4
    await rig.post(ack("a3", "c"))
    await rig.at(30)
    assert [(t, o.text) for t, o in rig.transport.sent] == [(2, "a1"), (4, "a2"), (6, "a3")]
    assert rig.queue.merged == 0


async def test_acknowledgements_for_other_groups_do_not_merge(rig: Rig) -> None:
    rig.start()
    await rig.post(msg("busy"), msg("busy", room="r2"), ack("a", "x"), ack("b", "y", room="r2"), ack("c", "z"))
    await rig.at(30)
    assert sorted(rig.transport.texts()) == ["a\nc", "b", "busy", "busy"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["r1", "r2"]), st.booleans(),
                          st.lists(st.sampled_from("abcdefghijklmnopqrstuvwxy"), max_size=12, unique=True)),
                max_size=25))
def test_merging_loses_nothing_and_keeps_what_must_stay_in_order(posts: list[tuple[str, bool, list[str]]]) -> None:
    async def scenario() -> None:
        r = Rig()
        r.start()
        outs = [Outgoing(text=f"m{i}", room_id=room, mentions=tuple(ms), mergeable=mergeable)
                for i, (room, mergeable, ms) in enumerate(posts)]
        await r.post(*outs)
        await r.at(3600)
        await r.close()
        sent = [o for _, o in r.transport.sent]
        for room in ("r1", "r2"):
            mine = [o for o in outs if o.room_id == room]
            got = [o for o in sent if o.room_id == room]
            where = {text: (n, k) for n, o in enumerate(got) for k, text in enumerate(o.text.split("\n"))}
            assert sorted(where) == sorted(o.text for o in mine)  # every text exactly once
            for i, p in enumerate(mine):
                for q in mine[i + 1:]:
                    # Anything non-mergeable, and one member's lines, keep their order.
                    if not (p.mergeable and q.mergeable) or set(p.mentions) & set(q.mentions):
                        assert where[p.text] < where[q.text]
            for o in got:
                if not o.mergeable:
                    assert o in mine  # sent alone and unchanged
                parts = sorted((p for p in mine if p.text in o.text.split("\n")), key=lambda p: where[p.text])
                assert o.mentions == tuple(dict.fromkeys(m for p in parts for m in p.mentions))
                assert len(parts) == 1 or len(o.mentions) <= 20
        assert r.queue.posted == r.queue.sent + r.queue.merged == len(posts)

    asyncio.run(scenario())


# -- failures ---------------------------------------------------------------------------


async def test_a_failed_send_is_retried_with_backoff(rig: Rig) -> None:
    rig.start()
    rig.transport.fail["a"] = 2
    await rig.post(msg("a"), msg("b"))
    await rig.at(60)
    assert rig.transport.attempts == [(0, "a"), (2, "a"), (6, "a"), (8, "b")]
    assert (rig.queue.sent, rig.queue.retried, rig.queue.dropped) == (2, 2, 0)


async def test_a_send_that_keeps_failing_is_retried_to_the_horizon_then_given_up_with_one_log_line(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.use(SendLimits(give_up_after=60))
    rig.start()
    rig.transport.fail["bad"] = 99
    await rig.post(msg("bad"), msg("next"))
    with caplog.at_level(logging.INFO, logger="bot.app.outbox"):
        await rig.at(200)
    assert rig.transport.attempts == [(0, "bad"), (2, "bad"), (6, "bad"), (14, "bad"),
                                      (30, "bad"), (62, "bad"), (64, "next")]
    assert (rig.queue.sent, rig.queue.retried, rig.queue.dropped) == (1, 5, 1)
    gave_up = [r for r in caplog.records if r.name == "bot.app.outbox" and r.levelno >= logging.WARNING]
    assert len(gave_up) == 1 and "6 attempts" in gave_up[0].getMessage() and "room:r1" in gave_up[0].getMessage()


async def test_sends_failing_for_30_seconds_then_recovering_deliver_everything(rig: Rig) -> None:
    failing = True

    async def outage(out: Outgoing) -> None:
        if failing:
            raise SendError("sending failed: the puppet service at 127.0.0.1:8788 is unavailable")
        await rig.transport.send(out)

    rig.queue = OutboundQueue(outage, rig.clock, SendLimits(), sleep=rig.timer.sleep)
    rig.start()
    acks = [ack(f"@m{i} 已记录", f"m{i}", room=f"r{i % 3}") for i in range(45)]
    await rig.post(*acks[:20])
    await rig.at(15)
    await rig.post(*acks[20:])
    await rig.at(30)
    failing = False
    await rig.at(600)
    delivered = "\n".join(rig.transport.texts())
    assert all(f"@m{i} 已记录" in delivered for i in range(45))
    assert len(rig.transport.texts()) == len(set(rig.transport.texts()))
    assert rig.queue.dropped == 0 and rig.queue.pending == 0


async def test_a_throttling_answer_pauses_the_whole_account(rig: Rig) -> None:
    rig.start()
    rig.transport.throttle["a"] = 1
    await rig.post(msg("a"))
    await rig.at(1)
    await rig.post(msg("b", room="r2"), msg("c", room="to3"))
    await rig.at(1000)
    # Throttled at 0: nothing at all for a minute, in any conversation.
    assert rig.transport.attempts == [(0, "a"), (60, "b"), (61, "c"), (62, "a")]
    assert rig.queue.throttled == 1 and sorted(rig.transport.texts()) == ["a", "b", "c"]


async def test_throttling_in_a_row_makes_the_pauses_grow(rig: Rig) -> None:
    rig.start()
    rig.transport.throttle["a"] = 3
    await rig.post(msg("a"))
    await rig.at(3600)
    assert [t for t, _ in rig.transport.attempts] == [0, 60, 180, 420]
    assert rig.transport.texts() == ["a"]


async def test_the_throttling_pause_starts_over_after_a_success(rig: Rig) -> None:
    rig.start()
    rig.transport.throttle["a"] = 1
    rig.transport.throttle["b"] = 1
    await rig.post(msg("a"))
    await rig.at(100)
    await rig.post(msg("b"))
    await rig.at(300)
    assert [(t, text) for t, text in rig.transport.attempts] == [(0, "a"), (60, "a"), (100, "b"), (160, "b")]


async def test_retrying_does_not_delay_other_groups(rig: Rig) -> None:
    rig.start()
    rig.transport.fail["bad"] = 3
    await rig.post(msg("bad"), *(msg(f"r2-{i}", room="r2") for i in range(5)))
    await rig.at(60)
    assert rig.transport.times("r2") == [1, 3, 5, 7, 9]
    assert [t for t, text in rig.transport.attempts if text == "bad"] == [0, 2, 6, 14]


async def test_any_exception_counts_as_a_failure(rig: Rig) -> None:
    calls: list[float] = []

    async def flaky(out: Outgoing) -> None:
        calls.append(rig.transport.now())
        if len(calls) == 1:
            raise ConnectionResetError
        await rig.transport.send(out)

    rig.queue = OutboundQueue(flaky, rig.clock, SendLimits(switch_gap=NO_GAP), sleep=rig.timer.sleep)
    rig.start()
    await rig.post(msg("a"))
    await rig.at(10)
    assert calls == [0, 2] and rig.transport.texts() == ["a"]


async def test_a_hanging_send_times_out_and_others_continue(rig: Rig) -> None:
    rig.start()
    rig.transport.hang["stuck"] = 1
    await rig.post(msg("stuck"), msg("after stuck"), *(msg(f"r2-{i}", room="r2") for i in range(3)))
    await rig.at(100)
    assert rig.transport.times("r2") == [1, 3, 5]
    # Timed out at 30 s: uncertain, not retried; the rest of its group goes on at once.
    assert [(t, text) for t, text in rig.transport.attempts if not text.startswith("r2")] == [
        (0, "stuck"), (30, "after stuck")]
    assert rig.queue.retried == 0 and rig.queue.uncertain == 1 and rig.queue.sent == 4


async def test_an_acknowledgement_that_hangs_but_arrives_is_never_sent_twice(rig: Rig) -> None:
    rig.start()
    rig.transport.hang["@张三 已记录"] = 1
    await rig.post(ack("@张三 已记录", "zhang"))
    await rig.at(1)
    await rig.post(ack("@李四 已记录", "li"))
    await rig.at(3600)
    # The service delivered it but never answered: no echo either. Counted as delivered.
    assert rig.transport.attempts == [(0, "@张三 已记录"), (30, "@李四 已记录")]
    assert rig.queue.unconfirmed == 1 and rig.queue.pending == 0


async def test_an_uncertain_message_whose_echo_comes_back_is_not_sent_again(rig: Rig) -> None:
    rig.start()
    rig.transport.hang["取货通知"] = 1
    await rig.post(msg("取货通知"))
    await rig.at(40)
    assert rig.queue.seen(msg("取货通知")) and not rig.queue.seen(msg("取货通知"))
    await rig.at(3600)
    assert rig.transport.attempts == [(0, "取货通知")] and rig.queue.sent == 1


async def test_a_message_whose_echo_comes_back_while_its_send_still_waits_is_never_sent_again(rig: Rig) -> None:
    # Services often show the account's own message before they answer the send: the echo may come
    # first, and the answer may then be a timeout.
    rig.start()
    rig.transport.hang["取货通知"] = 1
    await rig.post(msg("取货通知"), msg("next"))
    await rig.at(10)
    assert rig.queue.seen(msg("取货通知"))
    await rig.at(3600)
    assert rig.transport.attempts == [(0, "取货通知"), (30, "next")]
    assert rig.queue.sent == 2 and rig.queue.uncertain == 0 and rig.queue.pending == 0


async def test_an_echo_of_another_text_settles_nothing(rig: Rig) -> None:
    rig.start()
    rig.transport.hang["取货通知"] = 1
    await rig.post(msg("取货通知"))
    await rig.at(10)
    assert not rig.queue.seen(msg("别的话"))
    await rig.at(3600)
    assert rig.transport.attempts == [(0, "取货通知"), (150, "取货通知")]


async def test_an_uncertain_message_with_no_echo_is_sent_again_after_the_wait(rig: Rig) -> None:
    rig.start()
    rig.transport.hang["取货通知"] = 1
    await rig.post(msg("取货通知"), msg("next"))
    await rig.at(3600)
    assert rig.transport.attempts == [(0, "取货通知"), (30, "next"), (150, "取货通知")]


# -- never blocking --------------------------------------------------------------------------


async def test_post_returns_at_once_even_when_sending_is_stuck(rig: Rig) -> None:
    rig.transport.hang["stuck"] = 99
    # No worker yet: posting still returns without waiting for anything.
    assert completes_without_suspending(rig.queue.post(msg("stuck")))
    rig.start()
    await rig.at(5)
    assert rig.transport.attempts == [(0, "stuck")]
    for i in range(1000):
        assert completes_without_suspending(rig.queue.post(msg(f"m{i}", room=f"r{i % 7}")))
        assert completes_without_suspending(rig.queue.post(ack(f"a{i}", f"u{i % 30}")))
    assert rig.queue.posted == 2001


# -- shutdown -------------------------------------------------------------------------------


async def test_drain_sends_what_is_pending_within_the_limits(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.post(*(msg(f"m{i}") for i in range(5)))
    drain = asyncio.create_task(rig.queue.drain(60))
    with caplog.at_level(logging.WARNING, logger="bot.app.outbox"):
        await rig.at(100)
        await asyncio.wait_for(drain, 1)
    assert rig.transport.times() == [0, 2, 4, 6, 8]
    assert rig.queue.dropped == 0 and not caplog.records
    # drain ran a worker of its own and stopped it: nothing is sent afterwards.
    await rig.post(msg("later"))
    await rig.at(200)
    assert rig.transport.texts()[-1] == "m4"


async def test_drain_reports_what_it_could_not_send(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.start()
    rig.transport.fail["bad"] = 99
    await rig.post(*(msg(f"m{i}") for i in range(5)), msg("bad", room="r2"))
    drain = asyncio.create_task(rig.queue.drain(5))
    with caplog.at_level(logging.WARNING, logger="bot.app.outbox"):
        await rig.at(100)
        await asyncio.wait_for(drain, 1)
    assert rig.transport.times("r1") == [0, 2, 4]
    assert rig.queue.dropped == 3 and rig.queue.pending == 0
    (line,) = [r.getMessage() for r in caplog.records]
    assert "dropped 3 unsent messages" in line and "room:r1" in line and "room:r2" in line


async def test_stop_drops_what_is_left_and_later_posts(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.start()
    await rig.post(*(msg(f"m{i}") for i in range(3)))
    await rig.at(1)
    with caplog.at_level(logging.WARNING, logger="bot.app.outbox"):
        await rig.queue.stop()
        await rig.queue.stop()
        await rig.queue.post(msg("too late"))
    assert rig.worker is not None and rig.worker.done()
    assert rig.transport.texts() == ["m0"]
    assert rig.queue.dropped == 3
    assert rig.queue.posted == rig.queue.sent + rig.queue.merged + rig.queue.dropped + rig.queue.pending
    assert len(caplog.records) == 2


async def test_stop_abandons_a_hanging_send(rig: Rig) -> None:
    rig.start()
    rig.transport.hang["stuck"] = 1
    await rig.post(msg("stuck"))
    await rig.at(1)
    await asyncio.wait_for(rig.queue.stop(), 1)
    assert rig.queue.dropped == 1
    await rig.at(100)
    assert rig.transport.sent == []


async def test_finishing_waits_for_the_send_on_its_way_starts_no_other_and_keeps_the_rest(rig: Rig) -> None:
    # Stopping the bot: a send whose request is out gets its answer; nothing new goes out, and rows of
    # the outbox table stay there for the next start, counted neither sent nor dropped.
    rig.start()
    rig.transport.slow["on its way"] = 1.5
    rig.queue.put(msg("on its way"), row=1)
    rig.queue.put(msg("next"), row=2)
    rig.queue.put(msg("elsewhere", room="r2"), row=3)
    await rig.at(0.5)
    finishing = asyncio.ensure_future(rig.queue.finish(2))
    await rig.at(1.5)
    await asyncio.wait_for(finishing, 1)
    await rig.at(100)
    assert rig.transport.texts() == ["on its way"]
    assert rig.queue.sent == 1 and rig.queue.dropped == 0
    rig.queue.put(msg("after the stop"), row=4)  # the next start sends it, from the table
    assert rig.queue.dropped == 0 and rig.transport.attempts == [(0, "on its way")]


async def test_switching_groups_waits_a_few_random_seconds(rig: Rig) -> None:
    """Across groups the account posts with a few seconds' random gap, never a fixed rhythm;
    within a group the per-group interval alone applies. Seeded: the same run every time."""
    rig.use(SendLimits(per_account_per_minute=1000), rng=random.Random(7))
    rig.start()
    await rig.post(*(Outgoing(text=f"g{i}", room_id=f"r{i}") for i in range(6)))
    await rig.at(60)
    times = rig.transport.times()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 6
    assert all(2.0 <= g <= 5.0 + 1e-6 for g in gaps), gaps
    assert len({round(g, 3) for g in gaps}) > 1  # not one fixed rhythm
    rig2 = Rig()
    rig2.use(SendLimits(per_account_per_minute=1000), rng=random.Random(7))
    rig2.start()
    await rig2.post(*(Outgoing(text=f"g{i}", room_id=f"r{i}") for i in range(6)))
    await rig2.at(60)
    assert rig2.transport.times() == times
    await rig2.close()
