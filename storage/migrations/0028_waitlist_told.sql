-- When a member still waiting at the close was told she got nothing (lifecycle._waited_in_vain):
-- told once, not again when a reopened drop closes a second time.
ALTER TABLE waitlist ADD COLUMN told_at TEXT;
