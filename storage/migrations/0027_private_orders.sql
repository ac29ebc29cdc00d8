-- A member's order sent in her private chat while the bot asks which of her groups it is for (she
-- has an open campaign in several): her words and the groups offered, as JSON; NULL once answered.
ALTER TABLE owner_prefs ADD COLUMN pending_order TEXT;
