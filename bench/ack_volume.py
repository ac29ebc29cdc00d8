"""How many messages a busy drop costs the bot's WeChat account, and how long members wait for them.

Drives the real pipeline (App, SQLite on disk, templates, the acknowledgement
batcher) through the outbound queue with its default limits, on a ManualClock
with ManualSleep: no real waiting, every time is exact. After a `/开团`, 300
members each send one plain "草莓2盒" in one group, first one a second (about
5 minutes), then all within 30 seconds. A ticker advances the app every second,
as runtime does live. Prints how many bot messages the orders cost (what reached
the transport after the two posts of the `/开团`), how many acknowledgements the
queue merged, and the longest time from an order to the message that
@-mentions its member. Target (issue 11): at most 15 messages for 300 orders
both ways, longest wait at most 30 s. The last line reads
`acks: one a second N, all within 30 s M bot messages for 300 orders, longest wait W s`.

    python bench/ack_volume.py [--orders 300] [--ack-window 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.outbox import ManualSleep, OutboundQueue, SendLimits
from bot.app.pipeline import App
from bot.clock import DEFAULT_TZ, ManualClock
from bot.domain.services import Services, Settings
from bot.models import Event, Member, Message, Outgoing, RoomInfo, RoomSeen, Tick
from bot.routers import build_dispatcher
from storage.db import Database

START = datetime(2026, 11, 20, 8, 0, 0, tzinfo=DEFAULT_TZ)
OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n截单 11-21 20:00"
OWNER = Member("wx_owner", "王姐(团长)")
FIRST_ORDER = timedelta(seconds=10)


@dataclass
class Result:
    label: str
    orders: int
    spread: float  # seconds from first to last order
    messages: int  # bot messages that reached the transport, the /开团 posts included
    for_orders: int  # of them, what the orders cost: everything after the /开团 posts
    ack_messages: int
    acks_posted: int  # acknowledgement messages the app handed to the queue
    merged: int
    delays: list[float]  # per order: seconds until the message mentioning its member
    limits_held: bool
    dropped: int


def _limits_held(sent: list[tuple[datetime, Outgoing]], limits: SendLimits) -> bool:
    times = [t for t, _ in sent]
    for i, t in enumerate(times):
        if sum(1 for s in times[: i + 1] if (t - s).total_seconds() < 60) > limits.per_account_per_minute:
            return False
        if i and (t - times[i - 1]).total_seconds() < limits.per_account_interval - 1e-6:
            return False
    last: dict[str | None, datetime] = {}
    for t, out in sent:
        key = out.room_id or out.to
        if key in last and (t - last[key]).total_seconds() < limits.per_group_interval - 1e-6:
            return False
        last[key] = t
    return True


async def run(label: str, folder: Path, orders: int, spacing: float, ack_window: float,
              limits: SendLimits) -> Result:
    db = await Database.open(folder / f"{label}.sqlite")
    clock = ManualClock(START)
    timer = ManualSleep(clock)
    sent: list[tuple[datetime, Outgoing]] = []

    async def transport_send(out: Outgoing) -> None:
        sent.append((clock.now(), out))

    queue = OutboundQueue(transport_send, clock, limits, sleep=timer.sleep, rng=random.Random(11))
    app = App(Services.build(db, Settings(ack_window=timedelta(seconds=ack_window))), clock, queue, build_dispatcher())
    worker = asyncio.create_task(queue.run())
    try:
        await app.on_event(RoomSeen(RoomInfo("r1", "阳光花园水果团购群", OWNER.id, (OWNER,))))
        timeline: list[tuple[datetime, Event]] = [
            (START, Message(id="open", ts=START, sender=OWNER, text=OPEN, room_id="r1"))]
        ordered_at: dict[str, datetime] = {}
        for i in range(orders):
            ts = START + FIRST_ORDER + timedelta(seconds=i * spacing)
            member = Member(f"wx_m{i:03d}", f"团员{i:03d}")
            ordered_at[member.id] = ts
            timeline.append((ts, Message(id=f"o{i}", ts=ts, sender=member, text="草莓2盒", room_id="r1")))
        last_order = max(ordered_at.values())
        # The live ticker: timed work (the acknowledgement window) runs once a second.
        second = 1
        while START + timedelta(seconds=second) <= last_order:
            timeline.append((START + timedelta(seconds=second), Tick(START + timedelta(seconds=second))))
            second += 1
        timeline.sort(key=lambda te: te[0])  # stable: a message before the tick of the same second

        opening = 0
        for ts, event in timeline:
            await timer.advance_to(ts)
            await app.on_event(event)
            if isinstance(event, Message) and event.id == "open":
                await timer.settle()
                opening = queue.posted
        # After the last order the ticker keeps going until everything is out.
        tick = START + timedelta(seconds=second)
        while queue.pending or app.acks.next_due() is not None:
            await timer.advance_to(tick)
            await app.on_event(Tick(tick))
            tick += timedelta(seconds=1)
            if tick - last_order > timedelta(hours=1):
                raise RuntimeError("the queue did not empty within an hour")
        await timer.settle()
    finally:
        await queue.stop()
        await worker
        await db.close()

    delays: list[float] = []
    for member_id, ts in ordered_at.items():
        ack = next(t for t, out in sent if t >= ts and member_id in out.mentions)
        delays.append((ack - ts).total_seconds())
    ack_messages = sum(1 for _, out in sent if out.mergeable)
    return Result(label=label, orders=orders, spread=(last_order - START - FIRST_ORDER).total_seconds(),
                  messages=len(sent), for_orders=len(sent) - opening, ack_messages=ack_messages,
                  acks_posted=ack_messages + queue.merged,
                  merged=queue.merged, delays=delays, limits_held=_limits_held(sent, limits),
                  dropped=queue.dropped)


def _report(r: Result) -> None:
    ordered = sorted(r.delays)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    print(f"{r.label}: {r.orders} orders over {r.spread:.0f} s")
    print(f"  transport got {r.messages} bot messages: {r.ack_messages} acknowledgements + "
          f"{r.messages - r.ack_messages} others; the orders cost {r.for_orders}")
    print(f"  the app posted {r.acks_posted} acknowledgements; the queue merged {r.merged} of them into others"
          f"; dropped {r.dropped}")
    print(f"  order -> its acknowledgement: median {statistics.median(r.delays):.1f} s, p90 {p90:.1f} s, "
          f"longest {max(r.delays):.1f} s; limits held: {'yes' if r.limits_held else 'NO'}")


async def main(orders: int, ack_window: float) -> None:
    print(f"python {sys.version.split()[0]}, ack window {ack_window:g} s, default limits: {SendLimits()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        slow = await run("one order a second", folder, orders, 1.0, ack_window, SendLimits())
        _report(slow)
        fast = await run("all within 30 s", folder, orders, 30.0 / orders, ack_window, SendLimits())
        _report(fast)
        # For scale: what the same burst would cost with no pacing (and so no merging).
        free = await run("all within 30 s, no limits", folder, orders, 30.0 / orders, ack_window,
                         SendLimits.unlimited())
        print(f"{free.label}: {free.messages} bot messages, longest wait {max(free.delays):.1f} s")
    longest = max(max(slow.delays), max(fast.delays))
    print(f"acks: one a second {slow.for_orders}, all within 30 s {fast.for_orders} bot messages for {orders} orders, "
          f"longest wait {longest:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--ack-window", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.ack_window))
