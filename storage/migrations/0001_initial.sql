-- The order book. Money is in cents (integers); times are ISO 8601 with offset.

CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL DEFAULT '',
    owner_id TEXT
);

CREATE TABLE members (
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (room_id, member_id)
);

CREATE TABLE admins (
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    added_by TEXT,
    PRIMARY KEY (room_id, member_id)
);

-- A message id here means its effects are committed: a re-delivery changes nothing.
CREATE TABLE processed (
    message_id TEXT PRIMARY KEY,
    ts TEXT NOT NULL
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at TEXT NOT NULL,
    close_at TEXT,
    closed_at TEXT,
    pickup TEXT,
    min_buyers INTEGER,
    min_units INTEGER,
    created_by TEXT NOT NULL,
    header TEXT NOT NULL DEFAULT '',
    live_lines INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_by_room ON campaigns (room_id, status);
CREATE INDEX campaigns_due ON campaigns (status, close_at);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    position INTEGER NOT NULL,
    code TEXT,
    name TEXT NOT NULL,
    price_cents INTEGER,
    unit TEXT,
    stock INTEGER,
    per_member_limit INTEGER,
    sold INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_by_campaign ON products (campaign_id, position);

-- One line of an order: a 接龙 entry ('copy' or 'native') or a member's plain
-- message orders ('text', one line per member and campaign).
CREATE TABLE lines (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('copy', 'native', 'text')),
    key TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    label_key TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT '',
    live INTEGER NOT NULL DEFAULT 1,
    readable INTEGER NOT NULL DEFAULT 1,
    message_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX lines_by_key ON lines (campaign_id, source, key);
CREATE INDEX lines_by_member ON lines (campaign_id, member_id);
CREATE INDEX lines_by_label ON lines (campaign_id, label_key);

CREATE TABLE items (
    line_id INTEGER NOT NULL REFERENCES lines (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    qty INTEGER NOT NULL CHECK (qty >= 0),
    PRIMARY KEY (line_id, product_id)
);
CREATE INDEX items_by_product ON items (product_id);

-- What did not fit in the stock, first come first served.
CREATE TABLE waitlist (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    qty INTEGER NOT NULL,
    message_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX waitlist_by_campaign ON waitlist (campaign_id, product_id);

-- Messages that look like orders but need the owner to read them.
CREATE TABLE unreadable (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    line_id INTEGER,
    message_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX unreadable_by_campaign ON unreadable (campaign_id);
