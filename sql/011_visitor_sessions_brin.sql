-- A BRIN (summarising) index does not prevent HOT updates: advancing last_seen on every beacon
-- then rewrites no index entry. The hourly dedup-cleanup job is the only reader of last_seen.
DROP INDEX visitor_sessions_last_seen;
CREATE INDEX visitor_sessions_last_seen ON visitor_sessions USING brin (last_seen);
