-- After the drop: pickup codes and collection, payments, payment hints, 成团 outcome, commission.

-- One row per member and campaign once the goods arrive or she pays.
CREATE TABLE fulfilment (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    pickup_code TEXT,
    notified_at TEXT,
    collected_at TEXT,
    collected_by TEXT,
    paid_cents INTEGER NOT NULL DEFAULT 0,
    paid_at TEXT,
    PRIMARY KEY (campaign_id, member_id)
);
CREATE UNIQUE INDEX fulfilment_by_code ON fulfilment (campaign_id, pickup_code);

-- A transfer or red packet seen from a member: for the owner to confirm, never marked paid by itself.
CREATE TABLE payment_hints (
    id INTEGER PRIMARY KEY,
    room_id TEXT,
    member_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    message_id TEXT,
    created_at TEXT NOT NULL
);

-- NULL: no threshold or not decided yet; 1: 成团; 0: not reached at the close, orders not fulfilled.
ALTER TABLE campaigns ADD COLUMN fulfilled INTEGER;
ALTER TABLE campaigns ADD COLUMN arrived_at TEXT;
-- Commission in basis points (10% = 1000), for the campaign and per product.
ALTER TABLE campaigns ADD COLUMN commission_bp INTEGER;
ALTER TABLE products ADD COLUMN commission_bp INTEGER;
