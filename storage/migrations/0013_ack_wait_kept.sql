-- An acknowledgement being gathered keeps when it first waited and when something not as she
-- wrote (waitlisted, asked, refused) first waited for her: after a restart her wait goes on
-- where it was, and an exception still goes out within its minute.
ALTER TABLE ack_pending ADD COLUMN urgent_at TEXT;
