-- "我也要" copies the order placed just before hers: the lines changed in the last minutes, found
-- without reading the campaign's whole history.
CREATE INDEX lines_by_time ON lines (campaign_id, updated_at);
