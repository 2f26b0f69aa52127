-- Per-visitor session state for server-assigned session ids (events that carry no client `sid`).
--
-- The writer locks a visitor's row in the same transaction that stores the visitor's events, so
-- several Tally instances writing one visitor's beacons serialise on it and agree on the session
-- (30 minutes of inactivity start a new one). A small reference-like table keyed by site_id first
-- (Citus: distributable by site). Rows idle for days are deleted by the `dedup-cleanup` job.
CREATE TABLE visitor_sessions (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  session_id text NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (site_id, visitor_id)
);
CREATE INDEX visitor_sessions_last_seen ON visitor_sessions (last_seen);

-- The cleanup job deletes idempotency keys older than the replay window by received_at.
CREATE INDEX ingest_dedup_received ON ingest_dedup USING brin (received_at);
