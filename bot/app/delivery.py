"""The outbox table seen from the sender: what each message's row goes through.

The outbound queue calls this journal around every send of a row: `attempting`
commits before the service sees the message (so after a crash a row that may
have gone out is known to be uncertain, not sent again blindly), `delivered`
marks it sent and applies what delivery means (buyers notified, a schedule's
posts delivered) in the same transaction, `gave_up` tells the group's owner
privately about a message that could not be sent for hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.app.outbox import OutboundQueue, Pending
from bot.clock import Clock
from bot.domain.services import Services
from bot.models import Outgoing
from storage.db import RowId
from storage.outbox import OutboxRepo

log = logging.getLogger("bot.app.delivery")


class OutboxJournal:
    def __init__(self, svc: Services, repo: OutboxRepo, clock: Clock, queue: OutboundQueue) -> None:
        self.svc = svc
        self.repo = repo
        self.clock = clock
        self.queue = queue

    async def _record(self, write: Callable[[], None]) -> None:
        # Group commit: records go with the next transaction to commit, usually the message
        # being handled, so a busy bot's sends cost no database trip of their own.
        await asyncio.shield(self.svc.db.with_next_commit(write))

    async def attempting(self, item: Pending) -> None:
        assert item.row is not None
        row = item.row
        await self._record(lambda: self.repo.sending(row, item.out, list(item.merged)))

    async def delivered(self, item: Pending, *, confirmed: bool = True) -> None:
        assert item.row is not None
        row, now = item.row, self.clock.now()
        # Not waited for: it rides with the next commit. Lost only if the process dies before
        # that, and then the row is uncertain, never blindly sent again.
        status = "sent" if confirmed else "unconfirmed"
        self.svc.db.with_next_commit(lambda: self.repo.delivered(row, item.on_sent, now, status))

    async def uncertain(self, item: Pending) -> None:
        assert item.row is not None
        row = item.row
        await self._record(lambda: self.repo.set_status(row, "uncertain"))

    async def gave_up(self, item: Pending, why: str) -> None:
        assert item.row is not None
        report: tuple[RowId, Outgoing] | None = None
        async with self.svc.db.transaction():
            self.repo.set_status(item.row, "given_up", why)
            owner = await self.svc.rooms.owner(item.out.room_id) if item.out.room_id else None
            # A report about a report would only pile up while the account cannot send.
            if owner is not None and item.out.to != owner:
                snippet = item.out.text if len(item.out.text) <= 60 else item.out.text[:60] + "…"
                out = Outgoing(text=f"⚠️ 这条群消息发了很久都没发出去，已放弃，需要的话请您手动发一下：\n{snippet}",
                               to=owner)
                report = (self.repo.add(out, self.clock.now()), out)
        if report is not None:
            self.queue.put(report[1], row=report[0].value)

    async def resume(self) -> int:
        """At start-up: hands the queue every row not yet delivered; returns how many."""
        rows = await self.repo.unsent()
        for row in rows:
            if row.status == "pending":
                self.queue.put(row.out, row=row.id, on_sent=row.on_sent)
            else:
                # Handed to the service before the stop: it may have arrived.
                self.queue.resume_uncertain(row.out, row=row.id, on_sent=row.on_sent)
        if rows:
            log.info("outbox: %d message%s from before the restart to send", len(rows), "" if len(rows) == 1 else "s")
        return len(rows)
