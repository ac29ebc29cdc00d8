"""The boundary between the bot and a chat service.

A transport delivers inbound events to one async callback and sends what the
bot says. Console, replay and wechaty adapters implement it; tests use a
recording fake. Only `bot/transports/wechaty/` knows a real chat service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.models import Event, Outgoing

EventHandler = Callable[[Event], Awaitable[None]]


# What chat services answer when the account posts too fast (lower case): the message was refused,
# and the whole account must wait (see bot/app/outbox.py).
THROTTLE_MARKERS = ("频繁", "too frequent", "too many requests", "rate limit", "resource_exhausted")


def is_throttling(exc: BaseException) -> bool:
    text = f"{exc} {exc.__cause__ or ''}".lower()
    return any(marker in text for marker in THROTTLE_MARKERS)


class SendError(Exception):
    """A send failed; the outbound queue may retry it."""


class SendUncertain(SendError):
    """The request may have reached the service, which did not say whether the message arrived (a
    timeout, a reset stream, a status that can come after the service acted): never sent blindly
    again. A plain SendError is only for a send that certainly did not go out."""


class Transport(Protocol):
    name: str

    async def run(self, on_event: EventHandler) -> None:
        """Deliver inbound events, one at a time and in order, until the source
        ends (replay, console EOF) or `stop()` is called. Each `on_event` call is
        awaited before the next event is delivered."""
        ...

    async def send(self, out: Outgoing) -> None:
        """Deliver one message now. Raises SendError when the service refuses."""
        ...

    async def stop(self) -> None:
        """Make `run` return soon and release connections. Safe to call twice."""
        ...
