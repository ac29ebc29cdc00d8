"""Start and stop in order: storage, app, ticker, transport — and back in reverse."""

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
from bot.transport import Transport
from storage.db import Database

log = logging.getLogger("bot.runtime")

TICK_SECONDS = 1.0


async def _ticker(app: App, clock: Clock) -> None:
    # Live time: deadlines and the acknowledgement window come due between messages.
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            await app.advance(clock.now())
        except Exception:
            log.exception("timed work failed; will try again")


async def run_bot(transport: Transport, db_path: Path, clock: Clock, ack_window: timedelta, *,
                  live: bool) -> None:
    db = await Database.open(db_path)
    try:
        svc = Services.build(db, Settings(ack_window=ack_window))
        app = App(svc, clock, transport.send)
        ticker: asyncio.Task[None] | None = None
        if live:
            # A deadline that passed while the bot was down closes now, with its totals.
            await app.advance(clock.now())
            ticker = asyncio.create_task(_ticker(app, clock))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(transport.stop()))
        try:
            await transport.run(app.on_event)
        finally:
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await app.drain()
            await transport.stop()
    finally:
        await db.close()
