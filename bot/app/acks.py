"""Acknowledgements gathered per group into few messages; when they go out is AckWindow's rule.

WeChat throttles accounts that post a reply per order, and members mute a loud
group: a busy drop gets one message that @-mentions up to 20 members just
recorded, each with her whole current order.

A member who changes her order while she waits keeps her place: her entry's
text is replaced by her latest, but her wait counts from her first change, so
someone editing every few seconds is still told within the promise.
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
    at: datetime  # her first change still waiting: her wait counts from here
    urgent_at: datetime | None  # when something not as she wrote was first waiting for her
    changed: datetime  # her latest change: a quiet group's batch waits for a moment without one


@dataclass
class _Batch:
    entries: dict[str, _Entry] = field(default_factory=dict)  # member -> her latest acknowledgement
    due: datetime | None = None


class AckBatcher:
    def __init__(self, templates: Templates, window: timedelta | AckWindow) -> None:
        self.templates = templates
        self.policy = window if isinstance(window, AckWindow) else AckWindow(quiet=window)
        self._batches: dict[str, _Batch] = {}
        # When the bot last posted in each group: a group it has been quiet in gets a quick answer.
        self._spoke: dict[str, datetime] = {}

    def times(self, room_id: str, member_id: str, now: datetime, *, urgent: bool = False
              ) -> tuple[datetime, datetime | None]:
        """(since, urgent since) that `add` would give her entry now: what the durable copy stores."""
        batch = self._batches.get(room_id)
        earlier = batch.entries.get(member_id) if batch is not None else None
        if earlier is None:
            return now, now if urgent else None
        return earlier.at, earlier.urgent_at or (now if urgent else None)

    def add(self, room_id: str, member_id: str, name: str, text: str, now: datetime, *,
            urgent: bool = False) -> None:
        """Queues her acknowledgement; an empty `text` withdraws the one waiting (nothing left to say)."""
        at, urgent_at = self.times(room_id, member_id, now, urgent=urgent)
        self.restore(room_id, member_id, name, text, at, urgent_at, changed=now)

    def restore(self, room_id: str, member_id: str, name: str, text: str, at: datetime,
                urgent_at: datetime | None, *, changed: datetime | None = None) -> None:
        """Her entry exactly as given (read back from the durable copy)."""
        batch = self._batches.setdefault(room_id, _Batch())
        # Her latest text replaces the one waiting and goes last in the message; her wait goes on.
        batch.entries.pop(member_id, None)
        if text:
            batch.entries[member_id] = _Entry(name, text, at, urgent_at, changed or at)
        self._schedule(room_id, batch)

    def waiting(self, room_id: str) -> list[tuple[str, str, str, datetime, datetime | None]]:
        """(member, name, text, since, urgent since) of each entry still gathering in the group."""
        batch = self._batches.get(room_id)
        if batch is None:
            return []
        return [(m, e.name, e.text, e.at, e.urgent_at) for m, e in batch.entries.items()]

    def spoke(self, room_id: str, at: datetime) -> None:
        """The bot posted in the group at `at` (anything: acknowledgements, replies, notices)."""
        last = self._spoke.get(room_id)
        if last is not None and last >= at:
            return
        self._spoke[room_id] = at
        batch = self._batches.get(room_id)
        if batch is not None:
            self._schedule(room_id, batch)

    def _schedule(self, room_id: str, batch: _Batch) -> None:
        if not batch.entries:
            del self._batches[room_id]
            return
        batch.due = self._due_of(room_id, list(batch.entries.values()))

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
                rest_due = self._due_of(room_id, [e for _, e in items[len(items) - len(items) % size:]])
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

    def _due_of(self, room_id: str, entries: list[_Entry]) -> datetime:
        first = min(e.at for e in entries)
        last = max(e.changed for e in entries)
        urgent = min((e.urgent_at for e in entries if e.urgent_at is not None), default=None)
        return self.policy.due(first, last, urgent, len(entries), self._spoke.get(room_id))
