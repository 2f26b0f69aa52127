import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { upsertCommerce } from '../commerce/batch.ts';
import { mulberry32 } from '../demo/prng.ts';
import { ingestDirect } from '../ingest/writer/direct.ts';

/**
 * A small store's trail sent through the real ingestion pipeline (ingestDirect, as /collect
 * would) and the commerce API's writer: visitors v0…v11 over the last 12 days (the site in
 * America/New_York), each with pageviews (product pages included), add-to-carts, an experiment
 * exposure, searches and result clicks, heatmap clicks with scroll depth, errors and vitals. Customer links cover every way
 * erase must follow: cust-a is v1 by its orders and v2 by `uid`; cust-b is v3 by its record;
 * v4 orders as a guest; v1 also places an order for cust-c (a shared device); refunds on some.
 */
export const HOST = 'erase.example';
export const VISITORS = Array.from({ length: 12 }, (_, i) => `v${i}`);
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const PATHS = ['/', '/about', '/products/p01', '/products/p02', '/products/widget-three', '/cart'];

export interface SentEvent {
  id: string;
  vid: string;
  [key: string]: unknown;
}

export function makeTrail(seed: number, now = Date.now()): SentEvent[] {
  const r = mulberry32(seed);
  const out: SentEvent[] = [];
  const start = now - 12 * 86_400_000;
  for (const vid of VISITORS) {
    const sessions = 2 + Math.floor(r() * 4);
    const ua = r() < 0.5 ? CHROME : IPHONE;
    for (let s = 0; s < sessions; s++) {
      let ts = start + Math.floor(r() * 11 * 86_400_000);
      const sid = `${vid}-s${s}`;
      const base = { vid, sid, ua, ...(vid === 'v2' ? { uid: 'cust-a' } : {}) };
      const ref = r() < 0.5 ? { ref: 'https://www.google.com/' } : {};
      const pages = 1 + Math.floor(r() * 4);
      for (let p = 0; p < pages; p++) {
        const path = PATHS[Math.floor(r() * PATHS.length)]!;
        const url = `https://${HOST}${path}${p === 0 && r() < 0.3 ? '?utm_source=news&utm_medium=email' : ''}`;
        out.push({ id: randomUUID(), type: 'pageview', ts, url, ...(p === 0 ? ref : {}), ...base });
        if (path.startsWith('/products/') && r() < 0.6) {
          out.push({ id: randomUUID(), type: 'event', ts: ts + 1000, name: 'add_to_cart', url, props: { product_id: 'p01' }, ...base });
        }
        if (r() < 0.4) {
          out.push({ id: randomUUID(), type: 'heatmap', ts: ts + 2000, url, vw: 1280, dh: 3000, scroll: Math.floor(r() * 100),
            points: [{ x: Math.floor(r() * 1200), y: Math.floor(r() * 2900), kind: 'click', sel: '#buy' }, { x: 17, y: 33, kind: 'rage' }], ...base });
        }
        if (r() < 0.2) {
          // Half of them in a group of this visitor's own (kind), which erasing them removes.
          out.push({ id: randomUUID(), type: 'error', ts: ts + 3000, url, kind: r() < 0.5 ? 'TypeError' : `E_${vid}`, message: 'x is undefined',
            stack: 'TypeError: x\n    at buy (https://erase.example/app.js:10:5)', ...base });
        }
        if (r() < 0.3) out.push({ id: randomUUID(), type: 'vitals', ts: ts + 4000, url, lcp: 1000 + Math.floor(r() * 4000), cls: r() / 3, ...base });
        ts += 60_000 + Math.floor(r() * 600_000);
      }
      if (r() < 0.5) {
        const q = r() < 0.5 ? 'Blue Widget' : 'widget';
        out.push({ id: randomUUID(), type: 'event', ts: ts + 5000, name: 'search', url: `https://${HOST}/search`, props: { q, results: Math.floor(r() * 3) }, ...base });
        if (r() < 0.6) out.push({ id: randomUUID(), type: 'event', ts: ts + 9000, name: 'search_click', url: `https://${HOST}/search`, props: { q, position: 1 + Math.floor(r() * 3), product_id: 'p01' }, ...base });
      }
      if (s === 0) {
        out.push({ id: randomUUID(), type: 'event', ts, name: '$exposure', props: { experiment: 'exp1', variant: r() < 0.5 ? 'control' : 'treatment' }, url: `https://${HOST}/`, ...base });
      }
    }
  }
  return out;
}

export async function sendTrail(pool: pg.Pool, siteId: string, events: SentEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const res = await ingestDirect(pool, { siteId, events: events.slice(i, i + 500) });
    if (res.rejected.length) throw new Error(`rejected: ${JSON.stringify(res.rejected.slice(0, 3))}`);
  }
}

export interface SentOrder {
  id: string;
  customer_id?: string;
  visitor_id?: string;
  status: string;
  total: number;
  created_at: string;
}

/** Orders and refunds with every customer ↔ visitor link erase must follow (see the header). */
export async function sendCommerce(pool: pg.Pool, siteId: string, now = Date.now()): Promise<SentOrder[]> {
  const at = (daysAgo: number, h = 0) => new Date(now - daysAgo * 86_400_000 + h * 3_600_000).toISOString();
  const must = async (kind: 'orders' | 'refunds' | 'products' | 'customers', items: unknown[]) => {
    const res = await upsertCommerce(pool, siteId, kind, items);
    if (!res.ok) throw new Error(`${kind}: ${JSON.stringify(res.errors)}`);
  };
  await must('products', [
    { id: 'p01', name: 'Widget one', price: 1000, currency: 'USD' },
    { id: 'p02', name: 'Widget two', price: 2500, currency: 'USD' },
    { id: 'p03', name: 'Widget three', price: 400, currency: 'USD' },
  ]);
  await must('customers', [
    { id: 'cust-a', created_at: at(11), email: 'a@example.com' },
    { id: 'cust-b', created_at: at(11), email: 'b@example.com', visitor_id: 'v3' },
    { id: 'cust-c', created_at: at(11) },
  ]);
  const order = (id: string, daysAgo: number, extra: Partial<SentOrder>, product = 'p01', quantity = 1, price = 1000) => ({
    id, status: 'paid', currency: 'USD', subtotal: quantity * price, discount: 0, tax: 0, shipping: 0, total: quantity * price,
    created_at: at(daysAgo, 3), items: [{ product_id: product, name: 'Widget', quantity, unit_price: price }], ...extra,
  });
  const orders = [
    order('o1', 9, { customer_id: 'cust-a', visitor_id: 'v1' }),
    { ...order('o2', 5, { customer_id: 'cust-a' }, 'p02', 2, 2500), discount: 500, total: 4500, discount_codes: ['SAVE5'] },
    { ...order('o9', 8, { customer_id: 'cust-c' }, 'p02', 2, 2500), discount: 500, total: 4500, discount_codes: ['SAVE5'] },
    order('o3', 4, { customer_id: 'cust-b' }, 'p03', 3, 400),
    order('o4', 7, { visitor_id: 'v4' }),
    order('o5', 3, { customer_id: 'cust-c', visitor_id: 'v1' }, 'p02', 1, 2500),
    order('o6', 2, { customer_id: 'cust-c', visitor_id: 'v5' }),
    order('o7', 6, { visitor_id: 'v6' }, 'p03', 1, 400),
    order('o8', 1, { customer_id: 'cust-b', visitor_id: 'v3', status: 'pending' }),
  ];
  await must('orders', orders);
  await must('refunds', [
    { id: 'r1', order_id: 'o2', amount: 1000, currency: 'USD', created_at: at(4) },
    { id: 'r2', order_id: 'o6', amount: 300, currency: 'USD', created_at: at(1) },
    { id: 'r3', order_id: 'o4', amount: 200, currency: 'USD', created_at: at(6) },
  ]);
  return orders.map((o) => ({ id: o.id, customer_id: o.customer_id, visitor_id: o.visitor_id, status: o.status, total: o.total, created_at: o.created_at }));
}

/** Rows anywhere that still name or count one of these visitors or this customer. */
export async function personTraces(pool: pg.Pool, siteId: string, visitors: string[], customer?: string): Promise<Record<string, number>> {
  const { rows: cols } = await pool.query<{ table: string; column: string }>(`
    SELECT c.relname AS "table", a.attname AS "column" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND a.attname IN ('visitor_id', 'visitor_key', 'user_id', 'customer_id', 'customer_key', 'customer_hash')`);
  const found: Record<string, number> = {};
  const keys = [...visitors.map((v) => `v:${v}`), ...(customer ? [`c:${customer}`] : [])];
  for (const { table, column } of cols) {
    const cond = {
      visitor_id: `visitor_id = ANY ($2::text[])`,
      visitor_key: `visitor_key = ANY (SELECT hashtextextended(v, 0) FROM unnest($2::text[]) v)`,
      user_id: `user_id = $3::text`,
      customer_id: `customer_id = $3::text`,
      customer_key: `customer_key = ANY ($4::text[])`,
      customer_hash: `customer_hash = ANY (SELECT hashtextextended(k, 0) FROM unnest($4::text[]) k)`,
    }[column]!;
    const { rows } = await pool.query({
      text: `SELECT count(*)::int AS n FROM ${table} WHERE site_id = $1::bigint AND ${cond} -- every parameter is typed even where the column's condition does not use it
        AND coalesce($3::text, '') IS NOT NULL AND $2::text[] IS NOT NULL AND $4::text[] IS NOT NULL`,
      values: [siteId, visitors, customer ?? null, keys],
    });
    if (rows[0].n) found[`${table}.${column}`] = rows[0].n;
  }
  for (const table of ['orders', 'customers']) {
    const { rows } = await pool.query({ text: `SELECT count(*)::int AS n FROM ${table} WHERE site_id = $1::bigint AND ${table === 'orders' ? 'customer_id' : 'id'} = $2::text`, values: [siteId, customer ?? ''] });
    if (rows[0].n) found[table] = rows[0].n;
  }
  return found;
}
