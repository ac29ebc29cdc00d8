"""The property: a line naming another member is never booked to the one who posted it, in any
message — a plain line, a 接龙 copy with or without #接龙, numbered, bulleted or a table, "替…报"
or "帮…带". Random messages built from those forms, through the real app."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Member, RoomInfo, RoomSeen
from tests.harness import MEMBERS, Harness

ZONGZI = "/开团 端午粽子团\n豆沙粽 6元/个\n鲜肉粽 8元/个\n蛋黄粽 9元/个\n截单 11-20 20:00"
PEOPLE = {"wx_zhang": ("张三", "3-502"), "wx_li": ("李四", "7-1101"), "wx_wang": ("王五", "5-1203"),
          "wx_he": ("小何", "6-301"), "wx_liu": ("刘姐", "8-1101")}
PRODUCTS = ("豆沙粽", "鲜肉粽", "蛋黄粽")


@st.composite
def someone_elses_line(draw: st.DrawFn, poster: str) -> str:
    other = draw(st.sampled_from(sorted(set(PEOPLE) - {poster})))
    name, house = PEOPLE[other]
    product = draw(st.sampled_from(PRODUCTS))
    qty = draw(st.integers(1, 9))
    note = draw(st.sampled_from(["", "（少放糖）", " 下午3点后取", " 备注：放门口"]))
    shape = draw(st.sampled_from(["{h} {n} {p}{q}个", "{n} {p}{q}个", "{n} {h} {p}×{q}", "{h}{n}：{p}{q}个",
                                  "替{h}的{n}报{q}个{p}", "帮{n}带{q}个{p}"]))
    return shape.format(h=house, n=name, p=product, q=qty) + note


@st.composite
def message(draw: st.DrawFn, poster: str) -> str:
    lines = draw(st.lists(someone_elses_line(poster), min_size=1, max_size=4))
    form = draw(st.sampled_from(["plain", "tagged", "numbered", "bullets", "table", "header"]))
    if form == "plain" or (len(lines) == 1 and form != "tagged"):
        return lines[0]
    if form == "tagged":
        return "#接龙\n端午粽子团\n\n" + "\n".join(f"{i}. {ln}" for i, ln in enumerate(lines, 1))
    if form == "numbered":
        return "\n".join(f"{i}、{ln}" for i, ln in enumerate(lines, 1))
    if form == "bullets":
        return "\n".join(f"• {ln}" for ln in lines)
    if form == "table":
        return "\n".join("｜" + "｜".join(ln.split(" ", 2)) + "｜" for ln in lines)
    return "【端午粽子团】\n————————\n" + "\n".join(f"◆ {ln}" for ln in lines)


async def _run(poster: str, own: str | None, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bot = await Harness.create(Path(folder) / "b.sqlite")
        try:
            members = tuple(Member(i, n) for i, n in MEMBERS.items())
            await bot.app.on_event(RoomSeen(RoomInfo("r1", "阳光花园水果团购群", "wx_owner", members)))
            await bot.say("wx_owner", ZONGZI)
            if own is not None:
                await bot.say(poster, own)
            before = {p: q for (m, p), q in (await bot.book()).items() if m == poster}
            await bot.say(poster, text)
            await bot.settle()
            after = {p: q for (m, p), q in (await bot.book()).items() if m == poster}
            # Less is allowed (her own line left out of her copy cancels it); more never.
            assert all(q <= before.get(p, 0) for p, q in after.items()), text
        finally:
            await bot.close()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_no_line_naming_another_member_is_booked_to_the_poster(data: st.DataObject,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for member_id, (name, _) in PEOPLE.items():
        monkeypatch.setitem(MEMBERS, member_id, name)
    poster = data.draw(st.sampled_from(sorted(PEOPLE)))
    name, house = PEOPLE[poster]
    own = data.draw(st.sampled_from([None, "豆沙粽1个", f"#接龙\n端午粽子团\n\n1. {house} {name} 鲜肉粽1个"]))
    await _run(poster, own, data.draw(message(poster)))
