import type pg from 'pg';
import type { ItemError, Refund } from './schemas.ts';
import { lastById, lockOrdersSql, type LockedOrder } from './write-orders.ts';

/**
 * Refund upsert. The orders concerned are locked FOR UPDATE (in id order, so two writers cannot
 * deadlock) before the amounts are checked, so two requests refunding one order at once are
 * serialised and cannot over-refund; `orders_refund_within_total` is the backstop. A re-sent
 * refund id replaces its old amount (and may even move to another order). `orders.refunded` is
 * recomputed from the refunds table in the same transaction, never incremented blindly.
 */

function existingRefundsSql(siteId: string, ids: string[]) {
  return {
    text: `SELECT id, order_id AS "orderId", amount FROM refunds WHERE site_id = $1::bigint AND id = ANY($2::text[])`,
    values: [siteId, ids],
  };
}

export function upsertRefundsSql(siteId: string, refunds: Refund[]) {
  return {
    text: `INSERT INTO refunds (site_id, id, order_id, amount, currency, reason, created_at)
           SELECT $1::bigint, t.* FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[])
             AS t(id, order_id, amount, currency, reason, created_at)
           ON CONFLICT (site_id, id) DO UPDATE SET
             order_id = EXCLUDED.order_id, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
             reason = EXCLUDED.reason, created_at = EXCLUDED.created_at, updated_at = now()`,
    values: [
      siteId,
      refunds.map((r) => r.id),
      refunds.map((r) => r.order_id),
      refunds.map((r) => r.amount),
      refunds.map((r) => r.currency),
      refunds.map((r) => r.reason ?? null),
      refunds.map((r) => r.created_at),
    ],
  };
}

export function recomputeRefundedSql(siteId: string, orderIds: string[]) {
  return {
    text: `UPDATE orders o SET refunded = coalesce(s.sum, 0), updated_at = now()
           FROM (SELECT id, (SELECT sum(r.amount) FROM refunds r WHERE r.site_id = $1::bigint AND r.order_id = ids.id) AS sum
                 FROM unnest($2::text[]) AS ids(id)) s
           WHERE o.site_id = $1::bigint AND o.id = s.id`,
    values: [siteId, orderIds],
  };
}

interface StoredRefund {
  id: string;
  orderId: string;
  amount: number;
}

export async function writeRefunds(client: pg.ClientBase, siteId: string, refunds: Refund[]): Promise<{ upserted: number; errors: ItemError[] }> {
  const latest = lastById(refunds);
  const refundIds = latest.map((l) => l.item.id);
  // Refunds being replaced may belong to another order than the one they name now: lock both.
  let stored = (await client.query<StoredRefund>(existingRefundsSql(siteId, refundIds))).rows;
  const orderIds = new Set([...latest.map((l) => l.item.order_id), ...stored.map((s) => s.orderId)]);
  const locked = new Map<string, LockedOrder>();
  for (const r of (await client.query<LockedOrder>(lockOrdersSql(siteId, [...orderIds]))).rows) locked.set(r.id, r);
  // Re-read under the locks: a concurrent writer may have moved or changed a refund meanwhile.
  stored = (await client.query<StoredRefund>(existingRefundsSql(siteId, refundIds))).rows;
  const missing = stored.map((s) => s.orderId).filter((id) => !orderIds.has(id));
  if (missing.length > 0) {
    for (const r of (await client.query<LockedOrder>(lockOrdersSql(siteId, missing))).rows) locked.set(r.id, r);
    missing.forEach((id) => orderIds.add(id));
  }

  // Unrefunded balance per order once the replaced refunds are taken out.
  const refunded = new Map<string, number>();
  for (const o of locked.values()) refunded.set(o.id, o.refunded);
  for (const s of stored) refunded.set(s.orderId, (refunded.get(s.orderId) ?? 0) - s.amount);

  const errors: ItemError[] = [];
  for (const { item, index } of latest) {
    const order = locked.get(item.order_id);
    if (!order) {
      errors.push({ index, error: `order_id: no order "${item.order_id}" on this site (send the order first)` });
      continue;
    }
    if (item.currency !== order.currency) {
      errors.push({ index, error: `currency: ${item.currency} differs from the order's ${order.currency}` });
      continue;
    }
    if (Date.parse(item.created_at) < order.createdAt.getTime()) {
      errors.push({ index, error: `created_at: ${item.created_at} is before the order was created (${order.createdAt.toISOString()})` });
      continue;
    }
    const before = refunded.get(order.id) ?? 0;
    const remaining = order.total - before;
    if (item.amount > remaining) {
      errors.push({ index, error: `amount: ${item.amount} exceeds the order's unrefunded total ${remaining} (total ${order.total}, refunded ${before})` });
      continue;
    }
    refunded.set(order.id, before + item.amount);
  }
  if (errors.length > 0) return { upserted: 0, errors };
  await client.query(upsertRefundsSql(siteId, latest.map((l) => l.item)));
  await client.query(recomputeRefundedSql(siteId, [...orderIds]));
  return { upserted: refunds.length, errors };
}
