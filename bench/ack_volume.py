"""How many messages orders cost the bot's WeChat account in one group, and how long members wait.

Drives the real pipeline (App, SQLite on disk, templates, the acknowledgement
batcher, the handlers) through the outbound queue with its default limits, on a
ManualClock with ManualSleep: no real waiting, every time exact, and the same
seed prints the same figures (the clock never moves while a database trip is on
its way). A ticker advances the app every second, as runtime does live. After a
`/开团`, 300 members order in one group, three ways:

- one a second: a plain "草莓2盒" each, for 5 minutes;
- all within 30 s: the same, a burst;
- spread over 3 h: at random times over three hours, as a real drop trickles in. Four in five
  copy the 接龙 list the group shows and add their line (taken as written, so her copy is the
  record and needs no acknowledgement); the others write a plain order, one in twenty of them
  one the bot must ask about ("+1" with two products). 砂糖橘 is limited and sells out three
  boxes before the demand, so the last few wanting it are waitlisted;
- the same, with copiers who copy the list as it was 5-30 s before they post (typing), so copies
  fork and the bot owes the group its merged list.

For scale (not in the budget) the same trickle with one in two copying and with nobody copying.

Counted: the bot's messages in the group after the `/开团` posts (acknowledgements, merged
lists, alone or inside an acknowledgement, the sold-out notice; the owner's private notes are
listed apart), and for each member
told something, the time from her order to the message that @-mentions her: an exception
(waitlisted, asked) is promised within 60 s, anything else within 5 minutes. Targets (issue
26): at most 15 messages for the first two, 30 for the spreads. The last line reads
`acks: one a second N, all within 30 s M, spread over 3 h S bot messages for 300 orders,
longest wait W s, exceptions within E s`.

    python bench/ack_volume.py [--orders 300] [--seed 26]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
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
OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱{limit}\n截单 11-21 20:00"
OWNER = Member("wx_owner", "王姐(团长)")
FIRST_ORDER = timedelta(seconds=10)
ROOM = "r1"
ROUTINE_PROMISE = 300.0
URGENT_PROMISE = 60.0


@dataclass
class Order:
    at: datetime
    member: Member
    text: str = ""  # a plain order; empty for a copy
    item: str = ""  # a copy's line item ("草莓2盒")
    typing: float = 0.0  # a copier copies the list as it was this many seconds before she posts


@dataclass
class Result:
    label: str
    orders: int
    copies: int
    spread: float  # seconds from first to last order
    group: int  # bot messages in the group after the /开团 posts
    private: int  # the owner's private notes meanwhile
    acks: int  # of the group's messages, those carrying acknowledgements
    merged_lists: int
    merged_riding: int  # of the merged lists, those inside an acknowledgement
    routine: list[float] = field(default_factory=list)  # per member told "taken as written": seconds waited
    exceptions: list[float] = field(default_factory=list)  # per member told something not as she wrote
    limits_held: bool = True
    dropped: int = 0
    # How long the latest list in the group lacked someone's line (a fork members copied on from).
    forked_for: float = 0.0
    longest_fork: float = 0.0


def _limits_held(sent: list[tuple[datetime, Outgoing]], limits: SendLimits) -> bool:
    times = [t for t, _ in sent]
    for i, t in enumerate(times):
        if sum(1 for s in times[: i + 1] if (t - s).total_seconds() < 60 - 1e-6) > limits.per_account_per_minute:
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


_NUMBERED = re.compile(r"^(\d+)[.、]\s*(.*)$")


def _extend(base: str, line: str) -> str:
    """The list `base` as a member copies it, with her line added at the end."""
    lines = base.rstrip("\n").split("\n")
    if lines and (m := _NUMBERED.match(lines[-1])) and not m.group(2).strip():
        lines.pop()  # the empty slot the bot's list ends with
    numbers = [int(m.group(1)) for ln in lines if (m := _NUMBERED.match(ln))]
    return "\n".join([*lines, f"{max(numbers, default=0) + 1}. {line}"])


def _list_in(text: str) -> str | None:
    """The 接龙 list a message shows (the bot's list, its merged list, a member's copy)."""
    at = text.find("#接龙")
    return text[at:] if at >= 0 else None


def _forks(lists: list[tuple[datetime, str]], end: datetime) -> tuple[float, float]:
    """(seconds in all, longest stretch) during which the latest list shown in the group lacked a line
    some earlier list showed."""
    known: set[str] = set()
    since: datetime | None = None
    total = longest = 0.0
    for at, text in lists:
        lines = {m.group(2).strip() for ln in text.split("\n") if (m := _NUMBERED.match(ln)) and m.group(2).strip()}
        known |= lines
        if lines < known and since is None:
            since = at
        elif lines >= known and since is not None:
            total, longest = total + (at - since).total_seconds(), max(longest, (at - since).total_seconds())
            since = None
    if since is not None:
        total, longest = total + (end - since).total_seconds(), max(longest, (end - since).total_seconds())
    return total, longest


def _acks_in(out: Outgoing) -> bool:
    """The message carries acknowledgements (alone, or with the merged list under them)."""
    return out.mergeable or (bool(out.mentions) and out.text.startswith("@"))


def _exception(told: str) -> bool:
    """An acknowledgement line that says something other than "taken as you wrote it"."""
    return not told.startswith("已记录") or "；" in told


async def run(label: str, folder: Path, orders: list[Order], limits: SendLimits, seed: int, *,
              stock: int | None = None) -> Result:
    """`stock`: 砂糖橘's 限量 (None: unlimited)."""
    db = await Database.open(folder / f"{label}.sqlite")
    clock = ManualClock(START)
    timer = ManualSleep(clock, unseen=db.settled)
    sent: list[tuple[datetime, Outgoing]] = []
    lists: list[tuple[datetime, str]] = []  # every list the group was shown, in time order

    async def transport_send(out: Outgoing) -> None:
        sent.append((clock.now(), out))
        if out.room_id == ROOM and (shown := _list_in(out.text)) is not None:
            lists.append((clock.now(), shown))

    queue = OutboundQueue(transport_send, clock, limits, sleep=timer.sleep, rng=random.Random(seed))
    app = App(Services.build(db, Settings()), clock, queue, build_dispatcher())
    worker = asyncio.create_task(queue.run())
    try:
        await app.on_event(RoomSeen(RoomInfo(ROOM, "阳光花园水果团购群", OWNER.id, (OWNER,))))
        timeline: list[tuple[datetime, int, Event | Order]] = [
            (START, 0, Message(id="open", ts=START, sender=OWNER, room_id=ROOM,
                               text=OPEN.format(limit=f" 限量{stock}" if stock is not None else "")))]
        timeline += [(o.at, 0, o) for o in orders]
        last_order = max(o.at for o in orders)
        # The live ticker: timed work (the acknowledgement window) runs once a second.
        second = 1
        while START + timedelta(seconds=second) <= last_order:
            timeline.append((START + timedelta(seconds=second), 1, Tick(START + timedelta(seconds=second))))
            second += 1
        timeline.sort(key=lambda te: (te[0], te[1]))  # a message before the tick of the same second

        opening: int | None = None
        for n, (ts, _, item) in enumerate(timeline):
            await timer.advance_to(ts)
            if isinstance(item, Order):
                if opening is None:
                    opening = len(sent)  # the /开团's announcement and list went out before the first order
                text = item.text
                if not text:
                    seen = [shown for at, shown in lists if at <= ts - timedelta(seconds=item.typing)]
                    text = _extend(seen[-1] if seen else lists[0][1], item.item)
                    lists.append((ts, text))
                await app.on_event(Message(id=f"o{n}", ts=ts, sender=item.member, text=text, room_id=ROOM))
            else:
                await app.on_event(item)
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

    after = sent[opening or 0:]
    group = [(t, out) for t, out in after if out.room_id == ROOM]
    result = Result(label=label, orders=len(orders), copies=sum(1 for o in orders if not o.text),
                    spread=(last_order - START - FIRST_ORDER).total_seconds(), group=len(group),
                    private=len(after) - len(group), acks=sum(1 for _, out in group if _acks_in(out)),
                    merged_lists=sum(1 for _, out in group if "最新的接龙" in out.text),
                    merged_riding=sum(1 for _, out in group if "最新的接龙" in out.text and _acks_in(out)),
                    limits_held=_limits_held(sent, limits), dropped=queue.dropped)
    result.forked_for, result.longest_fork = _forks(lists, last_order)
    ordered = {o.member.id: o.at for o in orders}
    for t, out in group:
        lines = [ln for ln in out.text.split("\n") if ln.startswith("@")]
        for member, line in zip(out.mentions, lines, strict=False):
            if member not in ordered:
                continue
            wait = (t - ordered.pop(member)).total_seconds()
            (result.exceptions if _exception(line.split(" ", 1)[1]) else result.routine).append(wait)
    return result


def steady(orders: int, spacing: float) -> list[Order]:
    return [Order(START + FIRST_ORDER + timedelta(seconds=i * spacing), Member(f"wx_m{i:03d}", f"团员{i:03d}"),
                  text="草莓2盒") for i in range(orders)]


@dataclass
class Trickle:
    orders: list[Order]
    stock: int  # 砂糖橘's 限量: the last few boxes wanted are waitlisted


def spread(orders: int, hours: float, seed: int, *, copying: float = 0.8, asked: float = 0.05,
           short: int = 3, typing: tuple[float, float] = (0.0, 0.0)) -> Trickle:
    """A drop trickling in at random times. `copying`: the share who copy the list the group shows and add
    their line; the others write a plain order, `asked` of them one the bot must ask about ("+1" with
    two products). 砂糖橘 sells out `short` boxes before the demand. `typing`: a copier copies the list
    as it was this many seconds (drawn) before she posts, so copies fork."""
    rng = random.Random(seed)
    times = sorted(rng.uniform(0, hours * 3600) for _ in range(orders))
    out = []
    for i, offset in enumerate(times):
        member = Member(f"wx_m{i:03d}", f"团员{i:03d}")
        at = START + FIRST_ORDER + timedelta(seconds=round(offset))
        want = rng.choice(["草莓1盒", "草莓2盒", "砂糖橘1箱", "草莓1盒 砂糖橘1箱"])
        if rng.random() < copying:
            house = f"{rng.randint(1, 12)}-{rng.randint(1, 30)}{rng.randint(1, 4):02d}"
            out.append(Order(at, member, item=f"{house} {member.name} {want}", typing=rng.uniform(*typing)))
        else:
            out.append(Order(at, member, text="+1" if rng.random() < asked else want))
    demand = sum("砂糖橘" in (o.text or o.item) for o in out)
    return Trickle(out, max(demand - short, 1))


def _report(r: Result) -> None:
    waits = r.routine + r.exceptions
    print(f"{r.label}: {r.orders} orders over {r.spread:.0f} s ({r.copies} 接龙 copies)")
    others = r.group - r.acks - r.merged_lists + r.merged_riding
    print(f"  the group got {r.group} bot messages: {r.acks} acknowledgements, {r.merged_lists} merged lists "
          f"({r.merged_riding} of them inside an acknowledgement), {others} others; the owner {r.private} private "
          f"notes; dropped {r.dropped}")
    if waits:
        p90 = sorted(waits)[int(0.9 * (len(waits) - 1))]
        print(f"  {len(r.routine)} told their order counted: median {statistics.median(r.routine or [0]):.0f} s, "
              f"p90 {p90:.0f} s, longest {max(r.routine or [0]):.0f} s (promised {ROUTINE_PROMISE:.0f})")
    if r.exceptions:
        print(f"  {len(r.exceptions)} told something not as they wrote: longest {max(r.exceptions):.0f} s "
              f"(promised {URGENT_PROMISE:.0f})")
    if r.forked_for:
        print(f"  the latest list in the group lacked someone's line for {r.forked_for / 60:.0f} min of "
              f"{r.spread / 60:.0f} (longest {r.longest_fork / 60:.0f} min)")
    print(f"  limits held: {'yes' if r.limits_held else 'NO'}")


async def main(orders: int, seed: int) -> None:
    limits = SendLimits()
    print(f"python {sys.version.split()[0]}, seed {seed}, default limits: {limits}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        slow = await run("one order a second", folder, steady(orders, 1.0), limits, seed)
        _report(slow)
        fast = await run("all within 30 s", folder, steady(orders, 30.0 / orders), limits, seed)
        _report(fast)
        drop = spread(orders, 3.0, seed)
        trickle = await run("spread over 3 h", folder, drop.orders, limits, seed, stock=drop.stock)
        _report(trickle)
        forking = spread(orders, 3.0, seed, typing=(5, 30))
        forks = await run("spread over 3 h, copiers typing 5-30 s", folder, forking.orders, limits, seed,
                          stock=forking.stock)
        _report(forks)
        # For scale, not in the budget: the same trickle with fewer copiers.
        for label, variant in (("spread over 3 h, 1 in 2 copying", spread(orders, 3.0, seed, copying=0.5)),
                               ("spread over 3 h, nobody copying", spread(orders, 3.0, seed, copying=0.0))):
            other = await run(label, folder, variant.orders, limits, seed, stock=variant.stock)
            print(f"{label}: the group got {other.group} bot messages ({other.acks} acknowledgements, "
                  f"{other.merged_lists} merged lists); longest wait {max(other.routine + other.exceptions):.0f} s")
    results = (slow, fast, trickle, forks)
    longest = max(max(r.routine + r.exceptions, default=0.0) for r in results)
    exceptions = max(max(r.exceptions, default=0.0) for r in results)
    print(f"acks: one a second {slow.group}, all within 30 s {fast.group}, spread over 3 h {trickle.group} "
          f"bot messages for {orders} orders, longest wait {longest:.0f} s, exceptions within {exceptions:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--seed", type=int, default=26)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.seed))
