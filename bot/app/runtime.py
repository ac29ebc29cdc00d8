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
# started, left first when the bot stops.
Beside = Callable[[App], AbstractAsyncContextManager[object]]

# SIGTERM or Ctrl-C: the process is gone within 5 s (supervisors and Docker wait 10). Sends on
# their way get this long to answer; nothing new is sent while stopping, since everything still to
# say is in the outbox table and goes out after the restart, paced as always.
SENDS_FINISH_SECONDS = 2.0
# Deferred work (an export being built) gets this long.
BACKGROUND_SECONDS = 1.0


async def _serve_queue(outbox: OutboundQueue, transport: Transport) -> None:
    # Until the account is logged in, sends could only fail: let posts wait instead.
    ready: asyncio.Event | None = getattr(transport, "ready", None)
    if ready is not None:
        await ready.wait()
    await outbox.run()


async def run_bot(transport: Transport, db_path: Path, clock: Clock, ack_window: timedelta, dispatcher: Dispatcher, *,
                  live: bool, limits: SendLimits | None = None, ack_within: timedelta = Settings.ack_within,
                  beside: Sequence[Beside] = (), web_url: str | None = None) -> None:
    """`limits`: send through the rate-limited outbound queue (real chat services);
    None sends directly (replay keeps transcript order, the console has no limits).
    `beside`: served in this event loop while the bot runs (the web page), stopped first; `web_url`:
    the page's address, for the links the bot gives.

    Live (console, WeChat), SIGTERM and SIGINT stop the bot: the transport stops taking events,
    timed work ends, sends on their way get a moment, and what is left to say stays in the
    database (the outbox, gathered acknowledgements) for the next start, nothing said twice.
    A replay says everything before it ends."""
    db = await Database.open(db_path)
    try:
        svc = Services.build(db, Settings(ack_window=ack_window, ack_within=ack_within,
                                          export_dir=db_path.parent / "exports", web_url=web_url))
        await svc.load_owner_templates()
        outbox = OutboundQueue(transport.send, clock, limits) if limits is not None else None
        worker = asyncio.create_task(_serve_queue(outbox, transport)) if outbox is not None else None
        app = App(svc, clock, outbox if outbox is not None else transport.send, dispatcher,
                  wait_for_background=not live, resume=live)
        # What the last run had still to say (the outbox table, gathered acknowledgements).
        await app.start()
        served = contextlib.AsyncExitStack()
        scheduler: LiveScheduler | None = None
        stop_asked = asyncio.Event()
        if live:
            # A deadline that passed while the bot was down closes now, with its
            # totals; a stale hype post is skipped (see Settings.grace).
            await app.advance(clock.now())
            scheduler = LiveScheduler(app, clock, clock.tz)
            scheduler.start()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, _stopper(stop_asked, sig))
        running = asyncio.ensure_future(transport.run(app.on_event))
        asked = asyncio.ensure_future(stop_asked.wait())
        try:
            for serve in beside:  # inside the try: one that cannot start stops the bot cleanly
                await served.enter_async_context(serve(app))
            await asyncio.wait({running, asked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            asked.cancel()
            await served.aclose()  # the web page first: no tap lands while the bot is stopping
            if scheduler is not None:
                scheduler.shutdown()
            if live:
                await app.close(BACKGROUND_SECONDS)
            if outbox is not None and worker is not None:
                # The connection stays up meanwhile: a send's answer (or its echo) still arrives.
                await outbox.finish(SENDS_FINISH_SECONDS)
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await transport.stop()
            try:
                await running
            except asyncio.CancelledError:
                # SIGTERM/SIGINT came while the transport was starting, or the caller cancelled us.
                if not stop_asked.is_set():
                    raise
            if not live:
                await app.drain()
    finally:
        await db.close()


def _stopper(stop_asked: asyncio.Event, sig: signal.Signals) -> Callable[[], None]:
    def stop() -> None:
        if not stop_asked.is_set():
            log.warning("%s: stopping; what is still to be said stays in the outbox for the next start", sig.name)
        stop_asked.set()  # Ctrl-C twice: once is enough, and stopping is already bounded
    return stop
