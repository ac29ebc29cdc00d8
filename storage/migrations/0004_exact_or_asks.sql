-- Exact or asks: an entry on the owner's check list is settled by the member's later
-- message or by the owner (/确认, /忽略), and then leaves the list.
ALTER TABLE unreadable ADD COLUMN settled_at TEXT;
ALTER TABLE unreadable ADD COLUMN settled_how TEXT;
CREATE INDEX unreadable_open_by_member ON unreadable (campaign_id, member_id) WHERE settled_at IS NULL;

-- The waitlist is served in order when stock frees up: qty is what she still waits for;
-- a row leaves when it is served in full or she changes her order of that product.
CREATE INDEX waitlist_in_order ON waitlist (product_id, id);
