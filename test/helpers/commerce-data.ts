import type pg from 'pg';
import { upsertCommerce } from '../../src/commerce/batch.ts';

/**
 * Deterministic commerce + raw-traffic data for the commerce report tests. Orders go through
 * helper B's set-based writers (src/commerce/batch.ts), exactly as the API stores them; raw
 * pageviews/events are inserted with SQL (their ingestion path is not under test here).
 */

export { mulberry32 as rng } from '../../src/demo/prng.ts';

export const CHANNELS = ['direct', 'organic', 'paid', 'social', 'email', 'referral'];
export const PRODUCT_IDS = Array.from({ length: 12 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
export const START = Date.parse('2026-10-20T00:00:00Z');
export const END = Date.parse('2026-11-06T00:00:00Z');

/** Instants on DST and month boundaries (Paris falls back 2026-10-25 01:00Z, New York 2026-11-01 06:00Z). */
export const EDGE_INSTANTS = [
  '2026-10-25T00:30:00Z', // Paris 02:30 CEST (first 02:30)
  '2026-10-25T01:30:00Z', // Paris 02:30 CET (second 02:30)
  '2026-10-31T22:59:59Z', // Paris Oct 31 23:59:59
  '2026-10-31T23:00:00Z', // Paris Nov 1 00:00
  '2026-11-01T03:59:59Z', // New York Oct 31 23:59:59 EDT
  '2026-11-01T05:30:00Z', // New York 01:30 EDT
  '2026-11-01T06:30:00Z', // New York 01:30 EST
  '2026-10-31T18:15:00Z', // Kolkata Oct 31 23:45
  '2026-10-31T18:30:00Z', // Kolkata Nov 1 00:00
];

export interface RawItem {
  product_id: string;
  name: string;
  category: string;
  quantity: number;
  unit_price: number;
}
export interface RawOrder {
  id: string;
  customer_id: string | null;
  visitor_id: string | null;
  status: string;
  currency: string;
  subtotal: number;
  discount: number;
  tax: number;
  shipping: number;
  total: number;
  created_at: string;
  items: RawItem[];
}

export function makeItems(rand: () => number): RawItem[] {
  const n = 1 + Math.floor(rand() * 3);
  return Array.from({ length: n }, () => {
    const product = PRODUCT_IDS[Math.floor(rand() * PRODUCT_IDS.length)]!;
    return { product_id: product, name: `Product ${product}`, category: `cat-${product.slice(-1)}`, quantity: 1 + Math.floor(rand() * 3), unit_price: 500 + Math.floor(rand() * 4500) };
  });
}

export function priced(o: Omit<RawOrder, 'subtotal' | 'total' | 'discount' | 'tax' | 'shipping'>, rand: () => number): RawOrder {
  const subtotal = o.items.reduce((s, i) => s + i.quantity * i.unit_price, 0);
  const discount = rand() < 0.3 ? Math.floor(subtotal * 0.1) : 0;
  const tax = Math.floor((subtotal - discount) * 0.2);
  const shipping = rand() < 0.5 ? 490 : 0;
  return { ...o, subtotal, discount, tax, shipping, total: subtotal - discount + tax + shipping };
}

const STATUSES: [string, number][] = [['paid', 0.5], ['fulfilled', 0.15], ['pending', 0.15], ['cancelled', 0.1], ['refunded', 0.1]];
function status(rand: () => number): string {
  let x = rand();
  for (const [s, w] of STATUSES) if ((x -= w) < 0) return s;
  return 'paid';
}

export function makeOrders(rand: () => number, prefix: string, n: number, edges: string[] = []): RawOrder[] {
  return Array.from({ length: n }, (_, i) => {
    const at = i < edges.length ? edges[i]! : new Date(START + Math.floor(rand() * (END - START))).toISOString();
    const guest = rand() < 0.35;
    const anonymous = i % 37 === 5; // neither customer nor visitor: counted in orders, not in customers
    return priced(
      {
        id: `${prefix}${String(i).padStart(4, '0')}`,
        customer_id: anonymous || guest ? null : `c${Math.floor(rand() * 30)}`,
        visitor_id: anonymous ? null : `v${Math.floor(rand() * 80)}`,
        status: status(rand),
        currency: rand() < 0.8 ? 'EUR' : 'USD',
        created_at: at,
        items: makeItems(rand),
      },
      rand,
    );
  });
}

export async function upsert(pool: pg.Pool, siteId: string, kind: 'orders' | 'refunds' | 'products', items: unknown[]): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    const result = await upsertCommerce(pool, siteId, kind, items.slice(i, i + 500));
    if (!result.ok) throw new Error(`${kind} rejected: ${JSON.stringify(result.errors.slice(0, 3))}`);
  }
}

export interface RawPageview {
  visitor_id: string;
  occurred_at: string;
  path: string;
  channel: string;
}

export function makePageviews(rand: () => number, n: number, from = START - 5 * 86_400_000, to = END): RawPageview[] {
  // Products by id, by handle (catalogue names "Catalogue pNN"), with a sub-page, and unknown.
  const paths = ['/', '/about', '/cart', ...PRODUCT_IDS.map((p) => `/products/${p}`), '/products/p03/reviews',
    '/products/catalogue-p09', '/products/catalogue-p04/reviews', '/products/Catalogue-P05', '/products/unknown-thing'];
  return Array.from({ length: n }, () => ({
    visitor_id: `v${Math.floor(rand() * 80)}`,
    occurred_at: new Date(from + Math.floor(rand() * (to - from))).toISOString(),
    path: paths[Math.floor(rand() * paths.length)]!,
    channel: CHANNELS[Math.floor(rand() * CHANNELS.length)]!,
  }));
}

export async function insertPageviews(pool: pg.Pool, siteId: string, rows: RawPageview[]): Promise<void> {
  await pool.query({
    text: `INSERT INTO pageviews (site_id, occurred_at, received_at, event_id, visitor_id, session_id, url, host, path, channel, device)
           SELECT $1::bigint, t.at, t.at, gen_random_uuid(), t.vid, t.vid || '-s', 'https://shop.test' || t.path, 'shop.test', t.path, t.channel, 'desktop'
           FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[]) AS t(at, vid, path, channel)`,
    values: [siteId, rows.map((r) => r.occurred_at), rows.map((r) => r.visitor_id), rows.map((r) => r.path), rows.map((r) => r.channel)],
  });
}

export async function insertEvents(pool: pg.Pool, siteId: string, rows: { name: string; visitor_id: string; occurred_at: string; props: Record<string, unknown> }[]): Promise<void> {
  await pool.query({
    text: `INSERT INTO events (site_id, occurred_at, received_at, event_id, visitor_id, session_id, name, props)
           SELECT $1::bigint, t.at, t.at, gen_random_uuid(), t.vid, t.vid || '-s', t.name, t.props
           FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::jsonb[]) AS t(at, vid, name, props)`,
    values: [siteId, rows.map((r) => r.occurred_at), rows.map((r) => r.visitor_id), rows.map((r) => r.name), rows.map((r) => JSON.stringify(r.props))],
  });
}

export function makeCartEvents(rand: () => number, n: number) {
  return Array.from({ length: n }, () => {
    const product = PRODUCT_IDS[Math.floor(rand() * PRODUCT_IDS.length)]!;
    const at = new Date(START + Math.floor(rand() * (END - START))).toISOString();
    const kind = rand();
    // Mostly add_to_cart; some other events and an add_to_cart without a product id (ignored).
    if (kind < 0.75) return { name: 'add_to_cart', visitor_id: `v${Math.floor(rand() * 80)}`, occurred_at: at, props: { product_id: product, quantity: 1 } };
    if (kind < 0.85) return { name: 'add_to_cart', visitor_id: 'v1', occurred_at: at, props: { sku: 'x' } };
    return { name: 'signup', visitor_id: 'v2', occurred_at: at, props: { product_id: product } };
  });
}
