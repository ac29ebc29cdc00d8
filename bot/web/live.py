"""Live counts: the page learns of every change (a tick elsewhere, /核销 in the chat, an order changed)
through one server-sent-events stream per open page.

The app tells the hub after each commit which groups it touched (a counter and an event: nothing on
the message's path costs more than that). A stream rebuilds its view when one of its groups changed,
at most once a second, and sends only the rows that changed; changes elsewhere (the other groups'
chat, most of what a busy bot does) cost it nothing but, every 15 s, one rebuild in case a change
reached its groups unannounced. A stream re-checks its session at each rebuild, so /后台 退出 ends
it too.
"""

from __future__ import annotations

import asyncio


class Hub:
    """A version number that goes up with every commit, the version each group last changed at, and a
    way to wait for it to move."""

    def __init__(self) -> None:
        self.version = 0
        self._rooms: dict[str, int] = {}
        self._moved = asyncio.Event()
        self.closed = False

    def poke(self, rooms: frozenset[str], actor: str | None) -> None:
        """Called by the app after a commit: must stay this cheap."""
        self.version += 1
        for room in rooms:
            self._rooms[room] = self.version
        if actor is not None:
            # What she does herself (/后台 退出 in her private chat) reaches her own pages.
            self._rooms["@" + actor] = self.version
        self._moved.set()

    def touched(self, rooms: frozenset[str], member_id: str, since: int) -> bool:
        """Whether one of `rooms` changed, or `member_id` did something, after version `since`."""
        return any(self._rooms.get(room, 0) > since for room in (*rooms, "@" + member_id))

    async def wait(self, seen: int) -> None:
        """Until the version is past `seen`, or the hub closes."""
        while self.version <= seen and not self.closed:
            self._moved.clear()
            await self._moved.wait()

    def close(self) -> None:
        """The server is stopping: every stream ends."""
        self.closed = True
        self._moved.set()

