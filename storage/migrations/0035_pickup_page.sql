-- The pickup-day web page (bot/web/).

-- A one-time login link from /后台: only its SHA-256 is kept, so the database alone
-- opens nothing. Used once (used_at), within its time (expires_at).
CREATE TABLE web_links (
    token_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- A browser's session, made from a link: the cookie's value is kept hashed too.
-- What it may see is worked out from member_id on every request, never stored here:
-- a partner removed from her group loses the page at once.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX web_sessions_by_member ON web_sessions (member_id);

-- Part of an order handed over (部分取货): what she has taken so far, per product.
-- When all of it is taken, fulfilment.collected_at is set and these rows go.
CREATE TABLE collected_items (
    campaign_id INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    product_id INTEGER NOT NULL,
    qty INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (campaign_id, member_id, product_id)
);

-- Her pickup card: an unguessable address per buyer, for the QR of her code (off unless
-- the group's owner turns it on with /后台 二维码 开).
ALTER TABLE fulfilment ADD COLUMN card TEXT;
CREATE UNIQUE INDEX fulfilment_by_card ON fulfilment (card);
CREATE TABLE web_prefs (
    room_id TEXT PRIMARY KEY,
    qr_cards INTEGER NOT NULL DEFAULT 0
);
