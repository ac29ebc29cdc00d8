"""When a group's gathered acknowledgements go out: the window adapts to the traffic.

Kept apart from the batcher (which holds the entries) so the rule can be read,
tested and tuned alone, and so the batcher's storage can change (durable
acknowledgements) without touching it.

- A lone order is confirmed once nobody else has ordered for `quiet` seconds
  (a few seconds): the member is not left wondering.
- Under traffic the quiet moment never comes, so the window grows until the
  message is full (`full` mentions, WeChat shows more badly) or its first
  entry has waited `longest`: at one order a second, one message confirms 20
  members instead of 7 messages of 3.
- An exception (waitlisted, refused after the close, sent to the owner) goes
  out within `urgent`, taking whatever else is waiting with it.

`longest` and `urgent` leave room under the promises (30 s, 10 s) for the
outbound queue's pacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class AckWindow:
    quiet: timedelta = timedelta(seconds=3)
    longest: timedelta = timedelta(seconds=20)
    urgent: timedelta = timedelta(seconds=6)
    full: int = 20

    def due(self, first: datetime, last: datetime, first_urgent: datetime | None, size: int) -> datetime:
        """When a batch whose entries arrived between `first` and `last` goes out."""
        if size >= self.full:
            return last
        due = min(last + self.quiet, first + self.longest)
        if first_urgent is not None:
            due = min(due, first_urgent + self.urgent)
        return due
