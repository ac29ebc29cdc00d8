"""The merged 接龙 when copies fork: said only while a fork lasts, inside an acknowledgement the group
gets anyway when there is one, alone otherwise, and less often while forks keep coming (README "A
quiet group")."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.harness import FRUIT, HEADER, Harness, OpenBot, copy, replay

MERGED = "最新的接龙"


def merged_lists(bot: Harness) -> list[tuple[datetime, str]]:
    return [(at, o.text) for at, o in bot.transport.sent if o.room_id == "r1" and MERGED in o.text]


async def forked(bot: Harness) -> datetime:
    """张三 copies; 李四 and 王五 copy that same version at once: 王五's copy lacks 李四's line."""
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"))
    await bot.say("wx_li", copy("3-502 张三 草莓1盒", "7-1101 李四 草莓2盒"))
    bot.take()
    await bot.say("wx_wang", copy("3-502 张三 草莓1盒", "5-101 王五 砂糖橘1箱"), after=5)
    return bot.now


@pytest.mark.parametrize("healed_by", [
    # 李四 sees her line gone from the latest copy and posts it again with her line.
    ("wx_li", copy("3-502 张三 草莓1盒", "5-101 王五 砂糖橘1箱", "7-1101 李四 草莓2盒")),
    # The next one to copy puts both in: her copy already carries everything.
    ("wx_zhao", copy("3-502 张三 草莓1盒", "7-1101 李四 草莓2盒", "5-101 王五 砂糖橘1箱", "2-202 赵六 草莓1盒")),
])
async def test_a_fork_that_heals_by_itself_posts_no_merged_list(bot: Harness, healed_by: tuple[str, str]) -> None:
    await forked(bot)
    await bot.say(*healed_by, after=60)
    await bot.wait(2 * 3600)
    assert merged_lists(bot) == []
    assert bot.texts() == []  # every copy was taken as written: the group heard nothing at all
    book = await bot.book()
    assert book[("wx_li", "草莓")] == 2 and book[("wx_wang", "砂糖橘")] == 1 and book[("wx_zhang", "草莓")] == 1


async def test_a_fork_that_lasts_posts_the_merged_list_once(bot: Harness) -> None:
    fork = await forked(bot)
    # The next copier copies the latest copy, so the fork goes on; nobody re-posts the whole list.
    await bot.say("wx_zhao", copy("3-502 张三 草莓1盒", "5-101 王五 砂糖橘1箱", "2-202 赵六 草莓1盒"), after=60)
    await bot.wait(8 * 60)
    assert merged_lists(bot) == []  # nine minutes on, a fork may still heal: nothing yet
    await bot.wait(2 * 3600)
    ((at, text),) = merged_lists(bot)
    assert at == fork + timedelta(minutes=10)  # no acknowledgement was due to carry it: alone
    assert text.startswith("有人复制了旧版本的接龙，大家的订单都在。请从这份最新的接龙继续：\n\n#接龙")
    assert "1. 3-502 张三 草莓1盒\n2. 7-1101 李四 草莓2盒\n3. 5-101 王五 砂糖橘1箱\n4. 2-202 赵六 草莓1盒" in text


async def test_a_lasting_fork_rides_in_the_acknowledgement_due_anyway(bot: Harness) -> None:
    fork = await forked(bot)
    await bot.say("wx_zhao", "草莓1盒", after=60)  # a plain order: acknowledged within the 5 minutes
    await bot.wait(3600)
    ((at, out),) = [(at, o) for at, o in bot.transport.sent if o.room_id == "r1"]
    assert at == fork + timedelta(seconds=60 + 290)
    ack, listed = out.text.split("\n\n", 1)
    assert ack == "@赵六 已记录：草莓×1，共¥30" and out.mentions == ("wx_zhao",)
    assert listed.startswith("有人复制了旧版本的接龙") and "2. 7-1101 李四 草莓2盒\n3. 5-101 王五 砂糖橘1箱" in listed


async def test_an_acknowledgement_before_the_fork_has_lasted_does_not_carry_it(bot: Harness) -> None:
    await forked(bot)
    await bot.say("wx_zhao", "+1", after=5)  # which product? She is asked within the minute
    await bot.wait(60)
    (asked,) = bot.texts()
    assert asked.startswith("@赵六") and MERGED not in asked  # the fork may still heal
    # And it does: 李四 posts the latest copy again with her line.
    await bot.say("wx_li", copy("3-502 张三 草莓1盒", "5-101 王五 砂糖橘1箱", "7-1101 李四 草莓2盒"), after=60)
    await bot.wait(3600)
    assert merged_lists(bot) == []


async def test_a_member_copying_the_acknowledgement_with_the_list_orders_only_her_own_line(bot: Harness) -> None:
    await forked(bot)
    await bot.say("wx_zhao", "草莓1盒", after=60)
    await bot.wait(3600)
    (message,) = bot.texts()
    # She copies the whole message, acknowledgement and all, and adds her line at the end.
    await bot.say("wx_qian", f"{message}\n5. 8-808 钱七 砂糖橘2箱", name="钱七")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 1, ("wx_li", "草莓"): 2, ("wx_wang", "砂糖橘"): 1,
                                ("wx_zhao", "草莓"): 1, ("wx_qian", "砂糖橘"): 2}


def extend(shown: str, line: str) -> str:
    """The list `shown` as a member copies it (from its #接龙 on), with her line added at the end."""
    lines = shown[shown.index("#接龙"):].rstrip("\n").split("\n")
    if re.fullmatch(r"1\.\s*", lines[-1]):
        lines.pop()  # the empty slot the bot's own list ends with
    numbers = [int(m.group(1)) for ln in lines if (m := re.match(r"(\d+)\. ", ln))]
    return "\n".join([*lines, f"{max(numbers, default=0) + 1}. {line}"])


async def test_a_steady_stream_of_forks_posts_at_most_two_merged_lists_an_hour(bot: Harness) -> None:
    await bot.say("wx_owner", FRUIT)
    shown = [bot.texts()[-1]]  # every list the group has seen, in order: the bot's and the copies
    heard = len(bot.texts())
    for i in range(90):  # three hours, a copy every two minutes, each made from the list before the latest
        text = extend(shown[-2] if len(shown) > 1 else shown[-1], f"{i + 1}-101 团员{i} 草莓1盒")
        await bot.say(f"wx_m{i}", text, name=f"团员{i}", after=120)
        shown += [t for t in bot.texts()[heard:] if "#接龙" in t] + [text]
        heard = len(bot.texts())
    await bot.wait(3600)
    times = [at for at, _ in merged_lists(bot)]
    assert len(times) >= 3  # the fork is there all along: now and then the list to continue from
    assert max(sum(1 for t in times if start <= t < start + timedelta(hours=1)) for start in times) <= 2
    assert len(await bot.book()) == 90


async def test_a_noted_fork_survives_a_restart(open_bot: OpenBot) -> None:
    bot = await open_bot()
    fork = await forked(bot)
    await bot.close()
    again = await open_bot()
    again.now = fork + timedelta(minutes=1)
    await again.wait(3600)
    ((at, text),) = merged_lists(again)
    assert at == fork + timedelta(minutes=10) and "7-1101 李四 草莓2盒" in text


def test_a_replay_says_the_merged_list_on_the_transcripts_time(tmp_path: Path) -> None:
    def message(n: int, ts: str, member: str, name: str, text: str) -> dict[str, str]:
        return {"kind": "message", "id": f"m{n}", "ts": f"2026-11-20T{ts}+08:00", "room": "r1", "from": member,
                "name": name, "text": text}

    lines = [{"kind": "room", "room": "r1", "topic": "阳光花园水果团购群", "owner": "wx_owner",
              "members": {"wx_owner": "王姐", "wx_zhang": "张三", "wx_li": "李四", "wx_wang": "王五"}},
             message(1, "08:00:00", "wx_owner", "王姐", FRUIT),
             message(2, "08:01:00", "wx_zhang", "张三", HEADER + "1. 张三 草莓1盒"),
             message(3, "08:02:00", "wx_li", "李四", HEADER + "1. 张三 草莓1盒\n2. 李四 草莓2盒"),
             message(4, "08:02:10", "wx_wang", "王五", HEADER + "1. 张三 草莓1盒\n2. 王五 砂糖橘1箱"),
             {"kind": "tick", "ts": "2026-11-20T09:00:00+08:00"}]
    transcript = tmp_path / "chat.jsonl"
    transcript.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    said = [x for x in replay(transcript, tmp_path / "r.sqlite") if MERGED in x["text"]]
    assert [x["ts"][11:19] for x in said] == ["08:12:10"]


async def test_each_group_keeps_its_own_merged_list_rhythm(bot: Harness) -> None:
    # The merged list's schedule is remembered per group (storage/schedules.py): one group's list
    # running must neither hide another group's fork nor make a group forget the list it just said.
    fork = await forked(bot)
    await bot.wait(15 * 60)
    assert [at for at, _ in merged_lists(bot)] == [fork + timedelta(minutes=10)]
    # A second group's first fork waits the ordinary ten minutes, whatever the first group did.
    await bot.room("r2")
    await bot.say("wx_owner", FRUIT, room="r2")
    await bot.say("wx_zhang", copy("3-502 张三 草莓1盒"), room="r2")
    await bot.say("wx_li", copy("3-502 张三 草莓1盒", "7-1101 李四 草莓2盒"), room="r2")
    await bot.say("wx_wang", copy("3-502 张三 草莓1盒", "5-101 王五 砂糖橘1箱"), room="r2", after=5)
    second_group = bot.now
    # The first group forks again within the hour: its second list waits twice as long.
    await bot.say("wx_zhao", copy("3-502 张三 草莓1盒", "2-202 赵六 草莓1盒"), after=60)
    again = bot.now
    await bot.wait(2 * 3600)
    assert [at for at, _ in merged_lists(bot)] == [fork + timedelta(minutes=10), again + timedelta(minutes=20)]
    elsewhere = [at for at, o in bot.transport.sent if o.room_id == "r2" and MERGED in o.text]
    assert elsewhere == [second_group + timedelta(minutes=10)]
