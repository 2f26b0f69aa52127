import type pg from 'pg';

/**
 * The web-vitals report (contract §4.5) from the raw `vitals` rows of the range, read through the
 * `vitals (site_id, occurred_at)` index. p75 is PostgreSQL's percentile_cont(0.75), which needs
 * every value: values are double precision (LCP/INP/FCP/TTFB in ms may be fractional, CLS is),
 * so a value histogram stays exact only when keyed by the exact stored value, and on real
 * beacons that barely compresses. Reading the raw rows of one site's range is exact by
 * construction; the cost is measured in docs/api.md (vitals section).
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

export async function vitalsReport(pool: pg.Pool, q: VitalsQuery): Promise<VitalsReport> {
  const [m, p] = await Promise.all([pool.query<MetricsRow>(vitalsMetricsSql(q)), pool.query<VitalsPage>(vitalsPagesSql(q))]);
  const row = m.rows[0]!;
  const metrics = {} as Record<VitalMetric, MetricSummary>;
  for (const k of VITAL_METRICS) {
    const samples = row[`${k}Samples`] ?? 0;
    const good = row[`${k}Good`] ?? 0;
    const poor = row[`${k}Poor`] ?? 0;
    metrics[k] = {
      p75: row[`${k}P75`] ?? null,
      samples,
      good: samples ? good / samples : 0,
      needs_improvement: samples ? (samples - good - poor) / samples : 0,
      poor: samples ? poor / samples : 0,
    };
  }
  return { metrics, pages: p.rows };
}
