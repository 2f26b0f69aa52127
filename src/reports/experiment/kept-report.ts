import type pg from 'pg';
import { MAX_FUTURE_MS } from '../../ingest/validate/schema.ts';
import type { ReportSqlInput, VariantSumsRow } from './report-sql.ts';

/**
 * The report's read of the kept sums (sql/063 experiment_totals, kept by metrics-rollup.ts): a
 * handful of rows per experiment instead of the events and orders of every exposed visitor.
 *
 * The kept sums count every activity the job has seen after each first exposure, with no upper
 * time bound, so they answer only the default range: no `from`, and an end that no stored row can
 * reach — later than now + the ingest's 5-minute future allowance (events) and than the site's
 * newest order and refund dates (a store may send future-dated orders). They are also used only
 * while the experiment's definition (variants, metrics) is the one they were built for. Any other
 * request takes the exact query (report-sql.ts); both are held equal to the brute force in
 * report.test.ts and metrics-rollup.test.ts.
 */
export function keptSumsSql(input: ReportSqlInput) {
  const metric = input.metric.key;
  const currency = input.metric.type === 'event' ? '' : input.currency;
  return {
    text: `SELECT t.metric, t.variant, t.users::float8 AS "users", t.conversions::float8 AS "conversions", t.sum::float8 AS "sum",
             t.sum_squares::float8 AS "sumSquares", t.revenue::float8 AS "revenue", t.pre_sum::float8 AS "preSum",
             t.pre_sum_squares::float8 AS "preSumSquares", t.cross_sum::float8 AS "crossSum"
           FROM experiment_totals t
           WHERE t.site_id = $1::bigint AND t.experiment = $2::text AND ((t.metric = '$users' AND t.currency = '') OR (t.metric = $3::text AND t.currency = $4::text))
           UNION ALL
           SELECT '$state', '', 0, 0, 0, 0, 0, 0, 0, 0
           WHERE $6::timestamptz IS NULL AND $5::timestamptz > now() + make_interval(secs => $7::float8 / 1000)
             AND EXISTS (SELECT 1 FROM experiment_metric_state s JOIN experiments d ON d.site_id = s.site_id AND d.key = s.experiment
                         WHERE s.site_id = $1::bigint AND s.experiment = $2::text
                           AND s.definition = jsonb_build_object('variants', d.variants, 'metrics', d.metrics))
             AND coalesce((SELECT max(created_at) FROM orders WHERE site_id = $1::bigint), '-infinity') < $5::timestamptz
             AND coalesce((SELECT max(created_at) FROM refunds WHERE site_id = $1::bigint), '-infinity') < $5::timestamptz`,
    values: [input.siteId, input.experiment, metric, currency, input.end, input.start, MAX_FUTURE_MS],
  };
}

const ZERO = { users: 0, conversions: 0, sum: 0, sumSquares: 0, revenue: 0, preSum: 0, preSumSquares: 0, crossSum: 0 };

/** Per variant key the sums, and the multiple-exposure count; undefined when the kept sums cannot answer this request. */
export async function readKeptSums(
  pool: pg.Pool,
  input: ReportSqlInput,
): Promise<{ byVariant: Map<string, VariantSumsRow>; multiple: number } | undefined> {
  const { rows } = await pool.query<VariantSumsRow & { metric: string }>(keptSumsSql(input));
  if (!rows.some((r) => r.metric === '$state')) return undefined;
  const byVariant = new Map<string, VariantSumsRow>();
  let multiple = 0;
  for (const r of rows) {
    if (r.metric === '$state') continue;
    if (r.metric === '$users' && r.variant === '') {
      multiple = r.users;
      continue;
    }
    const cur = byVariant.get(r.variant) ?? { ...ZERO, variant: r.variant };
    if (r.metric === '$users') cur.users = r.users;
    else Object.assign(cur, { conversions: r.conversions, sum: r.sum, sumSquares: r.sumSquares, revenue: r.revenue, preSum: r.preSum, preSumSquares: r.preSumSquares, crossSum: r.crossSum });
    byVariant.set(r.variant, cur);
  }
  return { byVariant, multiple };
}
