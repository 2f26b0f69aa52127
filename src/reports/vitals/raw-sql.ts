import { VITAL_METRICS, VITAL_THRESHOLDS, VITALS_PAGES, type VitalsQuery } from './report.ts';

/**
 * The web-vitals report computed straight from the raw `vitals` rows of the range with
 * percentile_cont(0.75): the definition the rollup-backed report (report.ts) must equal. Used by
 * its tests as the reference and by `npm run bench:reports` as the raw-rows baseline (it was the
 * report itself until sql/072: 2.3 s at 90 days on the 10M-event demo data).
 */
type Sql = { text: string; values: unknown[] };

const RANGE = `FROM vitals
               WHERE site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
                 AND ($4::text IS NULL OR path = $4::text) AND ($5::text IS NULL OR device = $5::text)`;
const values = (q: VitalsQuery) => [q.siteId, q.start, q.end, q.path, q.device];

/** One row: per metric its p75, samples, good and poor counts (camelCase: lcpP75, lcpSamples …). */
export function vitalsRawMetricsSql(q: VitalsQuery): Sql {
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
export function vitalsRawPagesSql(q: VitalsQuery): Sql {
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
