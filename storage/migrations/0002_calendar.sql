-- Scheduled posts and planned campaigns; owner templates per group.

CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    kind TEXT NOT NULL,           -- teaser, interaction, countdown, open, reminder
    run_at TEXT NOT NULL,         -- ISO 8601 with offset
    run_at_utc TEXT NOT NULL,     -- the same instant in UTC: sorts as text
    payload TEXT NOT NULL DEFAULT '{}',
    plan_id INTEGER,              -- the planned opening this post belongs to
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'skipped', 'cancelled', 'failed')),
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX schedules_pending ON schedules (status, run_at_utc);
CREATE INDEX schedules_by_room ON schedules (room_id, status);

CREATE TABLE template_overrides (
    room_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (room_id, kind)
);

ALTER TABLE campaigns ADD COLUMN group_announced INTEGER NOT NULL DEFAULT 0;
