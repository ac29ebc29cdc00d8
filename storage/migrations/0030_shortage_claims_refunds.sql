-- When the goods are not what was sold: 缺货 (short delivery), 售后 (claims after pickup) and the
-- refund ledger beside the payment ledger. The bot moves no money: these are records and notices.

-- Who misses out when a product arrives short, per campaign (a drop: its first part): 'order'
-- (按顺序, the default when no row), 'even' (平均) or 'manual' (手动).
CREATE TABLE shortage_rules (
    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id),
    rule TEXT NOT NULL CHECK (rule IN ('order', 'even', 'manual')),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);

-- One /缺货 (kind 'short': `units` arrived of `held` ordered) or /补货 (kind 'restock': `units`
-- came later), planned for the owner to confirm, then applied (or dropped). `campaign_id` is the
-- business: a one-group campaign, or the first part of a drop (which holds the products).
CREATE TABLE shortages (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    kind TEXT NOT NULL CHECK (kind IN ('short', 'restock')),
    rule TEXT NOT NULL CHECK (rule IN ('order', 'even', 'manual')),
    units INTEGER NOT NULL CHECK (units >= 0),
    held INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'applied', 'dropped')),
    planned_by TEXT NOT NULL,
    planned_at TEXT NOT NULL,
    applied_at TEXT
);
CREATE INDEX shortages_by_campaign ON shortages (campaign_id, product_id);

-- Each member's change in a shortage or restock: what she held when it was planned (`before`, the
-- manual rule's snapshot) and what it takes (negative) or gives back (positive). `campaign_id`: her
-- group's part. `position`: her place in the order book for the product (her first line's id).
CREATE TABLE shortage_changes (
    shortage_id INTEGER NOT NULL REFERENCES shortages (id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    before INTEGER NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (shortage_id, campaign_id, member_id)
);

-- The refund ledger: every refund owed to a member with its reason. `in_book` 1: her order was cut
-- in the book (缺货, a withdrawn product), so her order's worth is already less; 0: a credit against
-- goods she received (售后). A restock is a negative 缺货 row. Signed qty and cents; `source_id` is
-- the shortage or the claim.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    product_id INTEGER REFERENCES products (id),
    reason TEXT NOT NULL CHECK (reason IN ('shortage', 'claim', 'withdrawn')),
    qty INTEGER NOT NULL,
    cents INTEGER NOT NULL,
    in_book INTEGER NOT NULL CHECK (in_book IN (0, 1)),
    source_id INTEGER,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX refunds_by_member ON refunds (campaign_id, member_id);

-- Money the owner handed back (/退款 张三 30): the other side of the refunds owed. Kept when taken
-- back (undone_at), like a payment.
CREATE TABLE refund_payments (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    cents INTEGER NOT NULL CHECK (cents > 0),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
);
CREATE INDEX refund_payments_by_member ON refund_payments (campaign_id, member_id);

-- 售后: a member's report of a problem with what she received. `room_id`: where she wrote ('' for
-- her private chat), where she hears the outcome. `campaign_id`: her group's part it is about.
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    product_id INTEGER REFERENCES products (id),
    qty INTEGER,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    photo TEXT,
    message_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'refunded', 'replaced', 'refused')),
    refund_cents INTEGER,
    replace_qty INTEGER,
    note TEXT,
    settled_by TEXT,
    settled_at TEXT,
    -- A replacement (补发) handed over at her next pickup.
    replaced_at TEXT
);
CREATE INDEX claims_by_member ON claims (member_id, status);
CREATE INDEX claims_by_campaign ON claims (campaign_id);

-- A member's latest photo in a chat ('' for her private chat): a claim made around it refers to it.
CREATE TABLE member_photos (
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (room_id, member_id)
);

-- How long after pickup a group's members may still report a problem (default 48 hours).
CREATE TABLE claim_windows (
    room_id TEXT PRIMARY KEY,
    hours INTEGER NOT NULL CHECK (hours > 0),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
