import type pg from 'pg';
import { REVENUE_ROLLUP_LOCK, revenueRollupSteps } from '../reports/revenue/rollup.ts';
import { commerceSteps, RETENTION_ROLLUP_LOCK } from '../reports/retention/rollup.ts';

/**
 * The commerce part of an erase (contract §8), one transaction: the customer record, their
 * orders, items and refunds, and every guest order (no customer_id) of an erased visitor. An
 * order of ANOTHER customer placed by an erased visitor (a shared device) stays the store's, with
 * its visitor_id cleared; customers pointing at an erased visitor lose that link too.
 *
 * Rollups: the revenue, customer, channel and product-sales rollups and the retention customer
 * rollups are recomputed for exactly the affected buckets, by the jobs' own steps
 * (revenueRollupSteps, commerceSteps) run here with the erased and unlinked orders as the
 * "changed" set instead of the rows changed since the watermark: their slots (old version from
 * the order/refund state tables, new version) and their customers are recomputed whole from the
 * commerce tables, which no longer hold the erased rows. Both jobs' advisory locks are taken
 * (waiting for a running job) so no run interleaves; their state rows for erased ids go.
 */
export interface CommerceErased {
  /** Ids of the deleted orders (their links in other rollups go too). */
  erasedOrders: string[];
  customers: number;
  orders: number;
  order_items: number;
  refunds: number;
}

const SKIP = new Set(['changed orders', 'changed refunds']);

/** Visitor ids the customer is linked to by their record or their orders (before anything is deleted). */
export async function visitorsOfCustomer(client: pg.ClientBase, siteId: string, customerId: string): Promise<string[]> {
  const { rows } = await client.query<{ v: string }>({
    text: `SELECT visitor_id AS v FROM orders WHERE site_id = $1::bigint AND customer_id = $2::text AND visitor_id IS NOT NULL
           UNION SELECT visitor_id FROM customers WHERE site_id = $1::bigint AND id = $2::text AND visitor_id IS NOT NULL`,
    values: [siteId, customerId],
  });
  return rows.map((r) => r.v);
}

export async function eraseCommerce(client: pg.ClientBase, siteId: string, visitorIds: string[], customerId: string | null): Promise<CommerceErased> {
  await client.query({ text: `SELECT pg_advisory_xact_lock(hashtext($1::text))`, values: [REVENUE_ROLLUP_LOCK] });
  await client.query({ text: `SELECT pg_advisory_xact_lock(hashtext($1::text))`, values: [RETENTION_ROLLUP_LOCK] });
  await client.query({
    text: `CREATE TEMP TABLE er_orders ON COMMIT DROP AS
           SELECT o.site_id, o.id, o.customer_id, tally_slot(o.created_at) AS slot,
                  CASE WHEN o.customer_id IS NOT NULL THEN 'c:' || o.customer_id WHEN o.visitor_id IS NOT NULL THEN 'v:' || o.visitor_id END AS customer_key,
                  (o.customer_id IS NULL OR coalesce(o.customer_id = $3::text, false)) AS erase
           FROM orders o
           WHERE o.site_id = $1::bigint AND (o.customer_id = $3::text OR o.visitor_id = ANY ($2::text[]))`,
    values: [siteId, visitorIds, customerId],
  });
  // A customer record pointing at an erased visitor keeps the customer, not the link.
  await client.query({
    text: `UPDATE customers SET visitor_id = NULL, updated_at = now() WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`,
    values: [siteId, visitorIds],
  });
  const ids = await client.query<{ id: string; erase: boolean }>(`SELECT id, erase FROM er_orders`);
  // No order and no customer record of theirs (most visitors): no rollup to recompute.
  if (ids.rowCount === 0 && customerId === null) return { erasedOrders: [], customers: 0, orders: 0, order_items: 0, refunds: 0 };
  await client.query(`CREATE TEMP TABLE er_refunds ON COMMIT DROP AS
    SELECT r.site_id, r.id, tally_slot(r.created_at) AS slot, o.erase FROM refunds r JOIN er_orders o ON r.site_id = o.site_id AND r.order_id = o.id`);
  const items = await client.query(`DELETE FROM order_items i USING er_orders o WHERE i.site_id = o.site_id AND i.order_id = o.id AND o.erase`);
  const refunds = await client.query(`DELETE FROM refunds r USING er_refunds e WHERE r.site_id = e.site_id AND r.id = e.id AND e.erase`);
  const orders = await client.query(`DELETE FROM orders t USING er_orders o WHERE t.site_id = o.site_id AND t.id = o.id AND o.erase`);
  await client.query(`UPDATE orders t SET visitor_id = NULL, updated_at = now() FROM er_orders o WHERE t.site_id = o.site_id AND t.id = o.id AND NOT o.erase`);
  const customers = await client.query({
    text: `DELETE FROM customers WHERE site_id = $1::bigint AND id = $2::text`,
    values: [siteId, customerId],
  });

  // Revenue rollups: the job's steps with the erased/unlinked orders as the changed set.
  await client.query(`CREATE TEMP TABLE cr_orders ON COMMIT DROP AS SELECT site_id, id, slot, customer_key FROM er_orders`);
  await client.query(`CREATE TEMP TABLE cr_refunds ON COMMIT DROP AS SELECT site_id, id, slot FROM er_refunds`);
  for (const step of revenueRollupSteps('infinity')) {
    if (!SKIP.has(step.name)) await client.query({ text: step.text, values: step.values });
  }
  await client.query(`DELETE FROM commerce_order_state s USING er_orders o WHERE s.site_id = o.site_id AND s.order_id = o.id AND o.erase`);
  await client.query(`DELETE FROM commerce_refund_state s USING er_refunds r WHERE s.site_id = r.site_id AND s.refund_id = r.id AND r.erase`);

  // Retention customer rollups: likewise (no visitor's first-seen changed here: empty set).
  await client.query(`CREATE TEMP TABLE rt_orders ON COMMIT DROP AS SELECT site_id, id, customer_id FROM er_orders`);
  await client.query(`CREATE TEMP TABLE rt_changed_visitors ON COMMIT DROP AS SELECT site_id, visitor_id FROM retention_visitor_first WHERE false`);
  for (const step of commerceSteps('infinity')) {
    if (step.name !== 'changed orders') await client.query({ text: step.text, values: step.values });
  }
  await client.query(`DELETE FROM retention_order_state s USING er_orders o WHERE s.site_id = o.site_id AND s.order_id = o.id AND o.erase`);
  return { erasedOrders: ids.rows.filter((r) => r.erase).map((r) => r.id), customers: customers.rowCount ?? 0, orders: orders.rowCount ?? 0, order_items: items.rowCount ?? 0, refunds: refunds.rowCount ?? 0 };
}
