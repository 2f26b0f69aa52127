/**
 * Visitor steps of a traffic-rollup increment (run by src/reports/overview/traffic-rollup.ts after the pageview
 * counters, in the same transaction). Sets are kept in visitor_days, one row per visitor × local
 * day (sql/050), instead of one row per visitor × bucket × key (sql/030 rollup_visitors, ~60 % of
 * the job's time at 8.9k rows/s, bench 2026-11-22).
 */
import { AGG_DIMS, hourBit, PAGE_DIM, type Sql } from './traffic-rollup-sql.ts';

/**
 * new_vk: the (day, dimension key) pairs of each visitor in the batch (dims 1–10, key <> '':
 * '' is "none" and never listed).
 */
export function collectVisitorKeys(): Sql {
  return {
    text: `CREATE TEMP TABLE new_vk ON COMMIT DROP AS
      SELECT DISTINCT x.site_id, x.db, x.mb, x.visitor_key, x.dim, x.key, hashtextextended(x.key, x.dim) AS kh
      FROM (${AGG_DIMS} UNION ALL ${PAGE_DIM}) x WHERE x.dim > 0 AND x.key <> ''`,
    values: [],
  };
}

/**
 * Merges the batch's visitor-days into visitor_days; new_vd keeps the rows that changed with
 * their state before (old_hours NULL = a visitor-day not seen before). Rows that gain nothing
 * are neither rewritten nor kept. The stored row is read by the upsert's own unique-index probe
 * (RETURNING old.*, PostgreSQL 18): a join to visitor_days was planned as a hash join over the
 * whole table, 1.4 s of a 5.6 s incremental run at 3.7M pageviews (bench 2026-11-29).
 */
export function collectVisitorDays(): Sql {
  return {
    text: `CREATE TEMP TABLE new_vd ON COMMIT DROP AS
      WITH h AS (SELECT site_id, db, mb, visitor_key, bit_or(${hourBit('hb', 'db')}) AS hours FROM new_agg GROUP BY 1, 2, 3, 4),
      k AS (SELECT site_id, db, visitor_key, array_agg(kh) AS keys FROM new_vk GROUP BY 1, 2, 3),
      up AS (
        INSERT INTO visitor_days AS t (site_id, visitor_key, day, hours, keys)
        SELECT h.site_id, h.visitor_key, h.db, h.hours, coalesce(k.keys, '{}') FROM h LEFT JOIN k USING (site_id, db, visitor_key)
        ON CONFLICT (site_id, visitor_key, day) DO UPDATE
          SET hours = t.hours | EXCLUDED.hours, keys = t.keys || ARRAY(SELECT x FROM unnest(EXCLUDED.keys) x WHERE NOT (x = ANY (t.keys)))
          WHERE EXCLUDED.hours & ~t.hours <> 0 OR NOT (EXCLUDED.keys <@ t.keys)
        RETURNING t.site_id, t.day AS db, t.visitor_key, old.hours AS old_hours, old.keys AS old_keys
      )
      SELECT up.site_id, up.db, h.mb, up.visitor_key, up.old_hours, up.old_keys
      FROM up JOIN h ON h.site_id = up.site_id AND h.db = up.db AND h.visitor_key = up.visitor_key`,
    values: [],
  };
}

/**
 * What the stored rows did not hold yet bumps traffic_rollups.visitors: a new key of a
 * visitor-day at day grain (and its month, where visitors = Σ of daily uniques), a new
 * visitor-day at dim 0, a new visitor-hour at hour grain. (A UTC hour shared by two local days —
 * zones with a :30/:45 offset — is deduplicated within a batch only.)
 */
export function addVisitorCounts(): Sql {
  return {
    text: `INSERT INTO traffic_rollups (site_id, grain, bucket, dim, key, visitors)
      SELECT site_id, grain, bucket, dim, key, count(*) FROM (
        SELECT k.site_id, g.grain, CASE g.grain WHEN 'd' THEN k.db ELSE k.mb END AS bucket, k.dim, k.key
        FROM new_vk k JOIN new_vd v USING (site_id, db, visitor_key)
        CROSS JOIN (VALUES ('d'::char(1)), ('m'::char(1))) g(grain)
        WHERE v.old_keys IS NULL OR NOT (k.kh = ANY (v.old_keys))
        UNION ALL
        SELECT v.site_id, g.grain, CASE g.grain WHEN 'd' THEN v.db ELSE v.mb END, 0::smallint, ''
        FROM new_vd v CROSS JOIN (VALUES ('d'::char(1)), ('m'::char(1))) g(grain)
        WHERE v.old_hours IS NULL
        UNION ALL
        SELECT site_id, 'h'::char(1), hb, 0::smallint, '' FROM (
          SELECT DISTINCT a.site_id, a.hb, a.visitor_key FROM new_agg a JOIN new_vd v USING (site_id, db, visitor_key)
          WHERE coalesce(v.old_hours, 0) & ${hourBit('a.hb', 'a.db')} = 0
        ) nh
      ) x GROUP BY 1, 2, 3, 4, 5
      ON CONFLICT (site_id, grain, dim, bucket, key)
      DO UPDATE SET visitors = traffic_rollups.visitors + EXCLUDED.visitors`,
    values: [],
  };
}

/**
 * visitor_day_links (sql/050) of the visitors with new days: − the links of their days before
 * this batch, + the links of all their days now (a late day between two known ones re-links the
 * later one). Runs after collectVisitorDays (visitor_days already holds the new days).
 */
export function addVisitorLinks(): Sql {
  const w = `OVER (PARTITION BY site_id, visitor_key ORDER BY day)`;
  return {
    text: `WITH nd AS (SELECT site_id, visitor_key, db AS day FROM new_vd WHERE old_hours IS NULL),
      now_days AS (
        SELECT d.site_id, d.visitor_key, d.day FROM (SELECT DISTINCT site_id, visitor_key FROM nd) who
        JOIN visitor_days d ON d.site_id = who.site_id AND d.visitor_key = who.visitor_key
      ), links AS (
        SELECT site_id, day, coalesce(lag(day) ${w}, '-infinity') AS prev_day, -1 AS n
        FROM (SELECT * FROM now_days EXCEPT ALL SELECT * FROM nd) old
        UNION ALL
        SELECT site_id, day, coalesce(lag(day) ${w}, '-infinity'), 1 FROM now_days
      )
      INSERT INTO visitor_day_links AS t (site_id, day, prev_day, n)
      SELECT site_id, day, prev_day, sum(n) FROM links GROUP BY 1, 2, 3 HAVING sum(n) <> 0
      ON CONFLICT (site_id, day, prev_day) DO UPDATE SET n = t.n + EXCLUDED.n`,
    values: [],
  };
}
