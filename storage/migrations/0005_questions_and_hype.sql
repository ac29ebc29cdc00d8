-- The owner's 质量问答 per group, questions nobody had an answer for, and the
-- state behind live hype (sold-out announcements, 跟团播报).

-- A pair lives with the group, not a campaign: it persists until removed.
-- `number` is what the owner sees in /问答 (stable: removing #2 leaves #3 as #3).
CREATE TABLE qa_pairs (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    question TEXT NOT NULL,
    question_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_posted_at TEXT,  -- the last time its answer was posted in full (repeats within 10 min point to it)
    UNIQUE (room_id, number)
);
CREATE INDEX qa_pairs_by_key ON qa_pairs (room_id, question_key);

-- A member's question: unanswered ones wait to be forwarded to the owner
-- (gathered), repeats of a just-posted answer wait to be pointed to it.
CREATE TABLE qa_asked (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    message_id TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    pair_id INTEGER,      -- set for a repeat of an answered question
    sent_at TEXT,         -- forwarded to the owner / pointed to the answer
    answered_at TEXT      -- answered by /问答 回复
);
CREATE INDEX qa_asked_waiting ON qa_asked (room_id, sent_at);

-- Per limited product: whether the group was told it sold out (told again when stock frees up).
CREATE TABLE stock_news (
    product_id INTEGER PRIMARY KEY,
    sold_out INTEGER NOT NULL
);

-- 播报 每N单: the campaign's interval and the figures of its last 播报.
CREATE TABLE broadcasts (
    campaign_id INTEGER PRIMARY KEY,
    every INTEGER NOT NULL,
    last_buyers INTEGER NOT NULL DEFAULT 0,
    last_figures TEXT NOT NULL DEFAULT ''
);
