-- Web-vitals rank localisation (contract §4.5, issue #18): kept by the job `vitals-rollups`
-- (src/reports/vitals/rollup.ts) from the raw `vitals` rows by ingest_seq, from the watermark row
-- 'vitals' in rollup_watermarks. Raw rows are append-only, so each batch only adds.
--
-- Why not a histogram keyed by value: on the demo beacons it barely compresses (docs/benchmarks.md,
-- 2026-12-04: 511,737 distinct (path, device, day, lcp) keys for 523,498 samples). Instead:
-- coarse counts per value bucket find the bucket(s) holding the ranks percentile_cont needs
-- (⌊0.75(n−1)⌋, ⌈0.75(n−1)⌉), then only those buckets' exact values are read from
-- vitals_values (one row per folded sample) and interpolated as percentile_cont does.
--
-- Bucket = region × 100000 + ⌊per_e × ln(1 + v / unit)⌋, region 0 (v ≤ good), 1 (≤ poor), 2
-- (> poor) by Google's thresholds: non-decreasing in v (so ranks by bucket then value are ranks by
-- value) and the good / poor counts are exact sums of buckets. unit 1 ms, CLS 0.001. per_e 40
-- (2.5 % wide buckets) for the site-wide counts, 10 for the per-page counts (fewer rows per page).
-- Grain as the heatmap rollups: UTC quarter-hour slots (tally_slot), UTC days and UTC months
-- (common/split-range.ts), every zone's midnight being on a quarter hour.
CREATE FUNCTION tally_vital_bucket(metric text, v double precision, per_e double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (CASE WHEN v <= g THEN 0 WHEN v <= p THEN 1 ELSE 2 END) * 100000
          + least(floor(per_e * ln(1 + greatest(v, 0) / u)), 99999)::integer
   FROM (SELECT CASE metric WHEN 'lcp' THEN 2500 WHEN 'inp' THEN 200 WHEN 'cls' THEN 0.1 WHEN 'fcp' THEN 1800 ELSE 800 END::float8 AS g,
                CASE metric WHEN 'lcp' THEN 4000 WHEN 'inp' THEN 500 WHEN 'cls' THEN 0.25 WHEN 'fcp' THEN 3000 ELSE 1800 END::float8 AS p,
                CASE metric WHEN 'cls' THEN 0.001 ELSE 1 END::float8 AS u) t $$;

-- Samples per (metric, device, grain, bucket); device '' when ingestion stored none.
CREATE TABLE vitals_bucket_slots (
  site_id bigint NOT NULL, slot timestamptz NOT NULL, metric text NOT NULL, device text NOT NULL, bucket integer NOT NULL, samples bigint NOT NULL,
  PRIMARY KEY (site_id, slot, metric, device, bucket) INCLUDE (samples)
);
CREATE TABLE vitals_bucket_days (
  site_id bigint NOT NULL, day date NOT NULL, metric text NOT NULL, device text NOT NULL, bucket integer NOT NULL, samples bigint NOT NULL,
  PRIMARY KEY (site_id, day, metric, device, bucket) INCLUDE (samples)
);
CREATE TABLE vitals_bucket_months (
  site_id bigint NOT NULL, month date NOT NULL, metric text NOT NULL, device text NOT NULL, bucket integer NOT NULL, samples bigint NOT NULL,
  PRIMARY KEY (site_id, month, metric, device, bucket) INCLUDE (samples)
);

-- Per page (beacons with a path): lcp, inp, cls per 10-per-e-fold bucket, and metric 'n' (bucket
-- 0) the page's beacons, which rank the pages.
CREATE TABLE vitals_page_bucket_slots (
  site_id bigint NOT NULL, slot timestamptz NOT NULL, path text NOT NULL, metric text NOT NULL, device text NOT NULL, bucket integer NOT NULL, samples bigint NOT NULL,
  PRIMARY KEY (site_id, slot, path, metric, device, bucket) INCLUDE (samples)
);
CREATE TABLE vitals_page_bucket_days (
  site_id bigint NOT NULL, day date NOT NULL, path text NOT NULL, metric text NOT NULL, device text NOT NULL, bucket integer NOT NULL, samples bigint NOT NULL,
  PRIMARY KEY (site_id, day, path, metric, device, bucket) INCLUDE (samples)
);
CREATE TABLE vitals_page_bucket_months (
  site_id bigint NOT NULL, month date NOT NULL, path text NOT NULL, metric text NOT NULL, device text NOT NULL, bucket integer NOT NULL, samples bigint NOT NULL,
  PRIMARY KEY (site_id, month, path, metric, device, bucket) INCLUDE (samples)
);

-- The exact folded samples, one row each (seq = the raw row's ingest_seq, for erasure), read only
-- bucket by bucket: site-wide by (metric, bucket), per page by (path, metric, pbucket).
CREATE TABLE vitals_values (
  site_id bigint NOT NULL, metric text NOT NULL, bucket integer NOT NULL, pbucket integer NOT NULL,
  path text, device text NOT NULL, at timestamptz NOT NULL, value double precision NOT NULL, seq bigint NOT NULL
);
CREATE INDEX vitals_values_bucket ON vitals_values (site_id, metric, bucket, at) INCLUDE (device, value);
CREATE INDEX vitals_values_page ON vitals_values (site_id, path, metric, pbucket, at) INCLUDE (device, value)
  WHERE path IS NOT NULL AND metric IN ('lcp', 'inp', 'cls');
CREATE INDEX vitals_values_seq ON vitals_values USING brin (seq);

INSERT INTO rollup_watermarks (name, seq) VALUES ('vitals', 0) ON CONFLICT (name) DO NOTHING;

-- Row-level security as sql/150 sets it (150 runs after this file on a fresh database and covers
-- these tables too; on a database where 150 already ran, the reader role exists and this does it).
DO $rls$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['vitals_bucket_slots', 'vitals_bucket_days', 'vitals_bucket_months', 'vitals_page_bucket_slots',
                           'vitals_page_bucket_days', 'vitals_page_bucket_months', 'vitals_values'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tally_report_reader') THEN
      EXECUTE format('DROP POLICY IF EXISTS tally_site_isolation ON %I', t);
      EXECUTE format('CREATE POLICY tally_site_isolation ON %I FOR SELECT TO tally_report_reader USING (site_id = NULLIF(current_setting(''tally.site_id'', true), '''')::bigint)', t);
      EXECUTE format('GRANT SELECT ON %I TO tally_report_reader', t);
    END IF;
  END LOOP;
END $rls$;
