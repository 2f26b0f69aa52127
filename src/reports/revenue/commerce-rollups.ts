import { runProductTrafficRollup } from '../products/traffic-rollup.ts';
import { DISCOUNT_ROLLUP_TABLES } from '../discounts/rollup-sql.ts';
import { runRevenueRollup, type RollupOptions } from './rollup.ts';
import type { Pool } from '../../db/pool.ts';

/** What a run needs: the pool, and the signal that stops a backfill between batches (the job's). */
export interface CommerceRollupsContext {
  pool: Pool;
  signal: AbortSignal;
}

/** Rows changed (recorded with the job run) and the parts' figures. */
export interface CommerceRollupsOutcome {
  rows: number;
  detail: Record<string, unknown>;
}

/**
 * Commerce rollups (sql/040): first the raw-table part (product views, add-to-carts, visitor
 * first touch; it may queue revenue slots to re-attribute), then the commerce-table part
 * (revenue, customers, product sales). Each part is one transaction per batch, so an
 * interrupted run leaves the rollups as they were and the next run redoes the work.
 * The interval is a quarter of FRESHNESS_SECONDS (like the traffic rollup) so that a write is
 * in the reports within it even after one failed, retried run.
 */
export async function runCommerceRollups(ctx: CommerceRollupsContext, options: RollupOptions = {}): Promise<CommerceRollupsOutcome> {
  let trafficRows = 0;
  let batches = 0;
  for (;;) {
    const part = await runProductTrafficRollup(ctx.pool, options);
    trafficRows += part.rows;
    batches += 1;
    // Caught up (or another instance is on it) → stop; a backfill loops over bounded batches.
    if (part.skipped || part.to <= part.from || ctx.signal.aborted) break;
    const { rows } = await ctx.pool.query<{ hi: number }>(`SELECT last_value AS "hi" FROM tally_ingest_seq`);
    if (part.to >= rows[0]!.hi) break;
  }
  const revenue = await runRevenueRollup(ctx.pool, options);
  return {
    rows: trafficRows + revenue.changedOrders + revenue.changedRefunds,
    detail: { trafficRows, trafficBatches: batches, ...revenue },
  };
}

/** Full rebuild: empties the commerce rollups and their watermarks, then runs them from scratch. */
export async function rebuildCommerceRollups(ctx: CommerceRollupsContext): Promise<CommerceRollupsOutcome> {
  await ctx.pool.query(`TRUNCATE commerce_revenue_slots, commerce_channel_slots, commerce_channel_days,
    commerce_customer_slots, commerce_customer_first, commerce_customer_day_links, commerce_customer_first_slots,
    commerce_product_sales_slots, commerce_product_sales_days, commerce_product_sales_months, commerce_product_traffic_slots,
    commerce_product_traffic_days, commerce_product_traffic_months, commerce_visitor_first_touch, commerce_dirty_slots,
    commerce_order_state, commerce_refund_state, commerce_rollup_watermarks, ${DISCOUNT_ROLLUP_TABLES.join(', ')}`);
  return runCommerceRollups(ctx);
}
