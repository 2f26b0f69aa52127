import type pg from 'pg';
import { discountRollupSteps } from '../discounts/rollup-sql.ts';
import { customerRollupSteps } from './customers.ts';

/**
 * Incremental refresh of the commerce rollups from the commerce tables (sql/040): revenue per
 * slot, customers per slot, first paid order per customer (and their day-grain counts:
 * customers.ts), product sales per slot and UTC day.
 *
 * Approach (correctness first): find the orders and refunds whose `updated_at` (set to now() by
 * every upsert in src/commerce) is at or after the watermark; the dirty buckets are the
 * (site, quarter-hour slot) pairs of their new version, of their old version (remembered in
 * commerce_order_state / commerce_refund_state from the previous run), of the refunds of a
 * changed order (their channel follows the order), and those queued in commerce_dirty_slots.
 * Every dirty bucket is then recomputed whole from the commerce tables (delete + insert,
 * set-based), so a re-sent order that changed status, total, items, customer or created_at is
 * right whatever it was before, and running twice changes nothing.
 *
 * Watermark: `updated_at = now()` is the writer's transaction start, and a transaction may
 * commit long after it started. The next watermark is therefore not "now" but the start of the
 * oldest transaction still open on this database (pg_stat_activity.xact_start, read before
 * the rows are read), minus a second of slack: any write not yet visible to this run belongs
 * to a transaction that is still open, so its updated_at is ≥ that horizon and the next run
 * reads it. Re-reading a row twice is harmless (buckets are recomputed, not incremented).
 * (pg_stat_activity shows xact_start of sessions of the same role, or of any role with
 * pg_read_all_stats: Tally writes with one role.)
 *
 * Everything after the horizon runs in one transaction: a run interrupted halfway rolls back
 * whole and the next run redoes it.
 */

export const REVENUE_ROLLUP_LOCK = 'tally:commerce-rollups';
export const PAID_STATUSES = ['paid', 'fulfilled', 'refunded'] as const;
const PAID = `('paid', 'fulfilled', 'refunded')`;
const CUSTOMER_KEY = `CASE WHEN o.customer_id IS NOT NULL THEN 'c:' || o.customer_id
                           WHEN o.visitor_id IS NOT NULL THEN 'v:' || o.visitor_id END`;
const IN_SLOT = (alias: string) => `${alias}.site_id = d.site_id AND ${alias}.created_at >= d.slot AND ${alias}.created_at < d.slot + interval '15 minutes'`;

/** The oldest open transaction's start on this database (or now), minus 1 s of slack. */
export function horizonSql() {
  return {
    text: `SELECT LEAST(statement_timestamp(),
                        (SELECT min(xact_start) FROM pg_stat_activity
                          WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
                            -- autovacuum and other background workers never write commerce rows
                            AND backend_type = 'client backend'))
                  - interval '1 second' AS "horizon"`,
    values: [],
  };
}

/** Steps of one run, in order; each is one statement (the caller runs them in a transaction). */
export function revenueRollupSteps(changedSince: Date | string): { name: string; text: string; values: unknown[] }[] {
  const since = changedSince instanceof Date ? changedSince.toISOString() : changedSince;
  return [
    {
      name: 'changed orders',
      text: `CREATE TEMP TABLE cr_orders ON COMMIT DROP AS
             SELECT o.site_id, o.id, tally_slot(o.created_at) AS slot, ${CUSTOMER_KEY} AS customer_key
             FROM orders o WHERE o.updated_at >= $1::timestamptz`,
      values: [since],
    },
    {
      name: 'changed refunds',
      text: `CREATE TEMP TABLE cr_refunds ON COMMIT DROP AS
             SELECT r.site_id, r.id, tally_slot(r.created_at) AS slot FROM refunds r WHERE r.updated_at >= $1::timestamptz`,
      values: [since],
    },
    {
      name: 'dirty slots',
      text: `CREATE TEMP TABLE cr_slots ON COMMIT DROP AS
             WITH queued AS (DELETE FROM commerce_dirty_slots RETURNING site_id, slot)
             SELECT site_id, slot FROM cr_orders
             UNION SELECT s.site_id, s.slot FROM commerce_order_state s JOIN cr_orders c ON c.site_id = s.site_id AND c.id = s.order_id
             UNION SELECT site_id, slot FROM cr_refunds
             UNION SELECT s.site_id, s.slot FROM commerce_refund_state s JOIN cr_refunds c ON c.site_id = s.site_id AND c.id = s.refund_id
             UNION SELECT r.site_id, tally_slot(r.created_at) FROM refunds r JOIN cr_orders c ON r.site_id = c.site_id AND r.order_id = c.id
             UNION SELECT site_id, slot FROM queued`,
      values: [],
    },
    {
      name: 'dirty customers',
      text: `CREATE TEMP TABLE cr_customers ON COMMIT DROP AS
             SELECT site_id, customer_key FROM cr_orders WHERE customer_key IS NOT NULL
             UNION SELECT s.site_id, s.customer_key FROM commerce_order_state s
                   JOIN cr_orders c ON c.site_id = s.site_id AND c.id = s.order_id WHERE s.customer_key IS NOT NULL`,
      values: [],
    },
    { name: 'analyze', text: `ANALYZE cr_orders, cr_refunds, cr_slots, cr_customers`, values: [] },
    {
      name: 'order state',
      text: `INSERT INTO commerce_order_state (site_id, order_id, slot, customer_key)
             SELECT site_id, id, slot, customer_key FROM cr_orders
             ON CONFLICT (site_id, order_id) DO UPDATE SET slot = EXCLUDED.slot, customer_key = EXCLUDED.customer_key`,
      values: [],
    },
    {
      name: 'refund state',
      text: `INSERT INTO commerce_refund_state (site_id, refund_id, slot)
             SELECT site_id, id, slot FROM cr_refunds
             ON CONFLICT (site_id, refund_id) DO UPDATE SET slot = EXCLUDED.slot`,
      values: [],
    },
    {
      name: 'clear revenue slots',
      text: `DELETE FROM commerce_revenue_slots r USING cr_slots d WHERE r.site_id = d.site_id AND r.slot = d.slot`,
      values: [],
    },
    {
      name: 'revenue slots',
      text: `INSERT INTO commerce_revenue_slots (site_id, currency, slot, orders, gross, discounts, tax, shipping, refunds, refund_count)
             SELECT site_id, currency, slot, sum(orders), sum(gross), sum(discounts), sum(tax), sum(shipping), sum(refunds), sum(refund_count)
             FROM (
               SELECT o.site_id, o.currency, d.slot, 1 AS orders, o.total AS gross, o.discount AS discounts, o.tax, o.shipping,
                      0::bigint AS refunds, 0 AS refund_count
               FROM cr_slots d JOIN orders o ON ${IN_SLOT('o')}
               WHERE o.status IN ${PAID}
               UNION ALL
               SELECT r.site_id, r.currency, d.slot, 0, 0, 0, 0, 0, r.amount, 1
               FROM cr_slots d JOIN refunds r ON ${IN_SLOT('r')}
             ) x
             GROUP BY site_id, currency, slot`,
      values: [],
    },
    clearSlotsWithDelta('channel', CHANNEL_KEYS, CHANNEL_SUMS),
    {
      // The buyer's first-touch channel; a refund takes the channel of its order.
      name: 'channel slots',
      text: `WITH ins AS (
             INSERT INTO commerce_channel_slots (site_id, slot, channel, currency, orders, gross, refunds)
             SELECT site_id, slot, channel, currency, sum(orders), sum(gross), sum(refunds)
             FROM (
               SELECT o.site_id, o.currency, d.slot, coalesce(ft.channel, 'unknown') AS channel, 1 AS orders,
                      o.total AS gross, 0::bigint AS refunds
               FROM cr_slots d
               JOIN orders o ON ${IN_SLOT('o')}
               LEFT JOIN commerce_visitor_first_touch ft
                 ON ft.site_id = o.site_id AND ft.visitor_id = o.visitor_id AND ft.first_seen_at <= o.created_at
               WHERE o.status IN ${PAID}
               UNION ALL
               SELECT r.site_id, r.currency, d.slot, coalesce(ft.channel, 'unknown'), 0, 0, r.amount
               FROM cr_slots d
               JOIN refunds r ON ${IN_SLOT('r')}
               JOIN orders o ON o.site_id = r.site_id AND o.id = r.order_id
               LEFT JOIN commerce_visitor_first_touch ft
                 ON ft.site_id = o.site_id AND ft.visitor_id = o.visitor_id AND ft.first_seen_at <= o.created_at
             ) x
             GROUP BY site_id, slot, channel, currency
             RETURNING *)
             ${deltaInsert('channel', CHANNEL_KEYS, CHANNEL_SUMS)}`,
      values: [],
    },
    ...dayDeltaSteps('channel', 'cr_channel_delta', 'day', CHANNEL_KEYS, CHANNEL_SUMS),
    ...customerRollupSteps({ customerKey: CUSTOMER_KEY, paid: PAID, inSlot: IN_SLOT }),
    clearSlotsWithDelta('product_sales', SALES_KEYS, SALES_SUMS),
    {
      name: 'product sales slots',
      text: `WITH ins AS (
             INSERT INTO commerce_product_sales_slots (site_id, slot, product_id, currency, purchases, units, revenue)
             SELECT o.site_id, d.slot, i.product_id, o.currency, count(DISTINCT o.id), sum(i.quantity), sum(i.quantity::bigint * i.unit_price)
             FROM cr_slots d
             JOIN orders o ON ${IN_SLOT('o')}
             JOIN order_items i ON i.site_id = o.site_id AND i.order_id = o.id
             WHERE o.status IN ${PAID}
             GROUP BY o.site_id, d.slot, i.product_id, o.currency
             RETURNING *)
             ${deltaInsert('product_sales', SALES_KEYS, SALES_SUMS)}`,
      values: [],
    },
    ...dayDeltaSteps('product_sales', 'cr_product_sales_delta', 'day', SALES_KEYS, SALES_SUMS),
    // Discount codes (sql/112): the same dirty buckets, in the same transaction.
    ...discountRollupSteps({ customerKey: CUSTOMER_KEY, paid: PAID, inSlot: IN_SLOT }),
  ];
}

const CHANNEL_KEYS = ['channel', 'currency'];
const CHANNEL_SUMS = ['orders', 'gross', 'refunds'];
const SALES_KEYS = ['product_id', 'currency'];
const SALES_SUMS = ['purchases', 'units', 'revenue'];
type Step = { name: string; text: string; values: unknown[] };

/**
 * Day copies are kept by deltas: the slot rows a run deletes are subtracted from their UTC day
 * and the rows it inserts are added, so a run costs in proportion to the slots it recomputes.
 * (Rebuilding each touched day from its slots cost 3.5–10 s for 1,000 orders changed across 90
 * days of 200k orders, under load; see docs/benchmarks.md.)
 */
function clearSlotsWithDelta(base: 'channel' | 'product_sales', keys: string[], sums: string[]): Step {
  return {
    name: `clear ${base} slots`,
    text: `CREATE TEMP TABLE cr_${base}_delta ON COMMIT DROP AS
           WITH del AS (DELETE FROM commerce_${base}_slots r USING cr_slots d WHERE r.site_id = d.site_id AND r.slot = d.slot RETURNING r.*)
           SELECT site_id, (slot AT TIME ZONE 'UTC')::date AS day, ${keys.join(', ')}, ${sums.map((c) => `-${c}::bigint AS ${c}`).join(', ')}
           FROM del`,
    values: [],
  };
}

/** The tail of an `WITH ins AS (INSERT … RETURNING *)` step: the inserted rows as + deltas. */
function deltaInsert(base: 'channel' | 'product_sales', keys: string[], sums: string[]): string {
  return `INSERT INTO cr_${base}_delta (site_id, day, ${keys.join(', ')}, ${sums.join(', ')})
          SELECT site_id, (slot AT TIME ZONE 'UTC')::date, ${keys.join(', ')}, ${sums.join(', ')} FROM ins`;
}

/**
 * Adds per-day deltas from `source` (columns site_id, `dayExpr`, keys, sums) to the day table,
 * and for the product tables to their UTC-month copy too (sql/051: long report ranges read
 * whole months from it).
 */
export function dayDeltaSteps(base: 'product_sales' | 'product_traffic' | 'channel', source: string, dayExpr: string, keys: string[], sums: string[]): Step[] {
  const grains: [string, string, string][] = [['days', 'day', dayExpr]];
  if (base !== 'channel') grains.push(['months', 'month', `date_trunc('month', ${dayExpr})::date`]);
  return grains.flatMap(([table, col, expr]) => [
    {
      name: `${base} ${table}`,
      text: `INSERT INTO commerce_${base}_${table} AS t (site_id, ${col}, ${keys.join(', ')}, ${sums.join(', ')})
             SELECT site_id, ${expr}, ${keys.join(', ')}, ${sums.map((c) => `sum(${c})`).join(', ')}
             FROM ${source} GROUP BY site_id, ${expr}, ${keys.join(', ')}
             ON CONFLICT (site_id, ${col}, ${keys.join(', ')}) DO UPDATE SET ${sums.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ')}`,
      values: [],
    },
    {
      name: `prune ${base} ${table}`,
      text: `DELETE FROM commerce_${base}_${table} t USING (SELECT DISTINCT site_id, ${expr} AS ${col} FROM ${source}) x
             WHERE t.site_id = x.site_id AND t.${col} = x.${col} AND ${sums.map((c) => `t.${c} = 0`).join(' AND ')}`,
      values: [],
    },
  ]);
}

export interface RollupOptions {
  /** Test hook: called before each step; throwing aborts the run (simulates an interruption). */
  beforeStep?: (name: string) => void | Promise<void>;
}

export interface RevenueRollupResult {
  skipped: boolean;
  changedOrders: number;
  changedRefunds: number;
  slots: number;
  watermark?: string;
}

/** One incremental run; safe to call concurrently (a second caller skips while one runs). */
export async function runRevenueRollup(pool: pg.Pool, options: RollupOptions = {}): Promise<RevenueRollupResult> {
  const { rows } = await pool.query<{ horizon: Date }>(horizonSql());
  const horizon = rows[0]!.horizon;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>({ text: `SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS ok`, values: [REVENUE_ROLLUP_LOCK] });
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { skipped: true, changedOrders: 0, changedRefunds: 0, slots: 0 };
    }
    await client.query(`INSERT INTO commerce_rollup_watermarks (name) VALUES ('revenue') ON CONFLICT DO NOTHING`);
    // As text: '-infinity' (never run) has no JS Date.
    const wm = await client.query<{ since: string }>(`SELECT changed_since::text AS since FROM commerce_rollup_watermarks WHERE name = 'revenue' FOR UPDATE`);
    const since = wm.rows[0]!.since;
    const counts: Record<string, number> = {};
    for (const step of revenueRollupSteps(since)) {
      await options.beforeStep?.(step.name);
      const res = await client.query({ text: step.text, values: step.values });
      counts[step.name] = res.rowCount ?? 0;
    }
    await options.beforeStep?.('watermark');
    await client.query({
      text: `UPDATE commerce_rollup_watermarks SET changed_since = $1::timestamptz, updated_at = now() WHERE name = 'revenue'`,
      values: [horizon],
    });
    await client.query('COMMIT');
    return {
      skipped: false,
      changedOrders: counts['changed orders'] ?? 0,
      changedRefunds: counts['changed refunds'] ?? 0,
      slots: counts['dirty slots'] ?? 0,
      watermark: horizon.toISOString(),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
