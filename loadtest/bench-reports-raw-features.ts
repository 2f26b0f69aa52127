/**
 * Raw-rows baselines of the feature reports in `npm run bench:reports` (bench-reports-features.ts):
 * the numbers each report gives, computed straight from the raw tables with plain SQL, as a
 * rollup-less tool would. bench-retention.ts uses the retention one too.
 */
import type pg from 'pg';
import { getExperiment } from '../src/experiments/store.ts';
import { experimentReportSql } from '../src/reports/experiment/report-sql.ts';
import { globToRegexSource } from '../src/reports/funnel/glob.ts';
import { retentionPeriods } from '../src/reports/retention/periods.ts';
import type { RetentionQuery } from '../src/reports/retention/report.ts';
import { vitalsMetricsSql, vitalsPagesSql } from '../src/reports/vitals/report.ts';

export type Q = { text: string; values: unknown[] };
export type FunnelBenchStep = { type: 'pageview'; path: string } | { type: 'event'; name: string } | { type: 'order' };

const PAID = `('paid', 'fulfilled', 'refunded')`;

/**
 * The funnel the way Umami's funnel query works (issue #15): one self-join per step. Level k
 * holds, per attempt (a step-1 match: visitor, t0, id0), the earliest later match of step k
 * (by (time, id), contract §4.1) within the window of t0; step k's count is the distinct
 * visitors of level k. Orders are linked by visitor_id or by customer_id = a uid the visitor sent.
 */
export function rawFunnelSql(siteId: string, steps: FunnelBenchStep[], windowSeconds: number, start: Date, end: Date): Q {
  const values: unknown[] = [siteId, start, end, windowSeconds];
  const range = `site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz`;
  const source = (s: FunnelBenchStep) => {
    if (s.type === 'order') return `SELECT visitor_id, created_at AS t, id::text AS k FROM links`;
    values.push(s.type === 'pageview' ? globToRegexSource(s.path) : s.name);
    const p = `$${values.length}::text`;
    return s.type === 'pageview'
      ? `SELECT visitor_id, occurred_at AS t, event_id::text AS k FROM pageviews WHERE ${range} AND path ~ ${p}`
      : `SELECT visitor_id, occurred_at AS t, event_id::text AS k FROM events WHERE ${range} AND name = ${p}`;
  };
  const ctes = steps.map((s, i) => `s${i + 1} AS (${source(s)})`);
  const levels = [`l1 AS (SELECT visitor_id, t AS t0, k AS k0, t, k FROM s1)`];
  for (let i = 2; i <= steps.length; i++) {
    levels.push(`l${i} AS (
      SELECT DISTINCT ON (l.visitor_id, l.t0, l.k0) l.visitor_id, l.t0, l.k0, s.t, s.k
      FROM l${i - 1} l JOIN s${i} s ON s.visitor_id = l.visitor_id
        AND (s.t > l.t OR (s.t = l.t AND s.k COLLATE "C" > l.k COLLATE "C")) AND s.t <= l.t0 + make_interval(secs => $4::int)
      ORDER BY l.visitor_id, l.t0, l.k0, s.t, s.k COLLATE "C")`);
  }
  const orders = steps.some((s) => s.type === 'order') ? `
    paid AS (SELECT id, customer_id, visitor_id, created_at FROM orders
             WHERE site_id = $1::bigint AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND status IN ${PAID}),
    uids AS (SELECT visitor_id, user_id FROM pageviews WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM paid)
             UNION SELECT visitor_id, user_id FROM events WHERE site_id = $1::bigint AND user_id IN (SELECT customer_id FROM paid)),
    links AS (SELECT id, visitor_id, created_at FROM paid WHERE visitor_id IS NOT NULL
              UNION SELECT p.id, u.visitor_id, p.created_at FROM paid p JOIN uids u ON u.user_id = p.customer_id),` : '';
  const counts = steps.map((_, i) => `(SELECT count(DISTINCT visitor_id) FROM l${i + 1}) AS "step${i + 1}"`);
  return { text: `WITH ${orders} ${[...ctes, ...levels].join(',\n')} SELECT ${counts.join(', ')}`, values };
}

/** Error groups of the range from raw errors: count, visitors, sessions, per-browser counts. */
export function rawErrorsSql(siteId: string, start: Date, end: Date): Q {
  return {
    text: `WITH e AS (SELECT fingerprint, visitor_id, session_id, browser FROM errors
                      WHERE site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz),
           b AS (SELECT fingerprint, json_agg(json_build_object('key', browser, 'count', n) ORDER BY n DESC, browser) AS browsers
                 FROM (SELECT fingerprint, coalesce(browser, '') AS browser, count(*) AS n FROM e GROUP BY 1, 2) x GROUP BY 1)
           SELECT fingerprint, count(*), count(DISTINCT visitor_id), count(DISTINCT session_id), min(b.browsers::text)
           FROM e JOIN b USING (fingerprint) GROUP BY fingerprint ORDER BY 2 DESC LIMIT 100`,
    values: [siteId, start, end],
  };
}

/** A page's heatmap from raw heatmap_points: 16 px cells of one device and kind, scroll depths per visitor. */
export function rawHeatmapSql(siteId: string, host: string, path: string, device: string, kind: string, start: Date, end: Date): Q[] {
  const w = `site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
             AND lower(host) = $4::text AND path = $5::text AND device = $6::text`;
  const v = [siteId, start, end, host.toLowerCase(), path, device];
  return [
    { text: `SELECT (x / 16) * 16 AS x, (y / 16) * 16 AS y, count(*) FROM heatmap_points WHERE ${w} AND kind = $7::text GROUP BY 1, 2 ORDER BY 2, 1`, values: [...v, kind] },
    { text: `WITH pv AS (SELECT visitor_id, max(scroll_depth) AS depth FROM heatmap_points WHERE ${w} AND scroll_depth IS NOT NULL GROUP BY 1)
             SELECT d, count(*) FILTER (WHERE depth >= d) FROM pv, generate_series(10, 100, 10) d GROUP BY d ORDER BY d`, values: v },
  ];
}

/**
 * Vitals: percentile_cont over the raw vitals rows of the range — which is what the report itself
 * still runs (src/reports/vitals/report.ts: no rollup yet), so its ratio is ≈ 1× by construction.
 */
export function rawVitalsSql(siteId: string, start: Date, end: Date): Q[] {
  const q = { siteId, start, end, path: null, device: null };
  return [vitalsMetricsSql(q), vitalsPagesSql(q)];
}

/** Retention cohorts from raw rows: first pageview / first paid order and activity per period. */
export function rawRetentionSql(q: RetentionQuery, siteId: string): Q {
  const p = retentionPeriods(q.from, q.to, q.tz, q.period);
  const visitor = `WITH f AS (SELECT visitor_id, min(occurred_at) AS first FROM pageviews WHERE site_id = $1 GROUP BY visitor_id),
    a AS (SELECT DISTINCT f.visitor_id, width_bucket(f.first, $2::timestamptz[]) AS c, width_bucket(v.occurred_at, $2::timestamptz[]) AS k
          FROM f JOIN pageviews v ON v.site_id = $1 AND v.visitor_id = f.visitor_id
          WHERE f.first >= $3 AND f.first < $4 AND v.occurred_at < $4)
    SELECT c, k, count(*) FROM a GROUP BY c, k`;
  const customer = `WITH o AS (SELECT customer_id, created_at, total, currency FROM orders WHERE site_id = $1 AND customer_id IS NOT NULL AND status IN ${PAID}),
    f AS (SELECT customer_id, min(created_at) AS first FROM o GROUP BY customer_id)
    SELECT width_bucket(f.first, $2::timestamptz[]) AS c, width_bucket(o.created_at, $2::timestamptz[]) AS k, count(DISTINCT f.customer_id), sum(o.total)
    FROM f JOIN o USING (customer_id) WHERE f.first >= $3 AND f.first < $4 AND o.created_at < $4 GROUP BY 1, 2`;
  return { text: q.cohort === 'visitor' ? visitor : customer, values: [siteId, p.starts, p.starts[0], p.end] };
}

/**
 * The experiment report's statement (src/reports/experiment/report-sql.ts) with its exposure set
 * computed from the raw `$exposure` events instead of the experiment_exposures rollup.
 */
export async function rawExperimentSql(pool: pg.Pool, siteId: string, key: string, end: Date): Promise<Q> {
  const experiment = await getExperiment(pool, siteId, key);
  if (!experiment) throw new Error(`experiment ${key} not found`);
  const metric = experiment.metrics[0]!;
  const sql = experimentReportSql({
    siteId, experiment: key, variants: experiment.variants.map((v) => v.key), start: null, end,
    metric: { ...metric, statistic: metric.statistic ?? 'conversion' } as typeof metric, currency: 'USD',
  });
  const raw = `FROM (SELECT site_id, props->>'experiment' AS experiment, visitor_id, props->>'variant' AS variant, min(occurred_at) AS first_exposed_at
                     FROM events WHERE site_id = $1::bigint AND name = '$exposure' AND props->>'experiment' IS NOT NULL AND props->>'variant' IS NOT NULL
                     GROUP BY 1, 2, 3, 4) experiment_exposures`;
  if (!sql.text.includes('FROM experiment_exposures')) throw new Error('experiment report SQL changed: update the raw baseline');
  return { text: sql.text.replace('FROM experiment_exposures', raw), values: sql.values };
}
