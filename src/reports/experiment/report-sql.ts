import type { ExperimentMetric } from '../../experiments/definition.ts';
import { PRE_PERIOD } from './metrics-rollup-sql.ts';

/**
 * The experiment report's one statement (contract §7): per variant, users and the per-user
 * sufficient statistics (Σx, Σx²) of the metric, plus the visitors left out for multiple
 * exposures. The exposed visitor set comes from `experiment_exposures` (kept by the job); the
 * metric sums are computed here, at query time, from that set: events and orders of those
 * visitors joined by visitor id (and orders by a `uid` the visitor sent, contract §4.1).
 *
 * Bounds: a visitor's first exposure is the earliest exposure to one of the definition's
 * variants; it must lie in [start, end) (start null = since the first exposure). Exposures at or
 * after `end` are not seen at all, so a second variant after `to` does not remove a visitor.
 * Activity counts at or after the first exposure and before `end`; refunds before `end`. The
 * covariate (cuped=true) is the same metric in the 14 days before the first exposure.
 */
export interface ReportSqlInput {
  siteId: string;
  experiment: string;
  variants: string[];
  start: Date | null;
  end: Date;
  metric: ExperimentMetric;
  currency: string;
}

const USERS = `ex AS (
    SELECT visitor_id, variant, first_exposed_at FROM experiment_exposures
    WHERE site_id = $1::bigint AND experiment = $2::text AND variant = ANY($3::text[]) AND first_exposed_at < $5::timestamptz
  ), per_visitor AS (
    SELECT visitor_id, min(variant) AS variant, min(first_exposed_at) AS first_at, count(*) AS variants
    FROM ex GROUP BY visitor_id
  ), in_range AS (
    SELECT * FROM per_visitor WHERE $4::timestamptz IS NULL OR first_at >= $4::timestamptz
  ), users AS (
    SELECT visitor_id, variant, first_at FROM in_range WHERE variants = 1
  )`;

/**
 * Per user: matching events at or after the first exposure (n) and in the 14 days before it
 * (pre_n, the CUPED covariate).
 */
const EVENT_VALUES = `, since AS (SELECT min(first_at) AS t FROM users),
  matched AS (
    SELECT e.visitor_id, e.occurred_at FROM events e, since
    WHERE e.site_id = $1::bigint AND e.name = $6::text AND coalesce(e.props, '{}'::jsonb) @> $7::jsonb
      AND e.occurred_at >= since.t - ${PRE_PERIOD} AND e.occurred_at < $5::timestamptz
  ), vals AS (
    SELECT m.visitor_id, count(*) FILTER (WHERE m.occurred_at >= u.first_at)::float8 AS n, 0::float8 AS revenue,
      count(*) FILTER (WHERE m.occurred_at < u.first_at)::float8 AS pre_n, 0::float8 AS pre_revenue
    FROM matched m JOIN users u ON u.visitor_id = m.visitor_id AND m.occurred_at >= u.first_at - ${PRE_PERIOD}
    GROUP BY m.visitor_id
  )`;

/**
 * Per user: paid orders in `currency` linked by visitor id or by customer id = a uid the visitor
 * sent (pageviews or events, any time), each order once per visitor (UNION), created at or after
 * the first exposure; revenue = Σ total − Σ refunds on them.
 */
const ORDER_VALUES = `, since AS (SELECT min(first_at) AS t FROM users),
  uids AS (
    SELECT DISTINCT p.visitor_id, p.user_id FROM pageviews p JOIN users u ON u.visitor_id = p.visitor_id
    WHERE p.site_id = $1::bigint AND p.user_id IS NOT NULL
    UNION
    SELECT DISTINCT e.visitor_id, e.user_id FROM events e JOIN users u ON u.visitor_id = e.visitor_id
    WHERE e.site_id = $1::bigint AND e.user_id IS NOT NULL
  ), paid AS (
    SELECT o.id, o.visitor_id, o.customer_id, o.total, o.created_at FROM orders o, since
    WHERE o.site_id = $1::bigint AND o.status IN ('paid', 'fulfilled', 'refunded') AND o.currency = $6::text
      AND o.created_at >= since.t - ${PRE_PERIOD} AND o.created_at < $5::timestamptz
  ), linked AS (
    SELECT u.visitor_id, u.first_at, p.id, p.total, p.created_at FROM users u JOIN paid p ON p.visitor_id = u.visitor_id AND p.created_at >= u.first_at - ${PRE_PERIOD}
    UNION
    SELECT u.visitor_id, u.first_at, p.id, p.total, p.created_at FROM users u JOIN uids ON uids.visitor_id = u.visitor_id
      JOIN paid p ON p.customer_id = uids.user_id AND p.created_at >= u.first_at - ${PRE_PERIOD}
  ), refunded AS (
    SELECT r.order_id, sum(r.amount) AS amount FROM refunds r
    WHERE r.site_id = $1::bigint AND r.created_at < $5::timestamptz AND r.order_id IN (SELECT id FROM linked)
    GROUP BY r.order_id
  ), vals AS (
    SELECT l.visitor_id,
      count(*) FILTER (WHERE l.created_at >= l.first_at)::float8 AS n,
      coalesce(sum(l.total - coalesce(r.amount, 0)) FILTER (WHERE l.created_at >= l.first_at), 0)::float8 AS revenue,
      count(*) FILTER (WHERE l.created_at < l.first_at)::float8 AS pre_n,
      coalesce(sum(l.total - coalesce(r.amount, 0)) FILTER (WHERE l.created_at < l.first_at), 0)::float8 AS pre_revenue
    FROM linked l LEFT JOIN refunded r ON r.order_id = l.id
    GROUP BY l.visitor_id
  )`;

/** A user's value of the statistic from n and revenue (conversion 0/1; count and orders n; revenue). */
const value = (statistic: string, n: string, revenue: string) =>
  `CASE ${statistic} WHEN 'conversion' THEN (${n} > 0)::int::float8 WHEN 'revenue' THEN ${revenue} ELSE ${n} END`;

export interface VariantSumsRow {
  variant: string;
  users: number;
  conversions: number;
  sum: number;
  sumSquares: number;
  revenue: number;
  preSum: number;
  preSumSquares: number;
  crossSum: number;
}

/** Rows: one per variant with users (others absent), plus one row with variant null: the multiple-exposure count in `users`. */
export function experimentReportSql(input: ReportSqlInput) {
  // vals holds only visitors with activity (measured: grouping all 200 000 users through a left
  // join took 2.1 of 2.7 s); users without any count in `users` and add 0 to the sums.
  const event = input.metric.type === 'event';
  const statistic = event ? '$8::text' : '$7::text';
  const y = value(statistic, 'v.n', 'v.revenue');
  const p = value(statistic, 'v.pre_n', 'v.pre_revenue');
  const text = `WITH ${USERS}${event ? EVENT_VALUES : ORDER_VALUES}
    SELECT u.variant, count(*)::float8 AS "users", count(*) FILTER (WHERE v.n > 0)::float8 AS "conversions",
      coalesce(sum(${y}), 0)::float8 AS "sum", coalesce(sum((${y}) * (${y})), 0)::float8 AS "sumSquares", coalesce(sum(v.revenue), 0)::float8 AS "revenue",
      coalesce(sum(${p}), 0)::float8 AS "preSum", coalesce(sum((${p}) * (${p})), 0)::float8 AS "preSumSquares", coalesce(sum((${y}) * (${p})), 0)::float8 AS "crossSum"
    FROM users u LEFT JOIN vals v ON v.visitor_id = u.visitor_id GROUP BY u.variant
    UNION ALL
    SELECT NULL, count(*)::float8, 0, 0, 0, 0, 0, 0, 0 FROM in_range WHERE variants > 1`;
  const values: unknown[] = [input.siteId, input.experiment, input.variants, input.start, input.end];
  if (input.metric.type === 'event') values.push(input.metric.name, JSON.stringify(input.metric.props ?? {}), input.metric.statistic);
  else values.push(input.currency, input.metric.statistic);
  return { text, values };
}
