"""A line under a member's row is that row carried on, never the poster's: a pipe table's row with
empty cells continues the row above it, and a line an earlier copy could not place is never booked
to whoever reposts the list later."""

from __future__ import annotations

import pytest

from tests.conversation.people import with_people
from tests.harness import Harness

HOTPOT = ("/开团 火锅食材团\nA. 手打鱼丸 30元/袋\nB. 虾滑 40元/盒\nC. 肥牛卷 55元/盒\nD. 菠菜 8元/份\n"
          "截单 11-21 20:00")
DINERS = {"wx_mei": "小梅", "wx_hu": "老胡", "wx_lan": "阿兰", "wx_mia": "Mia", "wx_tao": "桃子",
          "wx_jun": "阿军", "wx_fang": "芳芳"}
TOP = "#接龙 火锅食材团\n------------------\n｜序号｜房号｜名字｜下单｜\n"
ROWS = ["｜1｜9-1101｜小梅｜A×2 D×1｜", "｜2｜9-1203｜老胡｜C×1｜", "｜3｜6-702｜阿兰｜B×1 C×2｜",
        "｜4｜3-1602｜Mia｜A×1 B×1｜\n｜ ｜ ｜ ｜D×2｜"]
MORE = ["｜5｜2-301｜桃子｜A×1｜", "｜6｜2-502｜阿军｜C×2｜", "｜7｜8-801｜芳芳｜B×2｜"]
END = "\n------------------"


def table(rows: list[str]) -> str:
    return TOP + "\n".join(rows) + END


@pytest.fixture
async def hotpot(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return await with_people(bot, monkeypatch, DINERS, "绿城火锅团购群", HOTPOT)


def mine(book: dict[tuple[str, str], int], member: str) -> dict[str, int]:
    return {p: q for (m, p), q in book.items() if m == member}


async def test_an_empty_celled_row_carries_on_the_row_above_and_a_repost_never_takes_it(hotpot: Harness) -> None:
    bot = hotpot
    for i, who in enumerate(["wx_mei", "wx_hu", "wx_lan", "wx_mia"]):
        await bot.say(who, table(ROWS[: i + 1]))
    await bot.settle()
    book = await bot.book()
    assert mine(book, "wx_mia") == {"手打鱼丸": 1, "虾滑": 1, "菠菜": 2}
    assert "Mia" not in "\n".join(bot.private())
    for i, who in enumerate(["wx_tao", "wx_jun", "wx_fang"]):
        await bot.say(who, table(ROWS + MORE[: i + 1]))
    changed = [*ROWS[:2], "｜3｜6-702｜阿兰｜B×1 C×1｜", *ROWS[3:], *MORE]
    await bot.say("wx_lan", "改下我的👇\n" + table(changed))
    await bot.settle()
    book = await bot.book()
    assert mine(book, "wx_lan") == {"虾滑": 1, "肥牛卷": 1}
    assert mine(book, "wx_mia") == {"手打鱼丸": 1, "虾滑": 1, "菠菜": 2}


BULLETS = "【火锅食材团】\n• 9-1101 小梅 A×2 D×1\n• 6-702 阿兰 B×1 C×2\n• 3-1602 Mia A×1 B×1\n• D×2\n"


async def test_a_line_no_copy_could_place_is_never_booked_to_a_member_who_changes_her_row(hotpot: Harness) -> None:
    bot = hotpot
    await bot.say("wx_mei", BULLETS.split("• 6-702")[0])
    await bot.say("wx_lan", BULLETS.split("• 3-1602")[0])
    await bot.say("wx_mia", BULLETS.split("• D×2")[0])
    # 桃子's copy carries a bare "D×2" under Mia's row, not at its end: nobody can say whose it is.
    await bot.say("wx_tao", BULLETS + "• 2-301 桃子 A×1")
    await bot.settle()
    assert "D×2" in "\n".join(bot.private())
    # 阿兰 changes her row and reposts the list, D×2 and all: it is not hers.
    await bot.say("wx_lan", "改下我的👇\n" + BULLETS.replace("B×1 C×2", "B×1 C×1") + "• 2-301 桃子 A×1")
    await bot.settle()
    book = await bot.book()
    assert mine(book, "wx_lan") == {"虾滑": 1, "肥牛卷": 1}
    assert {m for (m, p) in book if p == "菠菜"} == {"wx_mei"}  # D×2 waits on the check list
