"""What runs around every message's handlers, as middlewares (in the manner of aiogram 3's outer
middlewares): each gets the message's turn and the next step, and does its part before and after it.

The pipeline's chain, outermost first (bot/app/pipeline.py puts it together):

    unit_of_work   one transaction per message: all below commits together or not at all
    claim          the message id, checked in the commit: a re-delivered message rolls back whole
    sender         her name in the group remembered; whether she is its owner or an admin
    (the app's)    what the handlers said, written to the outbox inside the same transaction
    dispatch       the routers' commands and matchers (bot/app/router.py)

A middleware that does not call `call_next` ends the message there; one that raises rolls it back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.app.context import Context
from bot.models import Outgoing
from storage.db import RowId

# An outbox row handed to the sender after the commit: its id, what to say, what delivery means.
Queued = tuple[RowId, Outgoing, str | None]


@dataclass
class Turn:
    """One message on its way through the chain: what the handlers see, and the app's bookkeeping."""

    ctx: Context
    dispatched: bool = False  # the handlers ran to the end (whatever happened after)
    queued: list[Queued] = field(default_factory=list)  # written to the outbox in this transaction


Next = Callable[[Turn], Awaitable[None]]
Middleware = Callable[[Turn, Next], Awaitable[None]]


def chain(middlewares: Sequence[Middleware], last: Next) -> Next:
    """`last` wrapped in `middlewares`, the first outermost."""

    def wrap(middleware: Middleware, call_next: Next) -> Next:
        async def step(turn: Turn) -> None:
            await middleware(turn, call_next)

        return step

    call = last
    for middleware in reversed(middlewares):
        call = wrap(middleware, call)
    return call


async def unit_of_work(turn: Turn, call_next: Next) -> None:
    """Everything the message does commits together, in one trip, or not at all; nothing is said
    before the commit (the app hands the queued rows to the sender after this returns)."""
    async with turn.ctx.svc.db.transaction():
        await call_next(turn)


async def claim(turn: Turn, call_next: Next) -> None:
    """Claims the message id; checked when the transaction reaches the database, so a message the
    service delivers twice raises storage.db.NothingChanged there and rolls back what it did."""
    turn.ctx.svc.orders.claim(turn.ctx.msg.id, turn.ctx.msg.ts)
    await call_next(turn)


async def sender(turn: Turn, call_next: Next) -> None:
    """Remembers the sender's name in her group and whether she may give its owner's commands:
    identity is her member id, never the name she shows."""
    ctx = turn.ctx
    if ctx.msg.room_id is not None:
        await ctx.svc.rooms.remember_member(ctx.msg.room_id, ctx.msg.sender.id, ctx.msg.sender.name)
        ctx.is_admin = await ctx.svc.rooms.is_admin(ctx.msg.room_id, ctx.msg.sender.id)
    await call_next(turn)
