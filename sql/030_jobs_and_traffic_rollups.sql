-- Scheduled jobs (state + run log) and the incremental traffic rollups behind the reports.
--
-- Watermark safety (see src/jobs/rollups-watermark.ts): a rollup run briefly takes
-- `LOCK pageviews IN EXCLUSIVE MODE`, which waits for every in-flight writer transaction (they
-- hold ROW EXCLUSIVE while they COPY), reads the sequence's last value, and releases the lock.
-- Every row numbered at or below that value is then committed, so the run may advance the
-- watermark to it (the Citus "incremental rollups" method). This only holds if a session cannot
-- hand out a number below the one read later on, i.e. without per-session sequence caching:
-- with CACHE 1000 a writer could use a number cached an hour ago and fall behind the watermark.
-- nextval without a cache costs one sequence-buffer lock per row (no extra WAL: PostgreSQL logs
-- sequence advances 32 at a time either way).
ALTER SEQUENCE tally_ingest_seq CACHE 1;

-- One row per job: when it is next due, and who holds it. Instances claim a due job with
-- SELECT … FOR UPDATE SKIP LOCKED and push next_run_at forward in the same statement, so one
-- instance runs it and the others skip it (and do not run it again right after).
CREATE TABLE job_state (
  name text PRIMARY KEY,
  next_run_at timestamptz NOT NULL DEFAULT now(),
  -- Set while a run is in progress; a crashed instance's claim expires at lease_until.
  running_instance text,
  lease_until timestamptz,
  consecutive_failures integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE job_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL,
  instance text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  rows bigint,
  error text,
  detail jsonb
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at DESC);
CREATE INDEX job_runs_started ON job_runs (started_at DESC);

-- Highest ingest_seq folded into the rollups (one row per consumer, e.g. 'traffic').
CREATE TABLE rollup_watermarks (
  name text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO rollup_watermarks (name, seq) VALUES ('traffic', 0);

-- Derived visits: one row per (site, session_id), merged incrementally from new pageviews
-- (earliest row gives the entry attributes, latest the exit page). visitor_key is a 64-bit hash
-- of visitor_id used by the visitor sets below.
CREATE TABLE sessions (
  site_id bigint NOT NULL,
  session_id text NOT NULL,
  visitor_id text NOT NULL,
  visitor_key bigint NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  pageviews integer NOT NULL,
  entry_path text NOT NULL,
  exit_path text NOT NULL,
  ref_domain text,
  channel text,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  country text,
  device text,
  browser text,
  os text,
  PRIMARY KEY (site_id, session_id)
);
CREATE INDEX sessions_site_started ON sessions (site_id, started_at);

-- Additive traffic counters. grain 'h' = UTC hour (bucket = hour start); grain 'd' = the site's
-- local day (bucket = that local midnight as timestamptz; changing a site's time zone needs a
-- rebuild: `tally jobs run rollups-rebuild`). dim 0 = whole site (key ''), then
-- 1 page, 2 referrer domain, 3 channel, 4 utm_source, 5 utm_medium, 6 utm_campaign, 7 country,
-- 8 browser, 9 os, 10 device. pageviews count pageviews carrying that attribute in that bucket;
-- visits/bounces/duration_seconds count sessions by their start bucket and entry attributes
-- (dim 1 = landing page). visitors = distinct visitors in that one bucket (exact per bucket;
-- a sum over buckets counts a visitor once per bucket — used for top lists, see overview.ts).
CREATE TABLE traffic_rollups (
  site_id bigint NOT NULL,
  grain char(1) NOT NULL CHECK (grain IN ('h', 'd')),
  bucket timestamptz NOT NULL,
  dim smallint NOT NULL,
  key text NOT NULL,
  pageviews bigint NOT NULL DEFAULT 0,
  visitors bigint NOT NULL DEFAULT 0,
  visits bigint NOT NULL DEFAULT 0,
  bounces bigint NOT NULL DEFAULT 0,
  duration_seconds bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, grain, dim, bucket, key)
);

-- The set of visitors per bucket (and per dimension key): an insert that finds the visitor new
-- bumps traffic_rollups.visitors, and exact unique visitors over any range (totals, week/month
-- buckets) are count(DISTINCT visitor_key) over dim 0 instead of a sum of per-bucket counts.
CREATE TABLE rollup_visitors (
  site_id bigint NOT NULL,
  grain char(1) NOT NULL CHECK (grain IN ('h', 'd')),
  dim smallint NOT NULL,
  bucket timestamptz NOT NULL,
  key text NOT NULL,
  visitor_key bigint NOT NULL,
  PRIMARY KEY (site_id, grain, dim, bucket, key, visitor_key)
);

