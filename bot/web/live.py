"""Live counts: the page learns of every change (a tick elsewhere, /核销 in the chat, an order changed)
through one server-sent-events stream per open page.

The app tells the hub after each commit (a counter and an event: nothing on the message's path
costs more than that); each stream then rebuilds its view at most once a second and sends only the
rows that changed. A stream re-checks its session every time, so /后台 退出 ends it too.
"""

from __future__ import annotations

import asyncio


class Hub:
    """A version number that goes up with every commit, and a way to wait for it to move."""

    def __init__(self) -> None:
        self.version = 0
        self._moved = asyncio.Event()
        self.closed = False

    def poke(self) -> None:
        """Called by the app after a commit: must stay this cheap."""
        self.version += 1
        self._moved.set()

    async def wait(self, seen: int) -> None:
        """Until the version is past `seen`, or the hub closes."""
        while self.version <= seen and not self.closed:
            self._moved.clear()
            await self._moved.wait()

    def close(self) -> None:
        """The server is stopping: every stream ends."""
        self.closed = True
        self._moved.set()

