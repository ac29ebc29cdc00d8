-- One drop sold in several groups: each group has its own campaign row (its 接龙
-- list, acknowledgements, close notice, waitlist), and every part of the drop
-- points at the first part, which holds the products. Stock (products.sold) and
-- 限购 are therefore shared by the whole drop. NULL: a one-group campaign, as before.
ALTER TABLE campaigns ADD COLUMN drop_id INTEGER;
CREATE INDEX campaigns_by_drop ON campaigns (drop_id);
