-- An owner's template that failed or ran over its budget on real data: why, and since when the
-- built-in one is used instead (she was told once). NULL: it works. Setting a new one clears it.
ALTER TABLE template_overrides ADD COLUMN broken TEXT;
