-- Changing a running drop (bot/domain/changes.py).
-- /下架: a withdrawn product stays in the catalogue, so an order naming it is told it was withdrawn
-- rather than not read at all; it sells nothing more.
ALTER TABLE products ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
-- /改价 without 全部: the units each member held when the price changed keep the old price, oldest
-- change first (storage/records.py priced_item). /改价 … 全部 deletes a product's rows.
CREATE TABLE kept_prices (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    member_id TEXT NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products (id),
    qty INTEGER NOT NULL CHECK (qty > 0),
    price_cents INTEGER NOT NULL,
    kept_at TEXT NOT NULL
);
CREATE INDEX kept_prices_by_campaign ON kept_prices (campaign_id);
