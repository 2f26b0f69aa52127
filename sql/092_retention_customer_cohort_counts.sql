-- Customer cohort counts and money for the retention report's fast path (issue #16 point 5), as
-- sql/091 does for visitor cohorts.
--
-- Why: the exact customer-cohort query joins every member to every one of their quarter-hour
-- slots (sql/090) and maps each slot to a period; at 10M events (200k orders, 136k customers)
-- that was p95 470–650 ms over 90 days (docs/benchmarks.md), growing with members × slots. Here
-- the same answer is pre-aggregated per cohort period in the site's own zone, for weeks and months.
--
-- Exactness, for a query in the zone of retention_customer_cohort_zones (other zones and day
-- periods read the exact path):
-- * A slot is a UTC quarter hour and every local midnight of every IANA zone falls on one, so a
--   slot lies in exactly one local day: (slot AT TIME ZONE tz)::date.
-- * retention_customer_periods: per customer and local period with a paid order (a slot with
--   orders > 0), `first_day`, the first local day with one. The cohort is the period of the
--   customer's first paid order (retention_customer_first), the segment values come from there.
-- * retention_customer_cohort_counts: customers per (grain, dim, seg, cohort, period,
--   first_day); "a paid order in the period before the end of `to`" is `first_day < to + 1`.
-- * retention_customer_cohort_money: Σ (gross − refunds) per (grain, dim, seg, cohort, local day,
--   currency), only days on or after the cohort's first day (periods 0…k, as the exact query);
--   the report sums the days before `to + 1`, so a `to` inside a period is exact too.
-- * The retention job's commerce steps (src/reports/retention/customer-cohort-counts.ts)
--   subtract the contributions of every customer they recompute, before their rows change, and
--   add them back after, in the job's transaction; erase runs the same steps. A change of the
--   site's zone rebuilds that site's rows and only then moves the zone row.

CREATE TABLE retention_customer_cohort_zones (
  site_id bigint PRIMARY KEY,
  tz text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retention_customer_periods (
  site_id bigint NOT NULL,
  customer_id text NOT NULL,
  grain text NOT NULL CHECK (grain IN ('week', 'month')),
  period date NOT NULL,
  first_day date NOT NULL,
  PRIMARY KEY (site_id, customer_id, grain, period)
);

CREATE TABLE retention_customer_cohort_counts (
  site_id bigint NOT NULL,
  grain text NOT NULL CHECK (grain IN ('week', 'month')),
  dim text NOT NULL CHECK (dim IN ('', 'channel', 'country', 'device')),
  cohort date NOT NULL,
  period date NOT NULL,
  first_day date NOT NULL,
  seg text NOT NULL,
  customers integer NOT NULL CHECK (customers > 0),
  PRIMARY KEY (site_id, grain, dim, cohort, period, first_day, seg)
);

CREATE TABLE retention_customer_cohort_money (
  site_id bigint NOT NULL,
  grain text NOT NULL CHECK (grain IN ('week', 'month')),
  dim text NOT NULL CHECK (dim IN ('', 'channel', 'country', 'device')),
  cohort date NOT NULL,
  day date NOT NULL,
  seg text NOT NULL,
  currency char(3) NOT NULL,
  -- customers with a slot in the row: the row goes when the last one is subtracted (a net of 0
  -- can be a real sum), so the job keeps exactly the rows a rebuild makes
  customers integer NOT NULL CHECK (customers > 0),
  net bigint NOT NULL,
  PRIMARY KEY (site_id, grain, dim, cohort, day, seg, currency)
);

-- Filled by the job's next run (no zone row: every site is built whole).

-- Row-level security as sql/150 sets it (see sql/091).
DO $rls$
DECLARE
  t text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tally_report_reader') THEN
    FOREACH t IN ARRAY ARRAY['retention_customer_cohort_zones', 'retention_customer_periods', 'retention_customer_cohort_counts',
                             'retention_customer_cohort_money'] LOOP
      EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
      EXECUTE format('DROP POLICY IF EXISTS tally_site_isolation ON %I', t);
      EXECUTE format($p$CREATE POLICY tally_site_isolation ON %I FOR SELECT TO tally_report_reader
        USING (site_id = NULLIF(current_setting('tally.site_id', true), '')::bigint)$p$, t);
      EXECUTE format('GRANT SELECT ON %I TO tally_report_reader', t);
    END LOOP;
  END IF;
END
$rls$;
