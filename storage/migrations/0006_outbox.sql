-- The transactional outbox: everything the bot will say, written in the same
-- transaction as the change that caused it, and sent from here.

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,       -- given by the repository: the order of sending per conversation
    room_id TEXT,                 -- a group, or NULL for a private message
    to_id TEXT,                   -- the member of a private message
    text TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    mergeable INTEGER NOT NULL DEFAULT 0,
    -- pending: not tried yet, or failed and waiting for its retry
    -- sending: handed to the chat service; found at start-up it is uncertain
    -- uncertain: the service did not say whether it arrived (a timeout)
    -- sent, merged (folded into another row), unconfirmed (an uncertain acknowledgement counted as
    -- delivered), given_up (failing past the horizon, reported to the owner)
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    -- JSON: what delivery means, applied when the row is sent (buyers notified, a schedule delivered)
    on_sent TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_by_status ON outbox (status, id);

-- Acknowledgements being gathered per group: the gathering window survives a crash.
CREATE TABLE ack_pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (room_id, member_id)
);

-- When a scheduled job's posts were delivered (status 'done' means they were queued in the outbox).
ALTER TABLE schedules ADD COLUMN delivered_at TEXT;
