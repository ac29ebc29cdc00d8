"""What matching a member's question costs against a group's 质量问答.

Builds 200 pairs (20 products x 10 topics, the last few swapped for general and free-form ones),
then times QuestionIndex.match on a mix of real phrasings — ones that match,
ones that must not, and 80-character rambles — and prints the median, p99 and
worst per question. Target: under 1 ms with 200 pairs. Also prints what one
question costs end to end through the app (parse, match, answer, commit).

    python bench/qa_cost.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.pipeline import App
from bot.clock import DEFAULT_TZ, ManualClock
from bot.domain.services import Services, Settings
from bot.models import Member, Message, Outgoing, RoomInfo, RoomSeen
from bot.parsing.question import QuestionIndex, read_pair
from bot.routers import build_dispatcher
from storage.db import Database

PRODUCTS = ["丹东草莓", "砂糖橘", "赣南脐橙", "阳光玫瑰", "红心火龙果", "海南芒果", "烟台苹果", "库尔勒香梨",
            "云南蓝莓", "智利车厘子", "泰国榴莲", "越南山竹", "四川丑橘", "广西沃柑", "新疆哈密瓜", "山东蜜薯",
            "黄心猕猴桃", "奉节脐橙", "台湾凤梨", "陕西冬枣"]
TOPICS = ["甜吗", "多少钱", "几号到货", "哪里产的", "保质期多久", "怎么保存", "多大个", "好吃吗", "有籽吗",
          "坏了怎么办"]
QUESTIONS = ["草莓甜不甜呀？", "这次的阳光玫瑰甜吗", "几号到", "哪天到货", "蓝莓能放多久", "榴莲坏了怎么办？",
             "苹果是哪里产的", "今天天气怎么样", "可以开发票吗", "车厘子多大个", "冬枣好吃吗",
             "团长，请问一下这次的新疆哈密瓜到底甜不甜，我家老人想吃但是怕不甜，如果不甜可以退吗？谢谢团长了哈哈",
             "几点截单？", "芒果什么时候到", "橘子甜吗", "猕猴桃有籽吗"]


def pairs() -> list[tuple[str, str]]:
    out = [(f"{p}{t}", f"{p}：{t}的回答") for p in PRODUCTS for t in TOPICS]
    out = out[:190] + [(q, f"回答{i}") for i, q in enumerate(
        ["可以开发票吗", "能送货上门吗", "怎么付款", "几点截单", "在哪里取货", "可以代收吗", "有优惠吗",
         "团长是哪个小区的", "可以拼单吗", "要提前付款吗"])]
    assert len(out) == 200
    return out


def bench_match(rounds: int) -> None:
    started = time.perf_counter()
    index = QuestionIndex(read_pair(i, q, a) for i, (q, a) in enumerate(pairs(), 1))
    build_ms = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            index.match(q, PRODUCTS[:5])
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"index of 200 pairs built in {build_ms:.2f} ms (once per group, until a pair changes)")
    print(f"match one question, 200 pairs: median {statistics.median(timings):.3f} ms, p99 {p99:.3f} ms, "
          f"max {timings[-1]:.3f} ms over {len(timings)} questions (target < 1 ms)")


async def _discard(out: Outgoing) -> None:
    pass


async def bench_app(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "qa.sqlite")
        start = datetime(2026, 11, 20, 8, 0, tzinfo=DEFAULT_TZ)
        clock = ManualClock(start)
        app = App(Services.build(db, Settings()), clock, _discard, build_dispatcher())
        owner = Member("wx_owner", "团长")
        await app.on_event(RoomSeen(RoomInfo("r1", "bench", owner.id, (owner,))))
        now = start
        n = 0

        async def say(who: Member, text: str) -> float:
            nonlocal now, n
            now += timedelta(seconds=5)
            n += 1
            t0 = time.perf_counter()
            await app.on_event(Message(id=f"b{n}", ts=now, sender=who, text=text, room_id="r1"))
            return (time.perf_counter() - t0) * 1000

        await say(owner, "/开团 周六水果团\n" + "\n".join(f"{p} 30元/盒" for p in PRODUCTS[:5]))
        for q, a in pairs():
            await say(owner, f"/问答 {q} = {a}")
        timings = sorted([await say(Member(f"wx_{i}", f"团员{i}"), QUESTIONS[i % len(QUESTIONS)])
                          for i in range(rounds)])
        await db.close()
    print(f"a question through the app (match, answer or forward, commit): median "
          f"{statistics.median(timings):.2f} ms, p99 {timings[int(len(timings) * 0.99) - 1]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    bench_match(args.rounds)
    asyncio.run(bench_app(args.rounds))


if __name__ == "__main__":
    main()
