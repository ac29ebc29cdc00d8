"""Acknowledgements gathered per group into few messages; when they go out is AckWindow's rule.

WeChat throttles accounts that post a reply per order, and members mute a loud
group: a busy drop gets one message that @-mentions up to 20 members just
recorded, each with her whole current order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app.ack_window import AckWindow
from bot.models import Outgoing
from bot.render.templates import Templates

# WeChat shows a wall of @-mentions badly and may treat it as spam.
MAX_MENTIONS_PER_MESSAGE = 20


@dataclass
class _Entry:
    name: str
    text: str
    at: datetime
    urgent: bool


@dataclass
class _Batch:
    entries: dict[str, _Entry] = field(default_factory=dict)  # member -> her latest acknowledgement
    due: datetime | None = None


class AckBatcher:
    def __init__(self, templates: Templates, window: timedelta | AckWindow) -> None:
        self.templates = templates
        self.policy = window if isinstance(window, AckWindow) else AckWindow(quiet=window)
        self._batches: dict[str, _Batch] = {}

    def add(self, room_id: str, member_id: str, name: str, text: str, now: datetime, *,
            urgent: bool = False) -> None:
        """Queues her acknowledgement; an empty `text` withdraws the one waiting (nothing left to say)."""
        batch = self._batches.setdefault(room_id, _Batch())
        # A second change by the same member replaces the first: the text is
        # always her whole current order; she keeps her place in the wait.
        earlier = batch.entries.pop(member_id, None)
        if text:
            first_at = earlier.at if earlier is not None else now
            batch.entries[member_id] = _Entry(name, text, first_at, urgent or bool(earlier and earlier.urgent))
        self._schedule(room_id, batch)

    def _schedule(self, room_id: str, batch: _Batch) -> None:
        if not batch.entries:
            del self._batches[room_id]
            return
        batch.due = self._due_of(list(batch.entries.items()))

    def due_by(self, room_id: str, now: datetime) -> bool:
        batch = self._batches.get(room_id)
        return batch is not None and batch.due is not None and batch.due <= now

    def next_due(self) -> datetime | None:
        return min((b.due for b in self._batches.values() if b.due is not None), default=None)

    def take_due(self, now: datetime | None) -> list[tuple[datetime, Outgoing]]:
        """Messages for the batches due by `now` (all of them when None).

        A batch due only because it is full sends its full messages and keeps
        the rest gathering, so 25 at once is a message of 20 now and 5 that
        wait for company."""
        out: list[tuple[datetime, Outgoing]] = []
        for room_id, batch in sorted(self._batches.items(), key=lambda kv: kv[1].due or now or datetime.max):
            due = batch.due
            if due is None or (now is not None and due > now):
                continue
            items = list(batch.entries.items())
            size = min(self.policy.full, MAX_MENTIONS_PER_MESSAGE)
            keep = 0
            if now is not None and len(items) > size and len(items) % size:
                rest_due = self._due_of(items[len(items) - len(items) % size:])
                keep = len(items) % size if rest_due > now else 0
            send, rest = items[: len(items) - keep], items[len(items) - keep:]
            for start in range(0, len(send), size):
                chunk = send[start : start + size]
                text = self.templates.render(
                    "acks", room_id, entries=[{"name": e.name, "text": e.text} for _, e in chunk])
                out.append((due, Outgoing(text=text, room_id=room_id, mentions=tuple(m for m, _ in chunk),
                                          mergeable=True)))
            batch.entries = dict(rest)
            self._schedule(room_id, batch)
        return out

    def _due_of(self, items: list[tuple[str, _Entry]]) -> datetime:
        times = [e.at for _, e in items]
        urgent = [e.at for _, e in items if e.urgent]
        return self.policy.due(min(times), max(times), min(urgent, default=None), len(items))
