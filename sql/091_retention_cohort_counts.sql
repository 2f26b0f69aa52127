-- Visitor cohort counts for the retention report's fast path (issue #16 point 5).
--
-- Why: the exact visitor-cohort query (src/reports/retention/report.ts) joins every cohort member
-- to every one of their UTC activity days and takes a DISTINCT (visitor, cohort, period); at 10M
-- events that was p95 1.5–2.3 s (docs/benchmarks.md), growing with members × active days. Here
-- the same answer is pre-aggregated per (cohort period, active period) in the site's own zone
-- (sites.timezone), for weeks (Monday) and months, so the report reads a few thousand rows.
--
-- Exactness, for a query in the zone of retention_cohort_zones (other zones and day periods read
-- the exact path):
-- * retention_visitor_periods: per visitor and active local period, `first_day`, the first local
--   day with a pageview in it. It is derived from retention_visitor_days (first/last instant per
--   UTC day): a UTC day holds at most one local midnight (sql/090's header), so the first local
--   day of the period among that day's pageviews is the local day of first_at when first_at is in
--   the period, else that of last_at.
-- * The cohort is the visitor's earliest active period (the one holding the first pageview, as
--   retention_visitor_first says); the segment values come from retention_visitor_first.
-- * retention_cohort_counts: visitors per (grain, segment dimension, segment value, cohort,
--   period, first_day). The report's `to` ends at a local midnight, so "a pageview in the
--   period before the end" is `first_day < to + 1`: a `to` in the middle of a period is exact.
--   `dim` '' is the unsegmented count ('' as seg); 'channel', 'country', 'device' the splits.
-- * The job (src/reports/retention/cohort-counts.ts) subtracts the contributions of every
--   visitor with new pageviews, recomputes their period rows and adds them back, all in the
--   retention job's transaction; erase subtracts the erased visitors the same way. A change of
--   the site's zone rebuilds that site's rows in the next run and only then moves the zone row,
--   and the report reads the zone row and the counts in one statement, so it never mixes zones.

CREATE TABLE retention_cohort_zones (
  site_id bigint PRIMARY KEY,
  tz text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retention_visitor_periods (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  grain text NOT NULL CHECK (grain IN ('week', 'month')),
  period date NOT NULL,
  first_day date NOT NULL,
  PRIMARY KEY (site_id, visitor_id, grain, period)
);

CREATE TABLE retention_cohort_counts (
  site_id bigint NOT NULL,
  grain text NOT NULL CHECK (grain IN ('week', 'month')),
  dim text NOT NULL CHECK (dim IN ('', 'channel', 'country', 'device')),
  cohort date NOT NULL,
  period date NOT NULL,
  first_day date NOT NULL,
  seg text NOT NULL,
  visitors integer NOT NULL CHECK (visitors > 0),
  PRIMARY KEY (site_id, grain, dim, cohort, period, first_day, seg)
);

-- Filled from the existing rollups by the job's first run (the zone row is missing, so every
-- site counts as a zone change and is built whole).

-- Row-level security as sql/150 sets it for every site_id table (a fresh database runs sql/150
-- after this file and does the same; on one migrated before, the role already exists).
DO $rls$
DECLARE
  t text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tally_report_reader') THEN
    FOREACH t IN ARRAY ARRAY['retention_cohort_zones', 'retention_visitor_periods', 'retention_cohort_counts'] LOOP
      EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
      EXECUTE format('DROP POLICY IF EXISTS tally_site_isolation ON %I', t);
      EXECUTE format($p$CREATE POLICY tally_site_isolation ON %I FOR SELECT TO tally_report_reader
        USING (site_id = NULLIF(current_setting('tally.site_id', true), '')::bigint)$p$, t);
      EXECUTE format('GRANT SELECT ON %I TO tally_report_reader', t);
    END LOOP;
  END IF;
END
$rls$;
