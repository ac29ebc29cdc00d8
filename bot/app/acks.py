"""Acknowledgements gathered per group over a short window into one message.

WeChat throttles accounts that post a reply per order; a busy drop gets one
message every few seconds that @-mentions everyone just recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.models import Outgoing
from bot.render.templates import Templates

# WeChat shows a wall of @-mentions badly and may treat it as spam.
MAX_MENTIONS_PER_MESSAGE = 20


@dataclass
class _Batch:
    due: datetime
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # member → (name, text)


class AckBatcher:
    def __init__(self, templates: Templates, window: timedelta) -> None:
        self.templates = templates
        self.window = window
        self._batches: dict[str, _Batch] = {}

    def add(self, room_id: str, member_id: str, name: str, text: str, now: datetime) -> None:
        batch = self._batches.get(room_id)
        if batch is None:
            batch = self._batches[room_id] = _Batch(due=now + self.window)
        # A second change by the same member in the window replaces the first:
        # the text is always her whole current order.
        batch.entries.pop(member_id, None)
        batch.entries[member_id] = (name, text)

    def next_due(self) -> datetime | None:
        return min((b.due for b in self._batches.values()), default=None)

    def take_due(self, now: datetime | None) -> list[tuple[datetime, Outgoing]]:
        """Messages for the batches due by `now` (all of them when None)."""
        out: list[tuple[datetime, Outgoing]] = []
        for room_id, batch in sorted(self._batches.items(), key=lambda kv: kv[1].due):
            if now is not None and batch.due > now:
                continue
            del self._batches[room_id]
            items = list(batch.entries.items())
            for start in range(0, len(items), MAX_MENTIONS_PER_MESSAGE):
                chunk = items[start : start + MAX_MENTIONS_PER_MESSAGE]
                text = self.templates.render(
                    "acks", room_id, entries=[{"name": name, "text": text} for _, (name, text) in chunk]
                )
                out.append((batch.due, Outgoing(text=text, room_id=room_id,
                                                mentions=tuple(m for m, _ in chunk), mergeable=True)))
        return out
