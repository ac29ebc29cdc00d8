-- The owner's private chat: which group her private commands apply to, and her daily digest.

CREATE TABLE owner_prefs (
    member_id TEXT PRIMARY KEY,
    room_id TEXT,        -- the group picked with /群; NULL: not picked (one group needs no picking)
    digest_at TEXT,      -- 'HH:MM' local time of the daily digest; NULL: off (the default)
    updated_at TEXT NOT NULL
);
