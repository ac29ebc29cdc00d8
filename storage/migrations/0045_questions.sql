-- Open questions to members (bot/domain/asking.py): what the bot could not read exactly is
-- asked in the group, one open question per member and group, answered in a word. Kept here so
-- a restart keeps asking; what she does not settle in time goes to the owner's check list
-- (check_id) and stays answerable until settled or the campaign closes.
CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,       -- who is asked (for an order passed on by someone else: the member it is for)
    name TEXT NOT NULL,
    text TEXT NOT NULL,            -- what was written (her message, or the 接龙 line)
    leftover TEXT NOT NULL,        -- the words not understood
    asked TEXT NOT NULL,           -- the question as the group saw it
    choices TEXT NOT NULL,         -- JSON: [{"key", "words", "intent"}]
    reason TEXT NOT NULL,          -- for the owner's check list, when it goes there
    from_member TEXT,              -- who passed the order on (替6-301的小何报两瓶), else NULL
    line_id INTEGER,               -- the 接龙 line it is about, else NULL
    message_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,          -- when it goes to the owner's check list
    check_id INTEGER,              -- its entry on the owner's check list, once there
    closed_at TEXT,
    closed_how TEXT
);
CREATE INDEX questions_open ON questions (room_id) WHERE closed_at IS NULL;
