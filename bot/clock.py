"""Time, asked of one place: the wall clock live, the transcript's in a replay.

Nothing time-dependent calls datetime.now() itself, so tests and replays drive
time exactly and never sleep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...

    def observe(self, ts: datetime) -> None:
        """An event happened at `ts` (meaningful only for transcript time)."""
        ...


class SystemClock:
    def __init__(self, tz: ZoneInfo = DEFAULT_TZ) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def observe(self, ts: datetime) -> None:
        pass


class ManualClock:
    """Transcript or test time: moves only when told, and never backwards."""

    def __init__(self, start: datetime | None = None, tz: ZoneInfo = DEFAULT_TZ) -> None:
        self.tz = tz
        self._now = start or datetime(2026, 1, 1, tzinfo=tz)

    def now(self) -> datetime:
        return self._now

    def observe(self, ts: datetime) -> None:
        if ts > self._now:
            self._now = ts

    def set(self, ts: datetime) -> None:
        self._now = ts
