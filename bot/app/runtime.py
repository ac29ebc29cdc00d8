"""Start and stop in order: storage, app, scheduler, transport — and back in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

from bot.app.outbox import OutboundQueue, SendLimits
from bot.app.pipeline import App
from bot.app.router import Dispatcher
from bot.app.scheduler import LiveScheduler
from bot.clock import Clock
from bot.domain.services import Services, Settings
from bot.transports.base import Transport
from storage.db import Database

log = logging.getLogger("bot.app.runtime")


# Something served beside the transport for the app's lifetime (the web page): entered once the app has
# started, left before it drains.
Beside = Callable[[App], AbstractAsyncContextManager[object]]

# Shutdown may take this long to get queued messages out (under Docker's 10 s stop timeout).
DRAIN_SECONDS = 8.0


async def _serve_queue(outbox: OutboundQueue, transport: Transport) -> None:
    # Until the account is logged in, sends could only fail: let posts wait instead.
    ready: asyncio.Event | None = getattr(transport, "ready", None)
    if ready is not None:
        await ready.wait()
    await outbox.run()


async def run_bot(transport: Transport, db_path: Path, clock: Clock, ack_window: timedelta, dispatcher: Dispatcher, *,
                  live: bool, limits: SendLimits | None = None, beside: Sequence[Beside] = (),
                  web_url: str | None = None) -> None:
    """`limits`: send through the rate-limited outbound queue (real chat services);
    None sends directly (replay keeps transcript order, the console has no limits).
    `beside`: served in this event loop while the bot runs (the web page), stopped first; `web_url`:
    the page's address, for the links the bot gives."""
    db = await Database.open(db_path)
    try:
        svc = Services.build(db, Settings(ack_window=ack_window, export_dir=db_path.parent / "exports",
                                          web_url=web_url))
        await svc.load_owner_templates()
        outbox = OutboundQueue(transport.send, clock, limits) if limits is not None else None
        worker = asyncio.create_task(_serve_queue(outbox, transport)) if outbox is not None else None
        app = App(svc, clock, outbox if outbox is not None else transport.send, dispatcher,
                  wait_for_background=not live)
        # What the last run had still to say (the outbox table, gathered acknowledgements).
        await app.start()
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
            async with contextlib.AsyncExitStack() as stack:
                for serve in beside:
                    await stack.enter_async_context(serve(app))
                await transport.run(app.on_event)
        finally:
            if scheduler is not None:
                scheduler.shutdown()
            await app.drain()
            if outbox is not None and worker is not None:
                await outbox.drain(DRAIN_SECONDS)
                await outbox.stop()
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await transport.stop()
    finally:
        await db.close()
