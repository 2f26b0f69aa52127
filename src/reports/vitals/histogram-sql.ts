import { splitRange, splitValues } from '../common/split-range.ts';
import { PAGE_METRICS, VITALS_WATERMARK, vitalsSamplesSelect } from './rollup.ts';

/**
 * The web-vitals report by rank localisation over the sql/073 rollups (exact, as percentile_cont).
 *
 * 1. Samples per value bucket over the range: whole UTC months, whole UTC days and the quarter-hour
 *    slots of the edges (common/split-range.ts), plus the raw rows past the job's watermark (read
 *    by ingest_seq, so the report is as fresh as the raw table).
 * 2. Running counts locate the bucket(s) holding the ranks lo = ⌊0.75(n−1)⌋ and hi = ⌈0.75(n−1)⌉
 *    (0-based; buckets are non-decreasing in the value, so the rank among all values is the
 *    samples of lower buckets plus the rank inside the bucket).
 * 3. Only those buckets' exact samples are read (vitals_values by (metric, bucket, at), plus the
 *    fresh raw ones) and the two values interpolated as PostgreSQL's percentile_cont does
 *    (float8: lo + (0.75(n−1) − lo) × (hi − lo)), so the result is bit-identical.
 * good / poor are sums of buckets (region 0 ≤ good threshold, region 2 > poor threshold).
 * Everything is ONE statement: one snapshot sees the rollups and the watermark of the same commit.
 */

type Sql = { text: string; values: unknown[] };
export interface HistogramQuery { siteId: string; start: Date; end: Date; device: string | null }

/** $1 site, $2 start, $3 end, $4 device, $5.. the range split (with months). */
const head = (q: HistogramQuery) => [q.siteId, q.start, q.end, q.device, ...splitValues(splitRange(q.start, q.end, { months: true }), true)];
const DEVICE = `($4::text IS NULL OR device = $4::text)`;

/**
 * Every grain of a count table over the split range. Head and tail are separate selects (not one
 * OR), so each is one index range and can be an index-only scan: with the OR, PostgreSQL took a
 * bitmap heap scan of vitals_bucket_slots, 244 ms for 29,234 rows (3M demo, 30 days).
 */
function grains(table: string, cols: string, where: string): string {
  const from = (grain: string, col: string, type: string, a: number, b: number) =>
    `SELECT ${cols} FROM ${table}_${grain} WHERE site_id = $1::bigint AND ${DEVICE} AND ${where} AND ${col} >= $${a}::${type} AND ${col} < $${b}::${type}`;
  return [from('days', 'day', 'date', 5, 6), from('days', 'day', 'date', 7, 8), from('slots', 'slot', 'timestamptz', 9, 10),
    from('slots', 'slot', 'timestamptz', 11, 12), from('months', 'month', 'date', 13, 14)].join('\n    UNION ALL ');
}

/** The raw rows of the range past the watermark, and their samples (CTEs `fresh_rows`, `fresh`). */
const FRESH = `wm AS (SELECT coalesce((SELECT seq FROM rollup_watermarks WHERE name = '${VITALS_WATERMARK}'), 0) AS seq),
  fresh_rows AS MATERIALIZED (
    SELECT site_id, path, device, occurred_at, lcp, inp, cls, fcp, ttfb FROM vitals
    WHERE site_id = $1::bigint AND ingest_seq > (SELECT seq FROM wm)
      AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz AND ($4::text IS NULL OR coalesce(device, '') = $4::text)),
  fresh AS (${vitalsSamplesSelect('fresh_rows', 'true')})`;

/**
 * Steps 2–3 for groups `key` (e.g. metric, or path + metric) given the CTE `counts (key…, bucket,
 * n)`; `values(needAlias)` joins vitals_values for the needed buckets. Defines `target` with p75.
 */
function localise(key: string[], bucketCol: string, valuesJoin: string): string {
  const k = key.join(', ');
  const on = (a: string, b: string) => key.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  return `cum AS (SELECT ${k}, bucket, n, sum(n) OVER (PARTITION BY ${k} ORDER BY bucket) - n AS before FROM counts),
  target AS (SELECT ${k}, sum(n) AS total, floor(0.75::float8 * (sum(n) - 1)) AS lo, ceil(0.75::float8 * (sum(n) - 1)) AS hi FROM counts GROUP BY ${k}),
  need AS (SELECT c.*, t.lo, t.hi FROM cum c JOIN target t ON ${on('c', 't')}
           WHERE (t.lo >= c.before AND t.lo < c.before + c.n) OR (t.hi >= c.before AND t.hi < c.before + c.n)),
  vals AS (SELECT ${key.map((c) => `need.${c}`).join(', ')}, need.bucket, need.before, need.lo, need.hi, v.value
           FROM need CROSS JOIN LATERAL (
             SELECT v.value FROM vitals_values v
             WHERE v.site_id = $1::bigint AND ${key.map((c) => `v.${c} = need.${c}`).join(' AND ')} AND v.${bucketCol} = need.bucket
               AND v.at >= $2::timestamptz AND v.at < $3::timestamptz AND ($4::text IS NULL OR v.device = $4::text)${valuesJoin}
             OFFSET 0) v
           UNION ALL
           SELECT ${key.map((c) => `need.${c}`).join(', ')}, need.bucket, need.before, need.lo, need.hi, f.value
           FROM need JOIN fresh f ON ${on('f', 'need')} AND f.${bucketCol} = need.bucket),
  ranked AS (SELECT *, before + row_number() OVER (PARTITION BY ${k}, bucket ORDER BY value) - 1 AS r FROM vals WHERE true),
  picked AS (SELECT ${k}, min(value) FILTER (WHERE r = lo) AS lo_v, min(value) FILTER (WHERE r = hi) AS hi_v FROM ranked GROUP BY ${k}),
  p75 AS (SELECT t.*, CASE WHEN t.hi > t.lo THEN p.lo_v + ((0.75::float8 * (t.total - 1) - t.lo) * (p.hi_v - p.lo_v)) ELSE p.lo_v END AS p75
          FROM target t JOIN picked p ON ${on('t', 'p')})`;
}

/** One row per metric with samples: metric, p75, samples, good, poor (float8). */
export function vitalsHistogramMetricsSql(q: HistogramQuery): Sql {
  return {
    text: `WITH ${FRESH},
  counts AS (SELECT metric, bucket, sum(samples)::float8 AS n FROM (
    ${grains('vitals_bucket', 'metric, bucket, samples', 'true')}
    UNION ALL SELECT metric, bucket, 1 FROM fresh) u GROUP BY metric, bucket),
  ${localise(['metric'], 'bucket', '')}
  SELECT p.metric, p.p75, p.total AS "samples",
         coalesce((SELECT sum(n) FROM counts c WHERE c.metric = p.metric AND c.bucket < 100000), 0) AS "good",
         coalesce((SELECT sum(n) FROM counts c WHERE c.metric = p.metric AND c.bucket >= 200000), 0) AS "poor"
  FROM p75 p`,
    values: head(q),
  };
}

/**
 * The 50 pages with the most beacons (ties by path), their lcp / inp / cls p75, ordered by lcp_p75
 * descending (nulls last), beacons descending, path — as the raw query orders them.
 */
export function vitalsHistogramPagesSql(q: HistogramQuery, limit: number): Sql {
  return {
    text: `WITH ${FRESH},
  top AS (SELECT path, sum(samples)::float8 AS samples FROM (
    ${grains('vitals_page_bucket', 'path, samples', `metric = 'n'`)}
    UNION ALL SELECT path, 1 FROM fresh_rows WHERE path IS NOT NULL) u
    GROUP BY path ORDER BY sum(samples) DESC, path LIMIT ${limit}),
  counts AS (SELECT path, metric, bucket, sum(samples)::float8 AS n FROM (
    ${grains('vitals_page_bucket', 'path, metric, bucket, samples', `metric IN ${PAGE_METRICS} AND path IN (SELECT path FROM top)`)}
    UNION ALL SELECT path, metric, pbucket, 1 FROM fresh WHERE metric IN ${PAGE_METRICS} AND path IN (SELECT path FROM top)) u
    GROUP BY path, metric, bucket),
  ${localise(['path', 'metric'], 'pbucket', ` AND v.metric IN ${PAGE_METRICS} AND v.path IS NOT NULL`)}
  SELECT top.path, top.samples,
         (SELECT p75 FROM p75 WHERE p75.path = top.path AND metric = 'lcp') AS lcp_p75,
         (SELECT p75 FROM p75 WHERE p75.path = top.path AND metric = 'inp') AS inp_p75,
         (SELECT p75 FROM p75 WHERE p75.path = top.path AND metric = 'cls') AS cls_p75
  FROM top ORDER BY lcp_p75 DESC NULLS LAST, samples DESC, path`,
    values: head(q),
  };
}
