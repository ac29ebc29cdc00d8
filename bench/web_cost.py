"""What the pickup-day page costs the bot (bot/web/).

1. The page of a 300-member campaign, rendered on the server: the view read from the book and
   the HTML drawn (median and p95 of repeated renders), and a whole request over HTTP.
2. The bot's message latency while the page is used: a busy chat (20 groups of 300 copying their
   接龙 lists, 30 messages a second) while another process (two phones with the list open, each
   with its live stream) ticks the page 20 times a second. Latency is from a message's arrival
   to its commit and hand-over, so time spent waiting behind a tick counts.
   a) interleaved: one run, the ticking on and off in 5-second windows, so both halves share
      whatever else the machine is doing (this machine is shared); p99 of each half;
   b) separate runs: the same chat with no page served at all, then with the page and the ticks
      (alternating rounds; medians of their p99s). Noisier on a busy machine.

    python bench/web_cost.py            # about 4 minutes
    python bench/web_cost.py --quick    # a few seconds: shows it works

Last line: `web: page N ms, p99 X ms without, Y ms with 20 ticks/s (ratio R)` (the interleaved run).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from bench.run import HEADER, ChatLoad, _pct
from bot.models import Member, Message, RoomInfo, RoomSeen
from bot.web.auth import SESSION_COOKIE
from bot.web.pages import list_html
from bot.web.reach import reach_of
from bot.web.server import SESSION_VALID, WEB, make_app
from bot.web.views import pickup_view

PICKUP_ROOM = "pickup"
OPEN = "/开团 周六鲜果团\nA. 丹东草莓 30元/盒\nB. 砂糖橘 25元/箱\nC. 鸡蛋 15元/板\n自提 东门快递柜"


async def pickup_campaign(chat: ChatLoad, members: int) -> int:
    """A closed campaign of `members` buyers in buildings and rooms, with its pickup notice sent."""
    people = [Member(f"pk{i}", f"邻居{i}") for i in range(members)]
    await chat.app.on_event(RoomSeen(RoomInfo(PICKUP_ROOM, "取货群", "owner", (Member("owner", "团长"), *people))))
    await chat.say(PICKUP_ROOM, "owner", OPEN)
    for i, p in enumerate(people):
        line = f"1. {i % 12 + 1}-{(i % 30 + 1) * 100 + i % 4 + 1} {p.name} 丹东草莓{i % 3 + 1}盒" + \
            (" 砂糖橘1箱" if i % 4 == 0 else "")
        await chat.say(PICKUP_ROOM, p.id, HEADER + line)
    await chat.say(PICKUP_ROOM, "owner", "/截单")
    await chat.say(PICKUP_ROOM, "owner", "/到货")
    campaign = await chat.svc.campaigns.latest_in(PICKUP_ROOM)
    assert campaign is not None
    return campaign.id


async def render_cost(chat: ChatLoad, campaign_id: int, times: int) -> tuple[float, float, float]:
    """(median, p95) ms of reading the view and drawing the page, as the handler does, and the median
    CPU ms of it (both threads: the loop's and the database's; steadier on a shared machine)."""
    app = make_app(chat.app, "http://127.0.0.1")
    ctx = app[WEB]
    me = await reach_of(chat.svc, "owner")
    campaign = await chat.svc.campaigns.get(campaign_id)
    assert campaign is not None
    took = []
    cpu = []
    for _ in range(times):
        t, c = time.perf_counter(), time.process_time()
        view = await pickup_view(chat.svc, me, campaign, False)
        html = ctx.render("pickup.html", view=view, me=me, targets=[], csrf="x", list_html=list_html(ctx, view),
                          version=0, query="")
        took.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert len(view.rows) >= 300 and "</html>" in html
    return statistics.median(took), _pct(took, 0.95), statistics.median(cpu)


async def login(chat: ChatLoad) -> tuple[str, str]:
    """(cookie, csrf) of an owner's session, made as the /后台 link's POST makes it."""
    async with chat.db.transaction():
        token = chat.svc.web.add_link("owner", chat.clock.now(), timedelta(minutes=10))
    opened = await chat.svc.web.use_link(token, chat.clock.now(), SESSION_VALID)
    assert opened is not None
    return opened[0], opened[1].csrf


def _texts(chat: ChatLoad) -> list[tuple[str, str, str]]:
    """The chat's messages in arrival order: every group in turn, until everyone has spoken."""
    out = []
    live = [g for g in chat.rooms]
    while live:
        for g in list(live):
            nxt = g.next_text()
            if nxt is None:
                live.remove(g)
                continue
            out.append((g.room, *nxt))
    return out


# Wall-clock origin of the on/off windows, shared with the ticker process.
EPOCH = time.time()
ARRIVALS: list[float] = []  # when each paced message arrived (time.time()), for the interleaved split


async def paced(chat: ChatLoad, texts: list[tuple[str, str, str]], rate: float, seconds: float) -> list[float]:
    """Sends the chat at `rate` messages a second; each latency from its arrival time to its hand-over."""
    latencies: list[float] = []
    ARRIVALS.clear()
    for room in {r for r, _, _ in texts}:
        await chat.say(room, "owner", OPEN)
    start = time.perf_counter()
    for i, (room, member, text) in enumerate(texts[: int(rate * seconds)]):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        chat.n += 1
        chat.now += timedelta(milliseconds=50)
        msg = Message(id=f"p{chat.n}", ts=chat.now, sender=Member(member, member), text=text, room_id=room)
        ARRIVALS.append(time.time() - (time.perf_counter() - due))
        await chat.app.on_event(msg)
        latencies.append(time.perf_counter() - due)
    return latencies


TICKER = r"""
import asyncio, json, secrets, sys, time
from aiohttp import ClientSession, ClientTimeout
async def main():
    cfg = json.loads(sys.stdin.read())
    headers = {"Accept": "application/json", "X-CSRF-Token": cfg["csrf"]}
    cookies = {cfg["cookie_name"]: cfg["cookie"]}
    async with ClientSession(cfg["url"], cookies=cookies, timeout=ClientTimeout(total=30)) as s:
        streams = [await s.get("/pickup/live", params={"view": cfg["view"], "since": "-1"}) for _ in range(2)]
        async def drain(r):
            async for _ in r.content.iter_any():
                pass
        readers = [asyncio.ensure_future(drain(r)) for r in streams]
        start, i, keys, done = time.perf_counter(), 0, cfg["keys"], 0
        window, epoch = cfg["window"], cfg["epoch"]
        while time.perf_counter() - start < cfg["seconds"]:
            due = start + i / cfg["rate"]
            if due > time.perf_counter():
                await asyncio.sleep(due - time.perf_counter())
            if window and int((time.time() - epoch) // window) % 2 == 0:
                i += 1
                continue  # an "off" window: the page is open, nobody ticks
            key = keys[(i // 2) % len(keys)]
            path = "/pickup/tick" if i % 2 == 0 else "/pickup/untick"
            r = await s.post(path, data={"key": key, "view": cfg["view"], "tap": secrets.token_urlsafe(12)},
                             headers=headers)
            assert r.status == 200, r.status
            await r.read()
            done += 1
            i += 1
        for t in readers:
            t.cancel()
        print(json.dumps({"ticks": done, "seconds": time.perf_counter() - start, "cpu": time.process_time()}))
asyncio.run(main())
"""


async def with_page(chat: ChatLoad, campaign_id: int, texts: list[tuple[str, str, str]], rate: float,
                    seconds: float, ticks: float, window: float = 0.0) -> tuple[list[float], dict[str, float]]:
    """The paced chat while another process ticks the page `ticks` times a second (with `window`, only
    in every other window of that many seconds, counted from `EPOCH`)."""
    app = make_app(chat.app, "http://127.0.0.1")
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    cookie, csrf = await login(chat)
    keys = [f"{campaign_id}:pk{i}" for i in range(0, 300, 7)]
    cfg = {"url": f"http://127.0.0.1:{port}", "cookie_name": SESSION_COOKIE, "cookie": cookie, "csrf": csrf,
           "view": f"/pickup/c/{campaign_id}", "keys": keys, "rate": ticks, "seconds": seconds,
           "window": window, "epoch": EPOCH}
    # The ticker stands in for phones on the Wi-Fi: here it shares the bot's machine, so it runs at the
    # lowest priority and its own CPU is counted apart (what a phone spends is not the bot's cost).
    ticker = await asyncio.create_subprocess_exec(sys.executable, "-c", TICKER, stdin=subprocess.PIPE,
                                                  stdout=subprocess.PIPE, env={**os.environ},
                                                  preexec_fn=lambda: os.nice(19))
    assert ticker.stdin is not None
    ticker.stdin.write(json.dumps(cfg).encode())
    ticker.stdin.close()
    await asyncio.sleep(1.0)  # the ticker's interpreter starts and opens its two live streams
    latencies = await paced(chat, texts, rate, seconds - 2)
    out, _ = await ticker.communicate()
    await runner.cleanup()
    return latencies, json.loads(out.decode().strip().splitlines()[-1])


async def one_round(folder: Path, n: int, page: bool, groups: int, members: int, rate: float, seconds: float,
                    ticks: float) -> list[float]:
    chat = await ChatLoad.start(folder / f"r{n}.sqlite", groups, members, 20261206)
    try:
        campaign_id = await pickup_campaign(chat, 300)
        texts = _texts(chat)
        if page:
            latencies, ticked = await with_page(chat, campaign_id, texts, rate, seconds, ticks)
            print(f"  with the page: {ticked['ticks']} ticks in {ticked['seconds']:.1f} s "
                  f"({ticked['ticks'] / ticked['seconds']:.1f}/s)")
        else:
            await asyncio.sleep(1.0)  # the same start as a round with the page
            latencies = await paced(chat, texts, rate, seconds - 2)
        await chat.drain()
    finally:
        await chat.stop()
        await chat.db.close()
    return latencies


async def _sample_cpu(samples: list[tuple[float, float]]) -> None:
    """The bot process's CPU time (both threads), four times a second: what the ticking costs it."""
    while True:
        samples.append((time.time(), time.process_time()))
        await asyncio.sleep(0.25)


def _on(at: float, window: float) -> bool:
    return int((at - EPOCH) // window) % 2 == 1


async def interleaved(folder: Path, groups: int, members: int, rate: float, seconds: float, ticks: float,
                      window: float) -> tuple[list[float], list[float], dict[str, float], float]:
    """One run, ticking in every other window: (latencies while nobody ticks, while ticking, the ticker's
    count, the bot's extra CPU ms per tick). A message within half a second of a switch belongs to neither."""
    chat = await ChatLoad.start(folder / "interleaved.sqlite", groups, members, 20261206)
    samples: list[tuple[float, float]] = []
    sampler = asyncio.ensure_future(_sample_cpu(samples))
    try:
        campaign_id = await pickup_campaign(chat, 300)
        latencies, ticked = await with_page(chat, campaign_id, _texts(chat), rate, seconds, ticks, window)
        await chat.drain()
    finally:
        sampler.cancel()
        await chat.stop()
        await chat.db.close()
    off: list[float] = []
    on: list[float] = []
    for arrived, latency in zip(ARRIVALS, latencies, strict=True):
        into = (arrived - EPOCH) % window
        if 0.5 < into < window - 0.5 - latency:
            (on if _on(arrived, window) else off).append(latency)
    # CPU seconds per wall second in each kind of window; the difference is what the ticks cost.
    spent = {True: [0.0, 0.0], False: [0.0, 0.0]}
    start = ARRIVALS[0] if ARRIVALS else 0.0
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        if t0 >= start and _on(t0, window) == _on(t1, window):
            spent[_on(t0, window)][0] += t1 - t0
            spent[_on(t0, window)][1] += c1 - c0
    rate_on = spent[True][1] / spent[True][0] if spent[True][0] else 0.0
    rate_off = spent[False][1] / spent[False][0] if spent[False][0] else 0.0
    return off, on, ticked, (rate_on - rate_off) / ticks * 1000


async def main(quick: bool) -> None:
    rate, seconds, rounds, ticks = (30.0, 12.0, 1, 20.0) if quick else (30.0, 40.0, 2, 20.0)
    groups, members = (4, 60) if quick else (20, 300)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        chat = await ChatLoad.start(folder / "render.sqlite", 1, 10, 1)
        try:
            campaign_id = await pickup_campaign(chat, 300)
            median_ms, p95_ms, cpu_ms = await render_cost(chat, campaign_id, 10 if quick else 50)
        finally:
            await chat.stop()
            await chat.db.close()
        print(f"pickup page of a 300-member campaign, server side: median {median_ms:.1f} ms, p95 {p95_ms:.1f} ms "
              f"(CPU {cpu_ms:.1f} ms)")
        off, on, ticked, tick_cpu = await interleaved(folder, groups, members, rate, seconds * (1 if quick else 3),
                                                      ticks, 5.0)
        a, b = _pct(off, 0.99) * 1000, _pct(on, 0.99) * 1000
        print(f"interleaved, 5 s windows: {ticked['ticks']} ticks; nobody ticking: {len(off)} messages, median "
              f"{statistics.median(off) * 1000:.2f} ms, p99 {a:.2f} ms; ticking {ticks:.0f}/s: {len(on)} messages, "
              f"median {statistics.median(on) * 1000:.2f} ms, p99 {b:.2f} ms (ratio {b / a:.2f})")
        print(f"the bot's CPU per tick (page and its two live streams): {tick_cpu:.2f} ms, "
              f"{tick_cpu * ticks / 10:.1f}% of a core at {ticks:.0f} ticks/s; the phones' stand-in (nice 19) "
              f"spent {ticked['cpu'] / max(ticked['ticks'], 1) * 1000:.2f} ms per tick")
        if quick:
            print(f"web: page {median_ms:.0f} ms, p99 {a:.2f} ms without, {b:.2f} ms with {ticks:.0f} ticks/s "
                  f"(ratio {b / a:.2f})")
            return
        without: list[float] = []
        with_: list[float] = []
        for r in range(rounds):
            for page in (False, True):
                lat = await one_round(folder, 2 * r + page, page, groups, members, rate, seconds, ticks)
                p99 = _pct(lat, 0.99) * 1000
                print(f"round {r + 1} {'with' if page else 'without'} the page: {len(lat)} messages at {rate:.0f}/s, "
                      f"median {statistics.median(lat) * 1000:.2f} ms, p99 {p99:.2f} ms, max {max(lat) * 1000:.1f} ms")
                (with_ if page else without).append(p99)
    apart, together = statistics.median(without), statistics.median(with_)
    print(f"separate runs, medians of the rounds' p99: {apart:.2f} ms without the page, {together:.2f} ms with it "
          f"(ratio {together / apart:.2f})")
    print(f"web: page {median_ms:.0f} ms, p99 {a:.2f} ms without, {b:.2f} ms with {ticks:.0f} ticks/s "
          f"(ratio {b / a:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run that only shows it works")
    asyncio.run(main(parser.parse_args().quick))
