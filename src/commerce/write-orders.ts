import type pg from 'pg';
import type { ItemError, Order } from './schemas.ts';

/**
 * Set-based upsert of orders, their items and discount codes (one statement each, however many orders): the
 * arrays are unnested server-side, so 1,000 orders cost the same four round trips as one.
 * Re-sending an order replaces it and all its items; `refunded` is kept (it belongs to refunds).
 * Must run inside a transaction; on any returned error the caller rolls back.
 */

/** The last occurrence of each id wins (a request may carry an order twice). */
export function lastById<T extends { id: string }>(items: T[]): { item: T; index: number }[] {
  const byId = new Map<string, { item: T; index: number }>();
  items.forEach((item, index) => {
    byId.delete(item.id); // keep insertion order of the last occurrence
    byId.set(item.id, { item, index });
  });
  return [...byId.values()];
}

export function upsertOrdersSql(siteId: string, orders: Order[]) {
  return {
    text: `INSERT INTO orders AS o (site_id, id, customer_id, visitor_id, status, payment_status, currency,
             subtotal, discount, tax, shipping, total, created_at)
           SELECT $1::bigint, t.id, t.customer_id, t.visitor_id, t.status, t.payment_status, t.currency,
             t.subtotal, t.discount, t.tax, t.shipping, t.total, t.created_at
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::timestamptz[])
             AS t(id, customer_id, visitor_id, status, payment_status, currency, subtotal, discount, tax, shipping, total, created_at)
           ON CONFLICT (site_id, id) DO UPDATE SET
             customer_id = EXCLUDED.customer_id, visitor_id = EXCLUDED.visitor_id, status = EXCLUDED.status,
             payment_status = EXCLUDED.payment_status, currency = EXCLUDED.currency, subtotal = EXCLUDED.subtotal,
             discount = EXCLUDED.discount, tax = EXCLUDED.tax, shipping = EXCLUDED.shipping, total = EXCLUDED.total,
             created_at = EXCLUDED.created_at, updated_at = now()`,
    values: [
      siteId,
      orders.map((o) => o.id),
      orders.map((o) => o.customer_id ?? null),
      orders.map((o) => o.visitor_id ?? null),
      orders.map((o) => o.status),
      orders.map((o) => o.payment_status ?? null),
      orders.map((o) => o.currency),
      orders.map((o) => o.subtotal),
      orders.map((o) => o.discount),
      orders.map((o) => o.tax),
      orders.map((o) => o.shipping),
      orders.map((o) => o.total),
      orders.map((o) => o.created_at),
    ],
  };
}

export function deleteItemsSql(siteId: string, orderIds: string[]) {
  return {
    text: `DELETE FROM order_items WHERE site_id = $1::bigint AND order_id = ANY($2::text[])`,
    values: [siteId, orderIds],
  };
}

export function insertItemsSql(siteId: string, orders: Order[]) {
  const cols = { orderId: [] as string[], line: [] as number[], productId: [] as string[], sku: [] as (string | null)[],
    name: [] as string[], category: [] as (string | null)[], quantity: [] as number[], unitPrice: [] as number[] };
  for (const o of orders) {
    o.items.forEach((item, i) => {
      cols.orderId.push(o.id);
      cols.line.push(i + 1);
      cols.productId.push(item.product_id);
      cols.sku.push(item.sku ?? null);
      cols.name.push(item.name);
      cols.category.push(item.category ?? null);
      cols.quantity.push(item.quantity);
      cols.unitPrice.push(item.unit_price);
    });
  }
  return {
    text: `INSERT INTO order_items (site_id, order_id, line, product_id, sku, name, category, quantity, unit_price)
           SELECT $1::bigint, t.* FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[])
             AS t(order_id, line, product_id, sku, name, category, quantity, unit_price)`,
    values: [siteId, cols.orderId, cols.line, cols.productId, cols.sku, cols.name, cols.category, cols.quantity, cols.unitPrice],
  };
}

/** Re-sending an order replaces its discount codes (sql/112), like its items. */
export function deleteDiscountCodesSql(siteId: string, orderIds: string[]) {
  return {
    text: `DELETE FROM order_discount_codes WHERE site_id = $1::bigint AND order_id = ANY($2::text[])`,
    values: [siteId, orderIds],
  };
}

/**
 * Codes from the API arrive upper-cased and de-duplicated per order (schemas.ts); callers that
 * write orders without that schema (the demo's bulk path, `tally demo --events`) get the same
 * normalization here, so a lower-case code never reaches the table's CHECK.
 */
export function insertDiscountCodesSql(siteId: string, orders: Order[]) {
  const orderIds: string[] = [];
  const codes: string[] = [];
  for (const o of orders) {
    for (const code of new Set((o.discount_codes ?? []).map((c) => c.trim().toUpperCase()))) {
      orderIds.push(o.id);
      codes.push(code);
    }
  }
  return {
    text: `INSERT INTO order_discount_codes (site_id, order_id, code)
           SELECT $1::bigint, t.order_id, t.code FROM unnest($2::text[], $3::text[]) AS t(order_id, code)`,
    values: [siteId, orderIds, codes],
  };
}

/**
 * Locks the already-stored versions of these orders (so a concurrent refund cannot slip in
 * between the check and the write) and returns what they have been refunded so far.
 */
export function lockOrdersSql(siteId: string, ids: string[]) {
  return {
    text: `SELECT id, currency, total, refunded, created_at AS "createdAt" FROM orders
           WHERE site_id = $1::bigint AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`,
    values: [siteId, ids],
  };
}

export interface LockedOrder {
  id: string;
  currency: string;
  total: number;
  refunded: number;
  createdAt: Date;
}

/** Upserts orders + items; returns per-item errors (then nothing must be committed). */
export async function writeOrders(client: pg.ClientBase, siteId: string, orders: Order[]): Promise<{ upserted: number; errors: ItemError[] }> {
  const latest = lastById(orders);
  const ids = latest.map((l) => l.item.id);
  const { rows } = await client.query<LockedOrder>(lockOrdersSql(siteId, ids));
  const errors: ItemError[] = [];
  const existing = new Map(rows.map((r) => [r.id, r]));
  for (const { item, index } of latest) {
    const old = existing.get(item.id);
    if (!old || old.refunded === 0) continue;
    if (item.total < old.refunded) {
      errors.push({ index, error: `total ${item.total} is below the ${old.refunded} already refunded on this order` });
    } else if (item.currency !== old.currency) {
      errors.push({ index, error: `currency ${item.currency} differs from ${old.currency} of the refunds already recorded on this order` });
    }
  }
  if (errors.length > 0) return { upserted: 0, errors };
  const unique = latest.map((l) => l.item);
  await client.query(upsertOrdersSql(siteId, unique));
  // Every order of the batch is now row-locked by the upsert, so deleting the items of all of
  // them (not only those seen before) also covers an order a concurrent request created
  // meanwhile: its items are committed by now and are replaced, not duplicated.
  await client.query(deleteItemsSql(siteId, ids));
  await client.query(insertItemsSql(siteId, unique));
  await client.query(deleteDiscountCodesSql(siteId, ids));
  if (unique.some((o) => (o.discount_codes?.length ?? 0) > 0)) await client.query(insertDiscountCodesSql(siteId, unique));
  return { upserted: orders.length, errors };
}
