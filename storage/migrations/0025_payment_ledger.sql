-- The payment ledger: every /已付 adds a row (how much, who recorded it, when); /已付 … 撤销 marks
-- the last one standing undone (kept, never deleted: the owner can see what was taken back).
-- fulfilment.paid_cents stays the sum of a member's payments that stand, written in the same
-- transaction as the row, so every reader of it (the reports, 我的订单) is unchanged.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    cents INTEGER NOT NULL CHECK (cents > 0),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
);
CREATE INDEX payments_by_member ON payments (campaign_id, member_id);
-- What earlier versions recorded as one figure becomes its first payment.
INSERT INTO payments (campaign_id, member_id, cents, recorded_by, recorded_at)
    SELECT campaign_id, member_id, paid_cents, '', COALESCE(paid_at, '2000-01-01T00:00:00+00:00')
    FROM fulfilment WHERE paid_cents > 0;

-- The numbered list of people the bot last showed an owner (/未付, /未取, a "which one?"): her
-- "/已付 1" names its first person. One list per owner, replaced by the next one shown.
ALTER TABLE owner_prefs ADD COLUMN shown_list TEXT;  -- JSON [[room id, member id], ...] by number
