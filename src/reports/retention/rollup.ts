import type pg from 'pg';
import { safeUpperBound } from '../common/watermark.ts';
import { horizonSql } from '../revenue/rollup.ts';
import { cohortAddSteps, cohortSubtractSteps } from './cohort-counts.ts';
import { customerCohortAddSteps, customerCohortSubtractSteps } from './customer-cohort-counts.ts';

/**
 * Incremental refresh of the retention rollups (sql/090; the grain and why it is exact for any
 * zone are in that file's header).
 *
 * Traffic part, from the ingest watermark (`ingest_seq`, common/watermark.ts): the new
 * pageviews widen their visitor's UTC-day row (first/last instant) and may replace the visitor's
 * first-seen row when they are older (a late, imported pageview moves the visitor to an earlier
 * cohort). Visitors whose first-seen row changed mark the customers who ordered as them dirty
 * (their first order's attributed channel may change).
 *
 * Commerce part, from `updated_at` with the revenue rollup's horizon (the oldest open
 * transaction's start, so a late commit is read by the next run): changed orders and refunds
 * mark their customer dirty, and the customer the order belonged to at the previous run
 * (retention_order_state) too. Each dirty customer is recomputed whole from orders and refunds:
 * no increments, so a re-sent or cancelled order is right whatever it was before, and running
 * twice changes nothing.
 *
 * Cohort counts (sql/091 visitors, cohort-counts.ts; sql/092 customers, customer-cohort-counts.ts):
 * the touched visitors / recomputed customers are subtracted before their rows change and added
 * back after.
 *
 * Everything runs in one transaction under an advisory lock: an interrupted run rolls back and
 * the next redoes it; a concurrent second caller skips.
 */

export const RETENTION_ROLLUP_LOCK = 'tally:retention-rollups';
const PAID = `('paid', 'fulfilled', 'refunded')`;

type Step = { name: string; text: string; values: unknown[] };

export function trafficSteps(lo: number, hi: number): Step[] {
  return [
    {
      name: 'new pageviews',
      text: `CREATE TEMP TABLE rt_pv ON COMMIT DROP AS
             SELECT site_id, visitor_id, occurred_at, event_id, channel, coalesce(country, 'unknown') AS country, device
             FROM pageviews WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint`,
      values: [lo, hi],
    },
    // The visitor cohort counts (sql/091) lose the touched visitors before their rows change …
    ...cohortSubtractSteps(),
    {
      name: 'visitor days',
      text: `INSERT INTO retention_visitor_days AS t (site_id, visitor_id, day, first_at, last_at)
             SELECT site_id, visitor_id, (occurred_at AT TIME ZONE 'UTC')::date, min(occurred_at), max(occurred_at)
             FROM rt_pv GROUP BY 1, 2, 3
             ON CONFLICT (site_id, visitor_id, day)
             DO UPDATE SET first_at = LEAST(t.first_at, EXCLUDED.first_at), last_at = GREATEST(t.last_at, EXCLUDED.last_at)`,
      values: [],
    },
    {
      name: 'visitor first',
      text: `CREATE TEMP TABLE rt_changed_visitors ON COMMIT DROP AS
             WITH ins AS (
               INSERT INTO retention_visitor_first AS t (site_id, visitor_id, first_seen_at, first_event_id, channel, country, device)
               SELECT DISTINCT ON (site_id, visitor_id) site_id, visitor_id, occurred_at, event_id, channel, country, device
               FROM rt_pv ORDER BY site_id, visitor_id, occurred_at, event_id
               ON CONFLICT (site_id, visitor_id) DO UPDATE
                 SET first_seen_at = EXCLUDED.first_seen_at, first_event_id = EXCLUDED.first_event_id,
                     channel = EXCLUDED.channel, country = EXCLUDED.country, device = EXCLUDED.device
                 WHERE (EXCLUDED.first_seen_at, EXCLUDED.first_event_id) < (t.first_seen_at, t.first_event_id)
               RETURNING t.site_id, t.visitor_id)
             SELECT * FROM ins`,
      values: [],
    },
    // … and get them back, recomputed, after.
    ...cohortAddSteps(),
  ];
}

export function commerceSteps(changedSince: string): Step[] {
  return [
    {
      name: 'changed orders',
      text: `CREATE TEMP TABLE rt_orders ON COMMIT DROP AS
             SELECT site_id, id, customer_id FROM orders WHERE updated_at >= $1::timestamptz`,
      values: [changedSince],
    },
    {
      name: 'dirty customers',
      text: `CREATE TEMP TABLE rt_customers ON COMMIT DROP AS
             SELECT site_id, customer_id FROM rt_orders WHERE customer_id IS NOT NULL
             UNION SELECT s.site_id, s.customer_id FROM retention_order_state s
                   JOIN rt_orders o ON o.site_id = s.site_id AND o.id = s.order_id WHERE s.customer_id IS NOT NULL
             UNION SELECT o.site_id, o.customer_id FROM refunds r JOIN orders o ON o.site_id = r.site_id AND o.id = r.order_id
                   WHERE r.updated_at >= $1::timestamptz AND o.customer_id IS NOT NULL
             UNION SELECT o.site_id, o.customer_id FROM rt_changed_visitors v
                   JOIN orders o ON o.site_id = v.site_id AND o.visitor_id = v.visitor_id WHERE o.customer_id IS NOT NULL`,
      values: [changedSince],
    },
    {
      name: 'order state',
      text: `INSERT INTO retention_order_state (site_id, order_id, customer_id) SELECT site_id, id, customer_id FROM rt_orders
             ON CONFLICT (site_id, order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id`,
      values: [],
    },
    // The customer cohort counts (sql/092) lose the recomputed customers before their rows change …
    ...customerCohortSubtractSteps(),
    {
      name: 'clear customer slots',
      text: `DELETE FROM retention_customer_slots t USING rt_customers d WHERE t.site_id = d.site_id AND t.customer_id = d.customer_id`,
      values: [],
    },
    {
      name: 'customer slots',
      text: `INSERT INTO retention_customer_slots (site_id, customer_id, slot, currency, orders, gross, refunds)
             SELECT site_id, customer_id, slot, currency, sum(orders), sum(gross), sum(refunds)
             FROM (
               SELECT o.site_id, o.customer_id, tally_slot(o.created_at) AS slot, o.currency, 1 AS orders, o.total AS gross, 0::bigint AS refunds
               FROM rt_customers d JOIN orders o ON o.site_id = d.site_id AND o.customer_id = d.customer_id
               WHERE o.status IN ${PAID}
               UNION ALL
               SELECT o.site_id, o.customer_id, tally_slot(r.created_at), r.currency, 0, 0, r.amount
               FROM rt_customers d JOIN orders o ON o.site_id = d.site_id AND o.customer_id = d.customer_id
               JOIN refunds r ON r.site_id = o.site_id AND r.order_id = o.id
             ) x
             GROUP BY site_id, customer_id, slot, currency`,
      values: [],
    },
    {
      name: 'clear customer first',
      text: `DELETE FROM retention_customer_first t USING rt_customers d WHERE t.site_id = d.site_id AND t.customer_id = d.customer_id`,
      values: [],
    },
    {
      name: 'customer first',
      text: `INSERT INTO retention_customer_first (site_id, customer_id, first_paid_at, second_paid_at, channel, country, device)
             SELECT p.site_id, p.customer_id, p.created_at, p.second_at,
                    coalesce(ft.channel, 'unknown'), coalesce(ft.country, 'unknown'), coalesce(ft.device, 'unknown')
             FROM (
               SELECT o.site_id, o.customer_id, o.created_at, o.visitor_id,
                      row_number() OVER w AS n, lead(o.created_at) OVER w AS second_at
               FROM rt_customers d JOIN orders o ON o.site_id = d.site_id AND o.customer_id = d.customer_id
               WHERE o.status IN ${PAID}
               WINDOW w AS (PARTITION BY o.site_id, o.customer_id ORDER BY o.created_at, o.id)
             ) p
             LEFT JOIN retention_visitor_first ft
               ON ft.site_id = p.site_id AND ft.visitor_id = p.visitor_id AND ft.first_seen_at <= p.created_at
             WHERE p.n = 1`,
      values: [],
    },
    // … and get them back, recomputed, after.
    ...customerCohortAddSteps(),
  ];
}

export interface RetentionRollupOptions {
  /** Test hook: called before each step; throwing aborts the run. */
  beforeStep?: (name: string) => void | Promise<void>;
}

export interface RetentionRollupResult {
  skipped: boolean;
  rows: number;
  detail: Record<string, number | string>;
}

/** One incremental run of both parts. */
export async function runRetentionRollup(pool: pg.Pool, options: RetentionRollupOptions = {}): Promise<RetentionRollupResult> {
  const hi = await safeUpperBound(pool);
  const { rows } = await pool.query<{ horizon: Date }>(horizonSql());
  const horizon = rows[0]!.horizon;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>({ text: `SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS ok`, values: [RETENTION_ROLLUP_LOCK] });
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { skipped: true, rows: 0, detail: {} };
    }
    await client.query(`INSERT INTO retention_watermarks (name) VALUES ('retention') ON CONFLICT DO NOTHING`);
    // As text: '-infinity' (never run) has no JS Date.
    const wm = await client.query<{ seq: string; since: string }>(
      `SELECT seq::text AS seq, changed_since::text AS since FROM retention_watermarks WHERE name = 'retention' FOR UPDATE`,
    );
    const lo = Number(wm.rows[0]!.seq);
    const detail: Record<string, number | string> = {};
    for (const step of [...trafficSteps(lo, Math.max(lo, hi)), ...commerceSteps(wm.rows[0]!.since)]) {
      await options.beforeStep?.(step.name);
      const res = await client.query({ text: step.text, values: step.values });
      detail[step.name] = res.rowCount ?? 0;
    }
    await options.beforeStep?.('watermark');
    await client.query({
      text: `UPDATE retention_watermarks SET seq = $1::bigint, changed_since = $2::timestamptz, updated_at = now() WHERE name = 'retention'`,
      values: [Math.max(lo, hi), horizon],
    });
    await client.query('COMMIT');
    const changed = Number(detail['new pageviews'] ?? 0) + Number(detail['changed orders'] ?? 0);
    return { skipped: false, rows: changed, detail: { ...detail, seq: Math.max(lo, hi), watermark: horizon.toISOString() } };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Full rebuild: empties the retention rollups and their watermark, then runs from scratch. */
export async function rebuildRetentionRollup(pool: pg.Pool): Promise<RetentionRollupResult> {
  await pool.query(`TRUNCATE retention_visitor_first, retention_visitor_days, retention_customer_first,
    retention_customer_slots, retention_order_state, retention_watermarks, retention_cohort_zones, retention_visitor_periods,
    retention_cohort_counts, retention_customer_cohort_zones, retention_customer_periods, retention_customer_cohort_counts,
    retention_customer_cohort_money`);
  return runRetentionRollup(pool);
}
