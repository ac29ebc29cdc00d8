-- One drop sold in several groups: each group has its own campaign row (its 接龙
-- list, acknowledgements, close notice, waitlist), and every part of the drop
-- points at the first part, which holds the products. Stock (products.sold) and
-- 限购 are therefore shared by the whole drop. NULL: a one-group campaign, as before.
ALTER TABLE campaigns ADD COLUMN drop_id INTEGER;
CREATE INDEX campaigns_by_drop ON campaigns (drop_id);

-- 合伙人: a helper who runs one of the owner's groups for a share of that group's sales.
-- She is also an admin of the group (admins); her rate is in basis points (10% = 1000).
CREATE TABLE partners (
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    commission_bp INTEGER NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (room_id, member_id)
);
