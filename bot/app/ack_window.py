"""When a group's gathered acknowledgements go out: a budget per group, at any pace.

Kept apart from the batcher (which holds the entries) so the rule can be read,
tested and tuned alone.

WeChat restricts accounts that post much, and members mute a group where the
bot talks after every order. What a member must hear, and how soon:

- An order taken as she wrote it: she learns it counted within 5 minutes
  (`within`, 4 min 50 s, leaves the outbound queue's pacing room). So under
  steady traffic a group gets one gathered message every few minutes however
  fast or slow the orders come, and one message carries everyone who ordered
  meanwhile.
- Anything that is not what she wrote - waitlisted, asked about, refused,
  given from another's copy - within 60 s (`urgent`, 40 s), taking everyone
  else waiting with it.
- A message is full at 20 mentions (WeChat shows more badly): a full batch
  goes at once, so a burst of 300 orders is 15 messages.
- A group the bot has said nothing in for `rest` (10 minutes) is a quiet one:
  a lone order there is confirmed once nobody else has ordered for `quiet`
  seconds (`--ack-window`, 3 s), so an evening's odd order is answered at once
  and costs one message, as it would anyway.

A 接龙 copy taken exactly needs no acknowledgement at all (handlers/ordering.py):
her copy in the group is the record. In a drop where most people copy, the
messages are few; README "A quiet group" has the measured figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The promises to members; the windows below leave room under them for the queue's pacing.
ROUTINE_PROMISE = timedelta(minutes=5)
URGENT_PROMISE = timedelta(seconds=60)


@dataclass(frozen=True)
class AckWindow:
    quiet: timedelta = timedelta(seconds=3)
    within: timedelta = timedelta(seconds=290)
    urgent: timedelta = timedelta(seconds=40)
    rest: timedelta = timedelta(minutes=10)
    full: int = 20

    @classmethod
    def of(cls, quiet: timedelta, within: timedelta) -> AckWindow:
        """The policy with the command line's two knobs; an exception never waits longer than a routine one."""
        return cls(quiet=quiet, within=within, urgent=min(cls.urgent, within))

    def due(self, first: datetime, last: datetime, first_urgent: datetime | None, size: int,
            spoke: datetime | None) -> datetime:
        """When a batch goes out: its entries arrived between `first` and `last` (`first_urgent`: the
        first one that is not what she wrote); `spoke`: when the bot last posted in the group."""
        if size >= self.full:
            return last
        due = first + self.within
        if first_urgent is not None:
            due = min(due, first_urgent + self.urgent)
        if spoke is None or first - spoke >= self.rest:
            due = min(due, last + self.quiet)
        return due
