"""A group with more members than the harness's five, for the conversation tests."""

from __future__ import annotations

import pytest

from bot.models import Member, RoomInfo, RoomSeen
from tests.harness import MEMBERS, Harness


async def with_people(bot: Harness, monkeypatch: pytest.MonkeyPatch, people: dict[str, str], topic: str,
                      drop: str) -> Harness:
    """`bot`'s group r1 with `people` added (member id → display name) and the owner's `drop` open."""
    for member_id, name in people.items():
        monkeypatch.setitem(MEMBERS, member_id, name)
    members = tuple(Member(i, n) for i, n in MEMBERS.items())
    await bot.app.on_event(RoomSeen(RoomInfo("r1", topic, "wx_owner", members)))
    await bot.say("wx_owner", drop)
    bot.take()
    return bot
