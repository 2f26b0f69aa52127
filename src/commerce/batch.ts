import type pg from 'pg';
import { withTransaction } from '../db/pool.ts';
import { parseItems, type CommerceKind, type ItemError, type KindTypes } from './schemas.ts';
import { writeCustomers, writeProducts } from './write-catalog.ts';
import { writeOrders } from './write-orders.ts';
import { writeRefunds } from './write-refunds.ts';

/**
 * One all-or-nothing commerce batch: validate every item, then write them all in one
 * transaction, or nothing. Shared by the HTTP API, `tally import` and `tally demo`, so every path
 * stores exactly what the API would.
 */

type Writer<K extends CommerceKind> = (client: pg.ClientBase, siteId: string, items: KindTypes[K][]) => Promise<{ upserted: number; errors: ItemError[] }>;

const writers: { [K in CommerceKind]: Writer<K> } = {
  orders: writeOrders,
  refunds: writeRefunds,
  customers: writeCustomers,
  products: writeProducts,
};

/** `unidentified`: the database refused the batch without saying which item (see constraintErrors). */
export type BatchResult = { ok: true; upserted: number } | { ok: false; errors: ItemError[]; unidentified?: boolean };

/** Rolls back the transaction when the writer reports per-item errors. */
class ItemErrors extends Error {
  constructor(readonly errors: ItemError[]) {
    super('invalid items');
  }
}

const CONSTRAINT_MESSAGES: Record<string, string> = {
  orders_refund_within_total: 'refunds would exceed the order total (a concurrent request refunded it meanwhile)',
  orders_total_adds_up: 'total must equal subtotal − discount + tax + shipping',
  refunds_site_id_order_id_fkey: 'order_id: no such order on this site',
};

/**
 * A constraint violation that validation did not foresee (e.g. a race) → a per-item error, never
 * a 500. PostgreSQL names the constraint, not the row; the item is named when the detail shows
 * its key.
 */
export function constraintErrors(error: unknown, ids: string[]): { errors: ItemError[]; unidentified: boolean } | undefined {
  const e = error as { code?: string; constraint?: string; detail?: string; message?: string };
  // Class 23: integrity constraints; class 22: data exceptions (a value PostgreSQL refuses).
  if (!e?.code || !/^2[23]/.test(e.code)) return undefined;
  const message = (e.constraint && CONSTRAINT_MESSAGES[e.constraint]) ?? `rejected by the database: ${e.message ?? e.code}`;
  const keyMatch = /\(site_id, (?:id|order_id)\)=\(\d+, (.*)\)/.exec(e.detail ?? '');
  const index = keyMatch ? ids.indexOf(keyMatch[1]!) : -1;
  return { errors: [{ index: Math.max(index, 0), error: message }], unidentified: index < 0 };
}

/** Writes already-validated items in one transaction; per-item errors roll it back. */
export async function writeBatch<K extends CommerceKind>(pool: pg.Pool, siteId: string, kind: K, items: KindTypes[K][]): Promise<BatchResult> {
  if (items.length === 0) return { ok: true, upserted: 0 };
  try {
    const upserted = await withTransaction(pool, async (client) => {
      const result = await (writers[kind] as Writer<K>)(client, siteId, items);
      if (result.errors.length > 0) throw new ItemErrors(result.errors);
      return result.upserted;
    });
    return { ok: true, upserted };
  } catch (error) {
    if (error instanceof ItemErrors) return { ok: false, errors: error.errors };
    const mapped = constraintErrors(error, items.map((i) => (i as { id: string }).id));
    if (mapped) return { ok: false, ...mapped };
    throw error;
  }
}

/** Validates raw JSON items, then writes them all or nothing. */
export async function upsertCommerce(pool: pg.Pool, siteId: string, kind: CommerceKind, raw: unknown[]): Promise<BatchResult> {
  const { valid, errors } = parseItems(kind, raw);
  if (errors.length > 0) return { ok: false, errors };
  return writeBatch(pool, siteId, kind, valid);
}
