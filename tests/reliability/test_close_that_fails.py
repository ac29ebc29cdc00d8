"""A deadline holds even when its close cannot be made: a bug in making the close's notices must not
leave the campaign open (orders after the deadline would count) nor raise at every start (a crash
loop under any supervisor). The group hears a plain line, the owner learns why, privately."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.app import pipeline
from bot.domain.services import Services
from bot.models import Outgoing
from storage.records import Campaign
from tests.harness import FRUIT, OpenBot


async def _broken_close(svc: Services, campaign: Campaign, at: datetime) -> list[Outgoing]:
    raise RuntimeError("a bug in the close notice")


async def test_a_close_that_fails_still_closes_says_so_plainly_and_never_raises_again(
        open_bot: OpenBot, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await open_bot()
    await bot.say("wx_owner", FRUIT)  # 截单 11-21 20:00
    await bot.say("wx_zhang", "草莓2盒")
    await bot.settle()
    monkeypatch.setattr(pipeline, "close_campaign", _broken_close)
    bot.take()
    await bot.wait(36 * 3600)  # past the deadline
    campaign = await bot.svc.campaigns.latest_in("r1")
    assert campaign is not None and not campaign.is_open
    assert "✂️ 「周六水果团」已截单，谢谢大家！" in bot.texts()
    warning = [t for t in bot.private() if "截单汇总没能生成" in t]
    assert len(warning) == 1 and "/汇总" in warning[0]
    # Her order is kept; a late order is refused like after any close; time goes on without raising.
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    await bot.say("wx_li", "砂糖橘1箱")
    await bot.settle()
    assert await bot.book() == {("wx_zhang", "草莓"): 2}
    assert any("已截单" in t and "李四" in t for t in bot.texts())


async def test_a_restart_after_a_failed_close_starts_and_does_not_close_again(
        open_bot: OpenBot, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await open_bot()
    await bot.say("wx_owner", FRUIT)
    monkeypatch.setattr(pipeline, "close_campaign", _broken_close)
    await bot.wait(36 * 3600)
    await bot.close()
    again = await open_bot()
    again.now = bot.now
    await again.wait(60)
    assert again.texts() == [] and again.private() == []
