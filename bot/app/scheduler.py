"""Owns the APScheduler instance that drives timed work in live mode.

What is due lives in the project's database (deadlines, schedules) and in the
acknowledgement batcher; APScheduler only wakes the app every second to run
what has come due. One job, never overlapping itself, errors to one log line.
Replays and tests do not use it: they drive `App.advance` with transcript time.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.pipeline import App
from bot.clock import Clock

log = logging.getLogger("bot.app.scheduler")


class LiveScheduler:
    def __init__(self, app: App, clock: Clock, tz: ZoneInfo, interval_seconds: float = 1.0) -> None:
        self._app = app
        self._clock = clock
        self._interval = interval_seconds
        self._scheduler = AsyncIOScheduler(timezone=tz)
        self._scheduler.add_listener(self._on_error, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    async def _tick(self) -> None:
        await self._app.advance(self._clock.now())

    def _on_error(self, event: JobExecutionEvent) -> None:
        if event.exception is not None:
            log.error("timed work failed: %r; it runs again next second", event.exception)
        else:
            log.info("timed work ran late; catching up")

    def start(self) -> None:
        # coalesce + one instance: a slow tick is never run twice at once.
        self._scheduler.add_job(self._tick, "interval", seconds=self._interval, id="advance", coalesce=True,
                                max_instances=1, misfire_grace_time=None)
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
