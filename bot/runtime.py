"""Start and stop in order: storage, app, scheduler, transport — and back in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.clock import Clock
from bot.context import Services, Settings
from bot.scheduler import LiveScheduler
from bot.transport import Transport
from storage.db import Database

log = logging.getLogger("bot.runtime")


async def run_bot(transport: Transport, db_path: Path, clock: Clock, ack_window: timedelta, *,
                  live: bool) -> None:
    db = await Database.open(db_path)
    try:
        svc = Services.build(db, Settings(ack_window=ack_window))
        await svc.load_owner_templates()
        app = App(svc, clock, transport.send)
        scheduler: LiveScheduler | None = None
        if live:
            # A deadline that passed while the bot was down closes now, with its
            # totals; a stale hype post is skipped (see Settings.grace).
            await app.advance(clock.now())
            scheduler = LiveScheduler(app, clock, clock.tz)
            scheduler.start()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(transport.stop()))
        try:
            await transport.run(app.on_event)
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            await app.drain()
            await transport.stop()
    finally:
        await db.close()
