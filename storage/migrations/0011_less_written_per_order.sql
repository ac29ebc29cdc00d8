-- Less written with every order (each index and each table a message touches is
-- another page its commit writes):
-- campaigns.live_lines was rewritten on every order change for one reader, an
-- owner's template; it is now counted from the order lines when a template asks.
ALTER TABLE campaigns DROP COLUMN live_lines;
-- Lines are looked up by content key and by label in memory (storage/order_state.py);
-- no query reads these two indexes, and every new line updated both.
DROP INDEX lines_by_key;
DROP INDEX lines_by_label;
-- AUTOINCREMENT rewrote sqlite_sequence with every acknowledgement gathered. A plain
-- rowid key still gives a replaced entry the highest seq, so her latest change comes last.
CREATE TABLE ack_pending_new (
    seq INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (room_id, member_id)
);
INSERT INTO ack_pending_new SELECT seq, room_id, member_id, name, text, added_at FROM ack_pending;
DROP TABLE ack_pending;
ALTER TABLE ack_pending_new RENAME TO ack_pending;
