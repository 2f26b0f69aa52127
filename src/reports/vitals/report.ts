import type pg from 'pg';
import { vitalsHistogramMetricsSql, vitalsHistogramPagesSql } from './histogram-sql.ts';

/**
 * The web-vitals report (contract §4.5). Without a `path` filter it is read by rank localisation
 * over the sql/073 rollups (histogram-sql.ts), exact as percentile_cont and fresh to the raw rows;
 * with a `path` filter (not what the dashboard asks by default) it takes the raw SQL below, which
 * is also the benchmark's raw-rows baseline (loadtest/bench-reports-raw-features.ts): values are
 * double precision, so a value-keyed histogram does not compress, and reading one site's raw rows
 * of the range through the `vitals (site_id, occurred_at)` index is exact by construction.
 *
 * Shares use Google's thresholds (good ≤ `good`, poor > `poor`), over the samples of that metric
 * (beacons carrying it); a share over 0 samples is 0 and its p75 null.
 */

export const VITALS_DEVICES = ['desktop', 'tablet', 'mobile'] as const;
export type VitalsDevice = (typeof VITALS_DEVICES)[number];
export const VITAL_METRICS = ['lcp', 'inp', 'cls', 'fcp', 'ttfb'] as const;
export type VitalMetric = (typeof VITAL_METRICS)[number];

/** Google's thresholds (web.dev/articles/vitals): good ≤ good, poor > poor. */
export const VITAL_THRESHOLDS: Record<VitalMetric, { good: number; poor: number }> = {
  lcp: { good: 2500, poor: 4000 },
  inp: { good: 200, poor: 500 },
  cls: { good: 0.1, poor: 0.25 },
  fcp: { good: 1800, poor: 3000 },
  ttfb: { good: 800, poor: 1800 },
};

/** At most this many pages, those with the most samples (contract §4.5). */
export const VITALS_PAGES = 50;

export interface VitalsQuery {
  siteId: string;
  start: Date;
  end: Date;
  path: string | null;
  device: VitalsDevice | null;
}

export interface MetricSummary {
  p75: number | null;
  samples: number;
  good: number;
  needs_improvement: number;
  poor: number;
}

export interface VitalsPage {
  path: string;
  samples: number;
  lcp_p75: number | null;
  inp_p75: number | null;
  cls_p75: number | null;
}

export interface VitalsReport {
  metrics: Record<VitalMetric, MetricSummary>;
  pages: VitalsPage[];
}

type Sql = { text: string; values: unknown[] };

const RANGE = `FROM vitals
               WHERE site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
                 AND ($4::text IS NULL OR path = $4::text) AND ($5::text IS NULL OR device = $5::text)`;
const values = (q: VitalsQuery) => [q.siteId, q.start, q.end, q.path, q.device];

/** One row: per metric its p75, samples, good and poor counts (camelCase: lcpP75, lcpSamples …). */
export function vitalsMetricsSql(q: VitalsQuery): Sql {
  const cols = VITAL_METRICS.map((m) => {
    const t = VITAL_THRESHOLDS[m];
    return `percentile_cont(0.75) WITHIN GROUP (ORDER BY ${m}) AS "${m}P75",
            count(${m})::float8 AS "${m}Samples",
            (count(*) FILTER (WHERE ${m} <= ${t.good}))::float8 AS "${m}Good",
            (count(*) FILTER (WHERE ${m} > ${t.poor}))::float8 AS "${m}Poor"`;
  });
  return { text: `SELECT ${cols.join(',\n')} ${RANGE}`, values: values(q) };
}

/** The 50 pages with the most samples (ties by path), then by lcp_p75 descending. */
export function vitalsPagesSql(q: VitalsQuery): Sql {
  return {
    text: `WITH top AS (
             SELECT path, count(*)::float8 AS samples,
                    percentile_cont(0.75) WITHIN GROUP (ORDER BY lcp) AS lcp_p75,
                    percentile_cont(0.75) WITHIN GROUP (ORDER BY inp) AS inp_p75,
                    percentile_cont(0.75) WITHIN GROUP (ORDER BY cls) AS cls_p75
             ${RANGE} AND path IS NOT NULL
             GROUP BY path ORDER BY count(*) DESC, path LIMIT ${VITALS_PAGES}
           )
           SELECT path, samples, lcp_p75, inp_p75, cls_p75 FROM top ORDER BY lcp_p75 DESC NULLS LAST, samples DESC, path`,
    values: values(q),
  };
}

type MetricsRow = Record<string, number | null>;

function summary(samples: number, good: number, poor: number, p75: number | null): MetricSummary {
  return {
    p75,
    samples,
    good: samples ? good / samples : 0,
    needs_improvement: samples ? (samples - good - poor) / samples : 0,
    poor: samples ? poor / samples : 0,
  };
}

/** The raw-rows path (a `path` filter): percentile_cont over the range's rows. */
async function rawVitalsReport(pool: pg.Pool, q: VitalsQuery): Promise<VitalsReport> {
  const [m, p] = await Promise.all([pool.query<MetricsRow>(vitalsMetricsSql(q)), pool.query<VitalsPage>(vitalsPagesSql(q))]);
  const row = m.rows[0]!;
  const metrics = {} as Record<VitalMetric, MetricSummary>;
  for (const k of VITAL_METRICS) metrics[k] = summary(row[`${k}Samples`] ?? 0, row[`${k}Good`] ?? 0, row[`${k}Poor`] ?? 0, row[`${k}P75`] ?? null);
  return { metrics, pages: p.rows };
}

interface HistogramMetricRow { metric: VitalMetric; p75: number; samples: number; good: number; poor: number }

export async function vitalsReport(pool: pg.Pool, q: VitalsQuery): Promise<VitalsReport> {
  if (q.path !== null) return rawVitalsReport(pool, q);
  const h = { siteId: q.siteId, start: q.start, end: q.end, device: q.device };
  const [m, p] = await Promise.all([
    pool.query<HistogramMetricRow>(vitalsHistogramMetricsSql(h)),
    pool.query<VitalsPage>(vitalsHistogramPagesSql(h, VITALS_PAGES)),
  ]);
  const metrics = {} as Record<VitalMetric, MetricSummary>;
  for (const k of VITAL_METRICS) metrics[k] = summary(0, 0, 0, null);
  for (const r of m.rows) metrics[r.metric] = summary(r.samples, r.good, r.poor, r.p75);
  return { metrics, pages: p.rows };
}
