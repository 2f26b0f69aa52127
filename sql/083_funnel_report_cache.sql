-- Saved funnels' report cache (issue #15 point 5: the saved report ≤ 150 ms p95 at 10M events).
--
-- Why a cache at all: the exact state path (src/reports/funnel/saved-report.ts over
-- funnel_attempts, sql/081) reads one row per attempt of the range and picks per unit; on the
-- 3M demo that is 174k attempts / 125k units over 90 days and 1.8–4 s (EXPLAIN: 0.4 s scan,
-- 0.35 s DISTINCT ON sort, 1.7 s per-step percentiles). Medians are not additive, so no per-day
-- pre-aggregate answers any range; the dashboard's preset ranges (last 7/30/90 days in the site's
-- zone, no breakdown) are kept here as finished reports by the `funnel-report-cache` job
-- (src/reports/funnel/report-cache.ts), each computed by that exact state path.
--
-- Exactness: a cached report is served only while it was computed from the funnel's current
-- state. funnel_state.version is bumped (from a sequence: never reused, not even after a
-- rebuild) by a statement trigger on every write to funnel_attempts — the job's recomputes, a
-- first build, an erase — and the same trigger deletes the funnel's cached reports (so an
-- erased person's counts leave the cache in the erase's transaction). The revenue of order
-- steps is read from `orders` at request time on the state path, so a cached report also
-- records the site's max(orders.updated_at) it saw and is served only while that is unchanged.

CREATE SEQUENCE funnel_state_version;
ALTER TABLE funnel_state ADD COLUMN version bigint NOT NULL DEFAULT nextval('funnel_state_version');

CREATE TABLE funnel_report_cache (
  site_id bigint NOT NULL,
  funnel_id bigint NOT NULL,
  start_us bigint NOT NULL,
  end_us bigint NOT NULL,
  version bigint NOT NULL,
  orders_at timestamptz,
  report jsonb NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, funnel_id, start_us, end_us),
  FOREIGN KEY (site_id, funnel_id) REFERENCES funnel_state (site_id, funnel_id) ON DELETE CASCADE
);

CREATE FUNCTION funnel_state_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- version first: a cache write holding FOR SHARE SKIP LOCKED on the state row is skipped while this holds it
  UPDATE funnel_state s SET version = nextval('funnel_state_version')
  FROM (SELECT DISTINCT site_id, funnel_id FROM changed) c
  WHERE s.site_id = c.site_id AND s.funnel_id = c.funnel_id;
  DELETE FROM funnel_report_cache r
  USING (SELECT DISTINCT site_id, funnel_id FROM changed) c
  WHERE r.site_id = c.site_id AND r.funnel_id = c.funnel_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER funnel_attempts_inserted AFTER INSERT ON funnel_attempts
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION funnel_state_changed();
CREATE TRIGGER funnel_attempts_deleted AFTER DELETE ON funnel_attempts
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION funnel_state_changed();
CREATE TRIGGER funnel_attempts_updated AFTER UPDATE ON funnel_attempts
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION funnel_state_changed();

-- The served check reads max(updated_at) of one site's orders: one index probe.
CREATE INDEX funnel_orders_site_updated ON orders (site_id, updated_at);

-- Row-level security as sql/150 does it for every site-scoped table (that file may have run
-- before this one on an existing database).
DO $rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tally_report_reader') THEN
    ALTER TABLE funnel_report_cache ENABLE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tally_site_isolation ON funnel_report_cache;
    CREATE POLICY tally_site_isolation ON funnel_report_cache FOR SELECT TO tally_report_reader
      USING (site_id = NULLIF(current_setting('tally.site_id', true), '')::bigint);
    GRANT SELECT ON funnel_report_cache TO tally_report_reader;
  END IF;
END
$rls$;
