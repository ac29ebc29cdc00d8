-- The owner's own words for products (/别名 油 = 压榨花生油), per group. Kept by the product's name
-- (its comparison key), so the next campaign selling a product of that name is read the same way.
CREATE TABLE product_aliases (
    room_id TEXT NOT NULL,
    alias TEXT NOT NULL,          -- the word as a key (folded, no punctuation): what members write
    shown TEXT NOT NULL,          -- the word as the owner wrote it
    product_key TEXT NOT NULL,    -- the product's name as a key
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (room_id, alias)
);
