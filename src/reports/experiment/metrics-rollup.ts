import type pg from 'pg';
import { horizonSql } from '../revenue/rollup.ts';
import {
  analyzeTouchedSql, batchEventDeltasSql, batchUidLinksSql, batchVisitorsSql, changedOrdersSql, freshEventsSql, rebuildVisitorsSql, recountOrdersSql,
  TEMP_TABLES, touchedDirtySql,
} from './metrics-rollup-sql.ts';

/**
 * The experiment metric sums (issue #17 point 5; sql/063), kept by the `experiment-exposures` job
 * in three passes, each one transaction under that job's advisory lock:
 *
 * 1. `foldMetricsBatch`, inside every exposures batch (ingest_seq in (lo, hi], exposure-rollup.ts):
 *    visitors whose exposures changed get their variant and first exposure; a new visitor or an
 *    earlier first exposure makes the visitor *fresh* — its event counts are recounted from the raw
 *    events (ingest_seq ≤ hi) and its orders recounted; other visitors get the batch's matching
 *    events added; new (visitor, uid) pairs recount that visitor's orders.
 * 2. `foldChangedOrders`: orders and refunds whose updated_at is past the 'experiment-metrics'
 *    horizon (the commerce rollups' method: revenue/rollup.ts horizonSql) recount the exposed
 *    visitors they concern, before and after the change (cancelled, re-sent, refunded).
 * 3. `rebuildChangedDefinitions`: an experiment whose variants or metrics differ from the ones its
 *    rows were built for (or that has none: a new definition, or a database migrated after the job
 *    ran) is rebuilt whole from the raw rows up to the exposures watermark; then
 *    `regroupTotals` regroups experiment_totals for every experiment touched.
 */
export const EXPERIMENT_LOCK = 'tally:experiment-exposures';

async function run(client: pg.PoolClient, statements: { text: string; values: unknown[] }[]): Promise<number> {
  let rows = 0;
  for (const s of statements) rows += (await client.query(s)).rowCount ?? 0;
  return rows;
}

/**
 * Hash joins only: the sets these statements join (CTEs over jsonb_array_elements, temp tables,
 * tables filled in the same transaction) are estimated at a row or two, and nested loops over them
 * rescanned a whole side per row (measured: 14 s at 10 000 new visitors, over 2 min at 20 000).
 */
const NO_NESTED_LOOPS = `SET LOCAL enable_nestloop = off`;

/** Pass 1, in the exposures batch's transaction, after the exposures of (lo, hi] are folded. */
export async function foldMetricsBatch(client: pg.PoolClient, lo: number, hi: number): Promise<number> {
  for (const t of TEMP_TABLES) await client.query(t);
  await client.query(NO_NESTED_LOOPS);
  return run(client, [...batchVisitorsSql(lo, hi), analyzeTouchedSql, touchedDirtySql, batchUidLinksSql(lo, hi), batchEventDeltasSql(lo, hi), ...freshEventsSql(hi), ...recountOrdersSql()]);
}

async function locked<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>): Promise<T | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>({ text: `SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS ok`, values: [EXPERIMENT_LOCK] });
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return undefined;
    }
    for (const t of TEMP_TABLES) await client.query(t);
    await client.query(NO_NESTED_LOOPS);
    const out = await body(client);
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Pass 2. Answers the visitors recounted (undefined: another instance holds the lock). */
export async function foldChangedOrders(pool: pg.Pool): Promise<number | undefined> {
  const horizon = (await pool.query<{ horizon: Date }>(horizonSql())).rows[0]!.horizon;
  return locked(pool, async (client) => {
    const wm = await client.query<{ since: string }>(`SELECT changed_since::text AS since FROM commerce_rollup_watermarks WHERE name = 'experiment-metrics' FOR UPDATE`);
    const since = wm.rows[0]?.since ?? '-infinity';
    const dirty = (await client.query(changedOrdersSql(since))).rowCount ?? 0;
    if (dirty > 0) await run(client, recountOrdersSql());
    await client.query({
      text: `INSERT INTO commerce_rollup_watermarks (name, changed_since) VALUES ('experiment-metrics', $1::timestamptz)
             ON CONFLICT (name) DO UPDATE SET changed_since = EXCLUDED.changed_since, updated_at = now()`,
      values: [horizon],
    });
    return dirty;
  });
}

const DEFINITION = `jsonb_build_object('variants', d.variants, 'metrics', d.metrics)`;

/** Pass 3: experiments whose definition is not the one their rows were built for, rebuilt whole. */
export async function rebuildChangedDefinitions(pool: pg.Pool): Promise<number | undefined> {
  return locked(pool, async (client) => {
    const { rows } = await client.query<{ siteId: string; key: string }>(
      `SELECT d.site_id::text AS "siteId", d.key FROM experiments d
       LEFT JOIN experiment_metric_state s ON s.site_id = d.site_id AND s.experiment = d.key
       WHERE s.definition IS DISTINCT FROM ${DEFINITION}`,
    );
    if (rows.length === 0) return 0;
    const sites = rows.map((r) => r.siteId);
    const keys = rows.map((r) => r.key);
    const wm = await client.query<{ seq: number }>(`SELECT coalesce((SELECT seq FROM rollup_watermarks WHERE name = 'experiment-exposures'), 0)::float8 AS "seq"`);
    await run(client, [...rebuildVisitorsSql(sites, keys), analyzeTouchedSql, ...freshEventsSql(wm.rows[0]!.seq), ...recountOrdersSql()]);
    await client.query({
      text: `WITH r AS (SELECT * FROM unnest($1::bigint[], $2::text[]) r(site_id, experiment)),
               dirty AS (INSERT INTO experiment_dirty (site_id, experiment) SELECT site_id, experiment FROM r ON CONFLICT DO NOTHING)
             INSERT INTO experiment_metric_state AS s (site_id, experiment, definition)
             SELECT d.site_id, d.key, ${DEFINITION} FROM experiments d JOIN r ON r.site_id = d.site_id AND r.experiment = d.key
             ON CONFLICT (site_id, experiment) DO UPDATE SET definition = EXCLUDED.definition, built_at = now()`,
      values: [sites, keys],
    });
    return rows.length;
  });
}

/**
 * The per-user value of a metric row by statistic (conversion: 0/1; count and orders: n;
 * revenue: Σ total − Σ refunds) for the post-exposure value and the covariate.
 */
const VALUE = (n: string, revenue: string) =>
  `CASE WHEN m.statistic = 'conversion' THEN (x.${n} > 0)::int WHEN m.statistic = 'revenue' THEN x.${revenue} ELSE x.${n} END::numeric`;

export const regroupTotalsSql = [
  { text: `DELETE FROM experiment_totals t USING experiment_dirty d WHERE t.site_id = d.site_id AND t.experiment = d.experiment`, values: [] },
  {
    text: `INSERT INTO experiment_totals (site_id, experiment, metric, currency, variant, users)
           SELECT v.site_id, v.experiment, '$users', '', coalesce(v.variant, ''), count(*)
           FROM experiment_dirty d JOIN experiment_visitors v ON v.site_id = d.site_id AND v.experiment = d.experiment
           GROUP BY 1, 2, 5`,
    values: [],
  },
  {
    text: `WITH m AS (
        SELECT d.site_id, d.key AS experiment, x->>'key' AS key, x->>'type' AS type, coalesce(x->>'statistic', 'conversion') AS statistic
        FROM experiment_dirty r JOIN experiments d ON d.site_id = r.site_id AND d.key = r.experiment CROSS JOIN LATERAL jsonb_array_elements(d.metrics) x
      ), vals AS (
        SELECT v.site_id, v.experiment, v.variant, m.key, x.currency, x.n > 0 AS converted, x.revenue, ${VALUE('n', 'revenue')} AS y, ${VALUE('pre_n', 'pre_revenue')} AS p
        FROM experiment_dirty r JOIN experiment_visitors v ON v.site_id = r.site_id AND v.experiment = r.experiment
        JOIN experiment_visitor_metrics x ON x.site_id = v.site_id AND x.experiment = v.experiment AND x.visitor_id = v.visitor_id
        JOIN m ON m.site_id = v.site_id AND m.experiment = v.experiment
          AND ((m.type = 'event' AND x.metric = m.key) OR (m.type = 'order' AND x.metric = '$order'))
        WHERE v.variant IS NOT NULL
      )
      INSERT INTO experiment_totals (site_id, experiment, metric, currency, variant, conversions, sum, sum_squares, revenue, pre_sum, pre_sum_squares, cross_sum)
      SELECT site_id, experiment, key, currency, variant, count(*) FILTER (WHERE converted), sum(y), sum(y * y), sum(revenue), sum(p), sum(p * p), sum(y * p)
      FROM vals GROUP BY 1, 2, 3, 4, 5`,
    values: [],
  },
  { text: `DELETE FROM experiment_dirty`, values: [] },
];

/** Regroups the totals of every touched experiment (one scan of its visitor rows each). */
export async function regroupTotals(pool: pg.Pool): Promise<number | undefined> {
  return locked(pool, (client) => run(client, regroupTotalsSql));
}

/** Passes 2 and 3 and the regroup, after the exposures batches (exposure-rollup.ts runs them). */
export async function runMetricPasses(pool: pg.Pool): Promise<{ orderVisitors: number; rebuilt: number; regrouped: number; skipped: boolean }> {
  const orderVisitors = await foldChangedOrders(pool);
  const rebuilt = await rebuildChangedDefinitions(pool);
  const regrouped = await regroupTotals(pool);
  const skipped = orderVisitors === undefined || rebuilt === undefined || regrouped === undefined;
  return { orderVisitors: orderVisitors ?? 0, rebuilt: rebuilt ?? 0, regrouped: regrouped ?? 0, skipped };
}
