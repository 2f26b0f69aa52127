/**
 * The statements of the experiment metric-sums rollup (sql/063; the runner is metrics-rollup.ts).
 * Each is set-based over a batch. The per-visitor semantics are the report's exact query
 * (report-sql.ts) with no upper time bound: a metric counts events or paid orders at or after the
 * visitor's first exposure; the covariate (CUPED) the same in the 14 days before it.
 *
 * Two session temp tables carry a batch's work between statements (created once per connection,
 * emptied at commit): `exp_touched` (site, experiment, visitor, fresh) — visitors whose variant or
 * first exposure changed; `fresh` ones (new, or a new earlier first exposure) are recomputed from the
 * raw rows — and `exp_order_dirty` (site, visitor), visitors whose orders must be recounted.
 */
export const PRE_PERIOD = `interval '14 days'`;
const PAID = `('paid', 'fulfilled', 'refunded')`;

export const TEMP_TABLES = [
  `CREATE TEMP TABLE IF NOT EXISTS exp_touched (site_id bigint, experiment text, visitor_id text, fresh boolean) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE IF NOT EXISTS exp_order_dirty (site_id bigint, visitor_id text) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE IF NOT EXISTS exp_agg (site_id bigint, experiment text, visitor_id text, variant text, first_at timestamptz) ON COMMIT DELETE ROWS`,
  `CREATE TEMP TABLE IF NOT EXISTS exp_order_targets (site_id bigint, experiment text, visitor_id text, first_at timestamptz) ON COMMIT DELETE ROWS`,
];

/** The event metrics of every definition, one row each (props {} when none). */
const EVENT_METRICS = `SELECT d.site_id, d.key AS experiment, x->>'key' AS metric, x->>'name' AS name, coalesce(x->'props', '{}'::jsonb) AS props
    FROM experiments d CROSS JOIN LATERAL jsonb_array_elements(d.metrics) x WHERE x->>'type' = 'event'`;

/**
 * experiment_visitors from experiment_exposures for `source` (site_id, experiment, visitor_id
 * rows), marking exp_touched. Four statements through the exp_agg temp table with statistics:
 * as one statement the planner estimated the grouped set at 1 row (a jsonb containment filter)
 * and looped a scan of experiment_visitors per visitor (measured: 14 s at 10 000 visitors, 32 s
 * at 20 000).
 */
function visitorsFrom(source: string, values: unknown[]) {
  return [
    {
      text: `WITH t AS (${source})
        INSERT INTO exp_agg (site_id, experiment, visitor_id, variant, first_at)
        SELECT x.site_id, x.experiment, x.visitor_id, CASE WHEN count(*) = 1 THEN min(x.variant) END, min(x.first_exposed_at)
        FROM t JOIN experiment_exposures x ON x.site_id = t.site_id AND x.experiment = t.experiment AND x.visitor_id = t.visitor_id
        JOIN experiments d ON d.site_id = x.site_id AND d.key = x.experiment
        WHERE d.variants @> jsonb_build_array(jsonb_build_object('key', x.variant))
        GROUP BY 1, 2, 3`,
      values,
    },
    { text: `ANALYZE exp_agg`, values: [] },
    {
      text: `INSERT INTO exp_touched (site_id, experiment, visitor_id, fresh)
        SELECT a.site_id, a.experiment, a.visitor_id, v.first_at IS DISTINCT FROM a.first_at
        FROM exp_agg a LEFT JOIN experiment_visitors v ON v.site_id = a.site_id AND v.experiment = a.experiment AND v.visitor_id = a.visitor_id
        WHERE v.visitor_id IS NULL OR v.first_at <> a.first_at OR v.variant IS DISTINCT FROM a.variant`,
      values: [],
    },
    {
      text: `INSERT INTO experiment_visitors AS v (site_id, experiment, visitor_id, variant, first_at)
        SELECT site_id, experiment, visitor_id, variant, first_at FROM exp_agg
        ON CONFLICT (site_id, experiment, visitor_id) DO UPDATE SET variant = EXCLUDED.variant, first_at = EXCLUDED.first_at
        WHERE (v.variant, v.first_at) IS DISTINCT FROM (EXCLUDED.variant, EXCLUDED.first_at)`,
      values: [],
    },
    { text: `TRUNCATE exp_agg`, values: [] },
  ];
}

/** Visitors with an `$exposure` in the batch (after foldExposuresSql folded it). */
export function batchVisitorsSql(lo: number, hi: number) {
  return visitorsFrom(
    `SELECT DISTINCT site_id, props->>'experiment' AS experiment, visitor_id FROM events
      WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND name = '$exposure'
        AND props->>'experiment' IS NOT NULL AND props->>'variant' IS NOT NULL`,
    [lo, hi],
  );
}

/** Every visitor of the given experiments, all fresh (a definition change rebuilds the experiment whole). */
export function rebuildVisitorsSql(sites: string[], experiments: string[]) {
  return [
    {
      text: `DELETE FROM experiment_visitors v USING unnest($1::bigint[], $2::text[]) r(site_id, experiment)
             WHERE v.site_id = r.site_id AND v.experiment = r.experiment`,
      values: [sites, experiments],
    },
    {
      text: `DELETE FROM experiment_visitor_metrics v USING unnest($1::bigint[], $2::text[]) r(site_id, experiment)
             WHERE v.site_id = r.site_id AND v.experiment = r.experiment`,
      values: [sites, experiments],
    },
    ...visitorsFrom(
      `SELECT DISTINCT x.site_id, x.experiment, x.visitor_id FROM experiment_exposures x
        JOIN unnest($1::bigint[], $2::text[]) r(site_id, experiment) ON x.site_id = r.site_id AND x.experiment = r.experiment`,
      [sites, experiments],
    ),
  ];
}

/** New (visitor, uid) pairs of the batch; the exposed visitors among them get their orders recounted. */
export function batchUidLinksSql(lo: number, hi: number) {
  return {
    text: `WITH n AS (
        SELECT site_id, visitor_id, user_id FROM pageviews WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND user_id IS NOT NULL
        UNION
        SELECT site_id, visitor_id, user_id FROM events WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND user_id IS NOT NULL
      ), ins AS (
        INSERT INTO experiment_uid_links (site_id, visitor_id, user_id) SELECT site_id, visitor_id, user_id FROM n
        ON CONFLICT DO NOTHING RETURNING site_id, visitor_id
      )
      INSERT INTO exp_order_dirty (site_id, visitor_id) SELECT DISTINCT site_id, visitor_id FROM ins`,
    values: [lo, hi],
  };
}

/**
 * The batch's matching events added to visitors that are not fresh (their first exposure is the
 * one their kept counts were made for); exactly once, because the batch's transaction also moves
 * the watermark.
 */
export function batchEventDeltasSql(lo: number, hi: number) {
  return {
    text: `WITH m AS (${EVENT_METRICS}),
      hits AS (
        SELECT v.site_id, v.experiment, v.visitor_id, m.metric,
          count(*) FILTER (WHERE e.occurred_at >= v.first_at) AS n, count(*) FILTER (WHERE e.occurred_at < v.first_at) AS pre_n
        FROM events e
        JOIN experiment_visitors v ON v.site_id = e.site_id AND v.visitor_id = e.visitor_id
        JOIN m ON m.site_id = v.site_id AND m.experiment = v.experiment AND m.name = e.name
        WHERE e.ingest_seq > $1::bigint AND e.ingest_seq <= $2::bigint AND e.occurred_at >= v.first_at - ${PRE_PERIOD}
          AND coalesce(e.props, '{}'::jsonb) @> m.props
          AND NOT EXISTS (SELECT 1 FROM exp_touched t WHERE t.fresh AND t.site_id = v.site_id AND t.experiment = v.experiment AND t.visitor_id = v.visitor_id)
        GROUP BY 1, 2, 3, 4
      ), up AS (
        INSERT INTO experiment_visitor_metrics AS x (site_id, experiment, visitor_id, metric, currency, n, pre_n)
        SELECT site_id, experiment, visitor_id, metric, '', n, pre_n FROM hits
        ON CONFLICT (site_id, experiment, visitor_id, metric, currency) DO UPDATE SET n = x.n + EXCLUDED.n, pre_n = x.pre_n + EXCLUDED.pre_n
        RETURNING site_id, experiment
      )
      INSERT INTO experiment_dirty (site_id, experiment) SELECT DISTINCT site_id, experiment FROM up ON CONFLICT DO NOTHING`,
    values: [lo, hi],
  };
}

/**
 * Fresh visitors' event counts from the raw events with ingest_seq ≤ hi (later rows come as
 * deltas). One range scan per site from the earliest fresh first exposure − 14 days, hash-joined
 * to the fresh set (events has no visitor index; a per-visitor nested loop would rescan the range).
 */
export function freshEventsSql(hi: number) {
  return [
    {
      text: `DELETE FROM experiment_visitor_metrics x USING exp_touched t
             WHERE t.fresh AND x.site_id = t.site_id AND x.experiment = t.experiment AND x.visitor_id = t.visitor_id AND x.metric <> '$order'`,
      values: [],
    },
    {
      text: `WITH f AS MATERIALIZED (
          SELECT v.site_id, v.experiment, v.visitor_id, v.first_at FROM exp_touched t
          JOIN experiment_visitors v ON v.site_id = t.site_id AND v.experiment = t.experiment AND v.visitor_id = t.visitor_id WHERE t.fresh
        ), m AS (${EVENT_METRICS}),
        fm AS (SELECT m.* FROM m WHERE (m.site_id, m.experiment) IN (SELECT site_id, experiment FROM f)),
        b AS (SELECT site_id, min(first_at) - ${PRE_PERIOD} AS t FROM f GROUP BY site_id),
        ev AS MATERIALIZED (
          SELECT e.site_id, e.visitor_id, e.name, e.props, e.occurred_at FROM events e JOIN b ON e.site_id = b.site_id AND e.occurred_at >= b.t
          WHERE e.ingest_seq <= $1::bigint AND e.name IN (SELECT name FROM fm)
        )
        INSERT INTO experiment_visitor_metrics (site_id, experiment, visitor_id, metric, currency, n, pre_n)
        SELECT f.site_id, f.experiment, f.visitor_id, fm.metric, '',
          count(*) FILTER (WHERE e.occurred_at >= f.first_at), count(*) FILTER (WHERE e.occurred_at < f.first_at)
        FROM f JOIN fm ON fm.site_id = f.site_id AND fm.experiment = f.experiment
        JOIN ev e ON e.site_id = f.site_id AND e.visitor_id = f.visitor_id AND e.name = fm.name
          AND e.occurred_at >= f.first_at - ${PRE_PERIOD} AND coalesce(e.props, '{}'::jsonb) @> fm.props
        GROUP BY 1, 2, 3, 4`,
      values: [hi],
    },
  ];
}

/**
 * Recounts the orders of every (experiment, visitor) whose visitor is in exp_order_dirty or is
 * fresh: paid orders linked by visitor_id or by customer_id = one of the visitor's uids, each once
 * per visitor, per currency; Σ total − Σ refunds. Orders are read by their (site, visitor) and
 * (site, customer) indexes. The links (any status) are kept for change detection.
 */
export function recountOrdersSql() {
  // The targets once, as a table with statistics: an OR of two EXISTS in each statement planned as
  // a per-row subplan (measured: quadratic, minutes at 20 000 fresh visitors).
  const targets = `SELECT site_id, experiment, visitor_id, first_at FROM exp_order_targets`;
  return [
    {
      text: `INSERT INTO exp_order_targets (site_id, experiment, visitor_id, first_at)
             SELECT v.site_id, v.experiment, v.visitor_id, v.first_at FROM (SELECT DISTINCT site_id, visitor_id FROM exp_order_dirty) d
             JOIN experiment_visitors v ON v.site_id = d.site_id AND v.visitor_id = d.visitor_id
             UNION
             SELECT v.site_id, v.experiment, v.visitor_id, v.first_at FROM exp_touched t
             JOIN experiment_visitors v ON v.site_id = t.site_id AND v.experiment = t.experiment AND v.visitor_id = t.visitor_id WHERE t.fresh`,
      values: [],
    },
    { text: `ANALYZE exp_order_targets`, values: [] },
    { text: `DELETE FROM experiment_visitor_metrics x USING (${targets}) t WHERE x.site_id = t.site_id AND x.experiment = t.experiment AND x.visitor_id = t.visitor_id AND x.metric = '$order'`, values: [] },
    { text: `DELETE FROM experiment_order_links l USING (SELECT DISTINCT site_id, visitor_id FROM (${targets}) s) t WHERE l.site_id = t.site_id AND l.visitor_id = t.visitor_id`, values: [] },
    {
      text: `WITH t AS (${targets}),
        tv AS (SELECT DISTINCT site_id, visitor_id FROM t),
        linked AS (
          SELECT tv.site_id, tv.visitor_id, o.id FROM tv JOIN orders o ON o.site_id = tv.site_id AND o.visitor_id = tv.visitor_id
          UNION
          SELECT tv.site_id, tv.visitor_id, o.id FROM tv JOIN experiment_uid_links u ON u.site_id = tv.site_id AND u.visitor_id = tv.visitor_id
            JOIN orders o ON o.site_id = u.site_id AND o.customer_id = u.user_id
        ), links AS (
          INSERT INTO experiment_order_links (site_id, order_id, visitor_id) SELECT site_id, id, visitor_id FROM linked ON CONFLICT DO NOTHING
        ), paid AS (
          SELECT l.site_id, l.visitor_id, o.currency, o.created_at,
            o.total - coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.site_id = o.site_id AND r.order_id = o.id), 0) AS net
          FROM linked l JOIN orders o ON o.site_id = l.site_id AND o.id = l.id WHERE o.status IN ${PAID}
        ), ins AS (
          INSERT INTO experiment_visitor_metrics (site_id, experiment, visitor_id, metric, currency, n, revenue, pre_n, pre_revenue)
          SELECT t.site_id, t.experiment, t.visitor_id, '$order', p.currency,
            count(*) FILTER (WHERE p.created_at >= t.first_at), coalesce(sum(p.net) FILTER (WHERE p.created_at >= t.first_at), 0),
            count(*) FILTER (WHERE p.created_at < t.first_at), coalesce(sum(p.net) FILTER (WHERE p.created_at < t.first_at), 0)
          FROM t JOIN paid p ON p.site_id = t.site_id AND p.visitor_id = t.visitor_id AND p.created_at >= t.first_at - ${PRE_PERIOD}
          GROUP BY 1, 2, 3, 5
        )
        INSERT INTO experiment_dirty (site_id, experiment) SELECT DISTINCT site_id, experiment FROM t ON CONFLICT DO NOTHING`,
      values: [],
    },
    { text: `TRUNCATE exp_order_targets, exp_order_dirty`, values: [] },
  ];
}

/** Statistics for the planner on the batch's touched set (a temp table has none otherwise). */
export const analyzeTouchedSql = { text: `ANALYZE exp_touched`, values: [] };

/** Touched experiments need their totals regrouped. */
export const touchedDirtySql = {
  text: `INSERT INTO experiment_dirty (site_id, experiment) SELECT DISTINCT site_id, experiment FROM exp_touched ON CONFLICT DO NOTHING`,
  values: [],
};

/**
 * Orders and refunds changed since `since` (updated_at): the exposed visitors they concern now
 * (visitor_id, customer_id → uid links) and before (order links) go to exp_order_dirty.
 */
export function changedOrdersSql(since: string) {
  return {
    text: `INSERT INTO exp_order_dirty (site_id, visitor_id)
      SELECT o.site_id, o.visitor_id FROM orders o WHERE o.updated_at >= $1::timestamptz AND o.visitor_id IS NOT NULL
      UNION
      SELECT u.site_id, u.visitor_id FROM orders o JOIN experiment_uid_links u ON u.site_id = o.site_id AND u.user_id = o.customer_id
      WHERE o.updated_at >= $1::timestamptz
      UNION
      SELECT l.site_id, l.visitor_id FROM orders o JOIN experiment_order_links l ON l.site_id = o.site_id AND l.order_id = o.id
      WHERE o.updated_at >= $1::timestamptz
      UNION
      SELECT l.site_id, l.visitor_id FROM refunds r JOIN experiment_order_links l ON l.site_id = r.site_id AND l.order_id = r.order_id
      WHERE r.updated_at >= $1::timestamptz`,
    values: [since],
  };
}
