-- campaigns.live_lines was rewritten on every order change for one reader, an
-- owner's template; it is now counted from the order lines when a template asks.
ALTER TABLE campaigns DROP COLUMN live_lines;
