-- Cheaper exact visitor sets for the traffic rollups (issue #4 performance).
--
-- rollup_visitors (sql/030) held one row per visitor × bucket × dimension key (~19 index tuples
-- of a 6-column key with text per visit): ~60 % of the rollup job's time (bench 2026-11-22,
-- 1.4M pageviews: 8.9k rows/s). It is replaced by:
--
-- visitor_days: ONE row per visitor × local day of the site. `hours` is a bit mask of the UTC
--   hours the visitor was seen in (bit b = the hour date_bin('1 hour', day) + b hours; a local
--   day spans bits 0–25), `keys` the 64-bit hashes hashtextextended(key, dim) of the dimension
--   keys (dims 1–10, key <> '') seen that day. The job bumps a counter only for what a row did
--   not hold yet, so per-day and per-hour unique counters stay exact.
--
-- visitor_day_links: per (day, prev_day) the number of visitors active on `day` whose previous
--   active day was prev_day ('-infinity' = none). Unique visitors over ANY range of whole local
--   days [a, b) are then exact without a distinct count: a visitor is counted once, on their
--   first day in the range, i.e. on the day whose previous day is before a:
--     Σ n WHERE day >= a AND day < b AND prev_day < a
--   (~days²/2 rows for a range instead of one row per visitor-day; 90 days ≈ 4k rows).
CREATE TABLE visitor_days (
  site_id bigint NOT NULL,
  visitor_key bigint NOT NULL,
  day timestamptz NOT NULL,
  hours bigint NOT NULL,
  keys bigint[] NOT NULL,
  -- Visitor first: the job reads all days of the visitors it touches (links below).
  PRIMARY KEY (site_id, visitor_key, day)
);
-- Ranges in a zone other than the site's (count(DISTINCT) over the hour masks of a few days).
CREATE INDEX visitor_days_site_day ON visitor_days (site_id, day);

CREATE TABLE visitor_day_links (
  site_id bigint NOT NULL,
  day timestamptz NOT NULL,
  prev_day timestamptz NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (site_id, day, prev_day)
);

-- Month grain ('m': the site's local month) for long ranges of top lists: a 90-day range reads
-- ≤ 2 partial months of day rows plus whole-month rows instead of 90 day rows per key.
-- Its `visitors` is the sum of the days' unique visitors (same meaning as summed day rows).
ALTER TABLE traffic_rollups DROP CONSTRAINT traffic_rollups_grain_check;
ALTER TABLE traffic_rollups ADD CONSTRAINT traffic_rollups_grain_check CHECK (grain IN ('h', 'd', 'm'));

-- Existing data: convert the old sets and derive the new rows, so history whose raw partitions
-- retention already dropped is kept.
INSERT INTO visitor_days (site_id, visitor_key, day, hours, keys)
SELECT site_id, visitor_key, bucket, 0, '{}' FROM rollup_visitors WHERE grain = 'd' AND dim = 0;

UPDATE visitor_days v SET keys = k.keys
FROM (SELECT site_id, visitor_key, bucket, array_agg(hashtextextended(key, dim)) AS keys
      FROM rollup_visitors WHERE grain = 'd' AND dim > 0 AND key <> '' GROUP BY 1, 2, 3) k
WHERE v.site_id = k.site_id AND v.visitor_key = k.visitor_key AND v.day = k.bucket;

-- An hour goes to the local day(s) it overlaps (two in a zone with a :30/:45 offset).
UPDATE visitor_days v SET hours = h.hours
FROM (SELECT v2.site_id, v2.visitor_key, v2.day,
             bit_or(1::bigint << (extract(epoch FROM r.bucket - date_bin('1 hour', v2.day, timestamptz '2000-01-01 00:00+00')) / 3600)::int) AS hours
      FROM rollup_visitors r
      JOIN sites s ON s.id = r.site_id
      JOIN visitor_days v2 ON v2.site_id = r.site_id AND v2.visitor_key = r.visitor_key
        AND v2.day IN (date_trunc('day', r.bucket, s.timezone), date_trunc('day', r.bucket + interval '45 minutes', s.timezone))
      WHERE r.grain = 'h' AND r.dim = 0
      GROUP BY 1, 2, 3) h
WHERE v.site_id = h.site_id AND v.visitor_key = h.visitor_key AND v.day = h.day;

INSERT INTO visitor_day_links (site_id, day, prev_day, n)
SELECT site_id, day, prev_day, count(*) FROM (
  SELECT site_id, day, coalesce(lag(day) OVER (PARTITION BY site_id, visitor_key ORDER BY day), '-infinity') AS prev_day
  FROM visitor_days
) x GROUP BY 1, 2, 3;

INSERT INTO traffic_rollups (site_id, grain, bucket, dim, key, pageviews, visitors, visits, bounces, duration_seconds)
SELECT r.site_id, 'm', date_trunc('month', r.bucket, s.timezone), r.dim, r.key,
       sum(r.pageviews), sum(r.visitors), sum(r.visits), sum(r.bounces), sum(r.duration_seconds)
FROM traffic_rollups r JOIN sites s ON s.id = r.site_id
WHERE r.grain = 'd'
GROUP BY 1, 2, 3, 4, 5;

DROP TABLE rollup_visitors;
