import type { Hono } from 'hono';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { rebuildCommerceRollups, runCommerceRollups } from './commerce-rollups.ts';
import { createLogger } from '../../log.ts';
import { runProductTrafficRollup } from '../products/traffic-rollup.ts';
import { runRevenueRollup } from './rollup.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { bruteProducts, bruteRevenue, bruteTopProducts, snapshot, type Query } from '../../../test/helpers/commerce-brute.ts';
import {
  EDGE_INSTANTS, PRODUCT_IDS, insertEvents, insertPageviews, makeCartEvents, makeItems, makeOrders, makePageviews, priced, rng, upsert,
  type RawOrder,
} from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';

/**
 * Revenue and products reports against an independent brute-force computation (TypeScript over
 * the commerce and raw tables) on generated data: DST days in Paris and New York, a half-hour
 * zone, month boundaries, refunds days or a month after their order, two currencies, re-sent
 * orders (status, total, created_at, items), cancellations, late pageviews changing a buyer's
 * first touch, incremental runs and interrupted runs.
 */

let db: TestDatabase;
let app: Hono;
let site: { id: string; token: string };
let readToken: string;
let orders: RawOrder[] = [];
const rand = rng(42);
const signal = new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function get(path: string, token = readToken) {
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const QUERIES: Query[] = [
  { currency: 'EUR', tz: 'Europe/Paris', from: '2026-10-20', to: '2026-11-05', interval: 'day' },
  { currency: 'USD', tz: 'America/New_York', from: '2026-10-20', to: '2026-11-05', interval: 'day' },
  { currency: 'EUR', tz: 'Europe/Paris', from: '2026-10-25', to: '2026-10-25', interval: 'hour' },
  { currency: 'EUR', tz: 'America/New_York', from: '2026-10-31', to: '2026-11-01', interval: 'hour' },
  { currency: 'EUR', tz: 'UTC', from: '2026-10-01', to: '2026-12-31', interval: 'week' },
  { currency: 'EUR', tz: 'Europe/Paris', from: '2026-10-01', to: '2026-12-31', interval: 'month' },
  { currency: 'USD', tz: 'Asia/Kolkata', from: '2026-10-28', to: '2026-11-03', interval: 'day' },
  { currency: 'EUR', tz: 'Asia/Kathmandu', from: '2026-11-01', to: '2026-11-01', interval: 'day' },
];

async function checkAll(label: string): Promise<void> {
  const snap = await snapshot(db.pool, site.id);
  for (const q of QUERIES) {
    const ctx = `${label} ${JSON.stringify(q)}`;
    const { status, body } = await get(`/api/v1/sites/${site.id}/reports/revenue?currency=${q.currency}&tz=${q.tz}&from=${q.from}&to=${q.to}&interval=${q.interval}`);
    expect(status, ctx).toBe(200);
    const brute = bruteRevenue(snap, q);
    expect(body.currency, ctx).toBe(q.currency);
    expect(body.totals, ctx).toEqual(brute.totals);
    const series = body.series as { t: string; orders: number; gross: number; refunds: number; net: number }[];
    const labels = new Set(series.map((p) => p.t));
    for (const t of brute.series.keys()) expect(labels.has(t), `${ctx} bucket ${t}`).toBe(true);
    for (const p of series) {
      const { t, ...values } = p;
      expect(values, `${ctx} bucket ${t}`).toEqual(brute.series.get(t) ?? { orders: 0, gross: 0, refunds: 0, net: 0 });
    }
    const channels = [...(body.by_channel as { key: string }[])].sort((a, b) => a.key.localeCompare(b.key));
    expect(channels, ctx).toEqual(brute.by_channel);
    const top = (body.top_products as { product_id: string; purchases: number; units: number; revenue: number }[]).map(
      ({ product_id, purchases, units, revenue }) => ({ product_id, purchases, units, revenue }),
    );
    expect(top, ctx).toEqual(bruteTopProducts(snap, q, 10));

    const products = await get(`/api/v1/sites/${site.id}/reports/products?currency=${q.currency}&tz=${q.tz}&from=${q.from}&to=${q.to}&limit=1000`);
    expect(products.status, ctx).toBe(200);
    const rows = (products.body.products as { product_id: string; views: number; add_to_carts: number; purchases: number; units: number; revenue: number }[])
      .map(({ product_id, views, add_to_carts, purchases, units, revenue }) => ({ product_id, views, add_to_carts, purchases, units, revenue }))
      .sort((a, b) => a.product_id.localeCompare(b.product_id));
    expect(rows, ctx).toEqual(bruteProducts(snap, q));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`SELECT tally_ensure_partitions('2026-09-01', '2027-01-01')`);
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  app = createApp({ config, pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  site = await createSite(db.pool, { name: 'Shop', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  readToken = await createToken(db.pool, site.id, 'read');

  // Catalogue for most products; p10–p12 are only known from order items.
  await upsert(db.pool, site.id, 'products', PRODUCT_IDS.slice(0, 9).map((id) => ({ id, name: `Catalogue ${id}`, category: 'catalogue', price: 1000, currency: 'EUR' })));
  await insertPageviews(db.pool, site.id, makePageviews(rand, 600));
  await insertEvents(db.pool, site.id, makeCartEvents(rand, 200));
  orders = makeOrders(rand, 'o', 160, EDGE_INSTANTS);
  // One customer's two orders a week apart; the first is cancelled later (their remaining
  // order's "previous order" must then be recomputed although its own slot did not change).
  const pair = (id: string, at: string) => priced({ id, customer_id: 'c-pair', visitor_id: null, status: 'paid', currency: 'EUR', created_at: at, items: makeItems(rand) }, rand);
  orders.push(pair('pair-1', '2026-10-21T10:00:00Z'), pair('pair-2', '2026-10-29T10:00:00Z'));
  await upsert(db.pool, site.id, 'orders', orders);
  await upsert(db.pool, site.id, 'refunds', refundsFor(orders.filter((o) => ['paid', 'fulfilled', 'refunded'].includes(o.status)).slice(0, 25), 'r'));
});

afterAll(async () => {
  await db.drop();
});

/** Refunds 0–20 days after the order (one a month later), partial or whole. */
function refundsFor(list: RawOrder[], prefix: string) {
  return list.map((o, i) => {
    const days = i === 0 ? 33 : Math.floor(rand() * 20);
    const at = new Date(Date.parse(o.created_at) + days * 86_400_000 + Math.floor(rand() * 86_400_000)).toISOString();
    return { id: `${prefix}${i}`, order_id: o.id, amount: i % 3 === 0 ? o.total : Math.max(1, Math.floor(o.total / 3)), currency: o.currency, created_at: at };
  });
}

describe('commerce rollups and reports', () => {
  it('match the brute force after the first (full) run', async () => {
    // A run re-reads the writes of the second before its watermark (rollup.ts); wait it
    // out so that the next run sees only the next writes (else it would mask stale rows).
    await sleep(1100);
    const result = await runCommerceRollups({ pool: db.pool, signal });
    expect(result.rows).toBeGreaterThan(0);
    await checkAll('first run');
  });

  it('match after re-sent, cancelled and moved orders, late refunds and late pageviews (incremental run)', async () => {
    const refunded = new Set((await db.pool.query(`SELECT DISTINCT order_id FROM refunds WHERE site_id = $1`, [site.id])).rows.map((r) => r.order_id as string));
    const free = orders.filter((o) => !refunded.has(o.id));
    const pending = free.filter((o) => o.status === 'pending').slice(0, 5);
    const paid = free.filter((o) => o.status === 'paid');
    const changed: RawOrder[] = [
      ...pending.map((o) => ({ ...o, status: 'paid' })), // pending → paid
      ...paid.slice(0, 3).map((o) => priced({ ...o, items: o.items.map((i) => ({ ...i, unit_price: i.unit_price + 111 })) }, rand)), // total change
      ...paid.slice(3, 6).map((o, i) => ({ ...o, created_at: new Date(Date.parse(o.created_at) + (i + 1) * 3 * 86_400_000).toISOString() })), // moved day/month
      ...paid.slice(6, 9).map((o) => priced({ ...o, items: makeItems(rand) }, rand)), // items replaced
      ...paid.slice(9, 11).map((o) => ({ ...o, status: 'cancelled' })), // paid → cancelled
      { ...paid[11]!, customer_id: 'c-new-owner', currency: 'USD' }, // customer and currency change
      { ...orders.find((o) => o.id === 'pair-1')!, status: 'cancelled' },
    ];
    await upsert(db.pool, site.id, 'orders', changed);
    const fresh = makeOrders(rand, 'n', 25);
    await upsert(db.pool, site.id, 'orders', fresh);
    const paidFresh = fresh.filter((o) => ['paid', 'fulfilled', 'refunded'].includes(o.status));
    await upsert(db.pool, site.id, 'refunds', [
      ...refundsFor(paidFresh.slice(0, 6), 'rn'),
      // A refund re-sent: another amount and another day.
      { id: 'r1', order_id: orders.filter((o) => ['paid', 'fulfilled', 'refunded'].includes(o.status))[1]!.id, amount: 1, currency: orders.filter((o) => ['paid', 'fulfilled', 'refunded'].includes(o.status))[1]!.currency, created_at: '2026-12-02T10:00:00Z' },
    ]);
    // A late pageview earlier than these buyers' first touch: their orders move channel.
    const buyers = [...new Set(orders.filter((o) => o.visitor_id && o.status === 'paid').map((o) => o.visitor_id!))].slice(0, 4);
    await insertPageviews(db.pool, site.id, [
      ...buyers.map((vid) => ({ visitor_id: vid, occurred_at: '2026-10-01T08:00:00Z', path: '/products/p05', channel: 'late-campaign' })),
      ...makePageviews(rand, 150),
    ]);
    await insertEvents(db.pool, site.id, makeCartEvents(rand, 60));
    await sleep(1100);
    await runCommerceRollups({ pool: db.pool, signal });
    await checkAll('incremental run');
    // Not vacuous: the late first touch did re-attribute orders already rolled up.
    const keys = [];
    for (const currency of ['EUR', 'USD']) {
      const { body } = await get(`/api/v1/sites/${site.id}/reports/revenue?currency=${currency}&from=2026-10-01&to=2026-12-31`);
      keys.push(...(body.by_channel as { key: string }[]).map((c) => c.key));
    }
    expect(keys).toContain('late-campaign');
  });

  it('match after a run interrupted halfway is run again', async () => {
    const more = makeOrders(rand, 'i', 15);
    await upsert(db.pool, site.id, 'orders', more);
    await upsert(db.pool, site.id, 'orders', [{ ...orders[20]!, created_at: '2026-11-30T23:30:00Z', status: 'fulfilled' }]);
    await insertPageviews(db.pool, site.id, makePageviews(rand, 80));
    await insertEvents(db.pool, site.id, makeCartEvents(rand, 30));
    const stop = (at: string) => (name: string) => {
      if (name === at) throw new Error(`interrupted before ${at}`);
    };
    await expect(runProductTrafficRollup(db.pool, { beforeStep: stop('first touch') })).rejects.toThrow(/interrupted/);
    await expect(runRevenueRollup(db.pool, { beforeStep: stop('product sales slots') })).rejects.toThrow(/interrupted/);
    await expect(runRevenueRollup(db.pool, { beforeStep: stop('watermark') })).rejects.toThrow(/interrupted/);
    await runCommerceRollups({ pool: db.pool, signal });
    await checkAll('after interruption');
    // A further run with nothing new reads no new raw rows (commerce rows written within the
    // last second are re-read by design: see rollup.ts) and changes no number.
    const again = await runCommerceRollups({ pool: db.pool, signal });
    expect(again.detail?.trafficRows).toBe(0);
    await checkAll('idle run');
    // The manual full rebuild gives the same numbers.
    await rebuildCommerceRollups({ pool: db.pool, signal });
    await checkAll('rebuild');
  });
});

describe('commerce report endpoints', () => {
  it('default to the site currency and zero-fill every bucket', async () => {
    const { status, body } = await get(`/api/v1/sites/${site.id}/reports/revenue?from=2027-01-04&to=2027-01-10`);
    expect(status).toBe(200);
    expect(body.currency).toBe('EUR');
    expect(body.tz).toBe('Europe/Paris');
    const series = body.series as { t: string; orders: number }[];
    expect(series.map((p) => p.t)).toEqual(['2027-01-04', '2027-01-05', '2027-01-06', '2027-01-07', '2027-01-08', '2027-01-09', '2027-01-10']);
    expect(series.every((p) => p.orders === 0)).toBe(true);
  });

  it('compare=previous gives the previous period of the same length', async () => {
    const { body } = await get(`/api/v1/sites/${site.id}/reports/revenue?from=2026-11-01&to=2026-11-05&compare=previous&tz=Europe/Paris`);
    const previous = body.previous as { from: string; to: string; totals: unknown; series: unknown[] };
    expect([previous.from, previous.to]).toEqual(['2026-10-27', '2026-10-31']);
    expect(previous.series).toHaveLength(5);
    const brute = bruteRevenue(await snapshot(db.pool, site.id), { currency: 'EUR', tz: 'Europe/Paris', from: '2026-10-27', to: '2026-10-31', interval: 'day' });
    expect(previous.totals).toEqual(brute.totals);
  });

  it('name bad parameters in a 400', async () => {
    for (const [query, name] of [['currency=eur', 'currency'], ['tz=Mars/Base', 'tz'], ['from=2026-13-01', 'from'], ['interval=year', 'interval']] as const) {
      const { status, body } = await get(`/api/v1/sites/${site.id}/reports/revenue?${query}`);
      expect(status, query).toBe(400);
      expect(String(body.error), query).toContain(name);
    }
    const bad = await get(`/api/v1/sites/${site.id}/reports/products?sort=price`);
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toContain('sort');
  });

  it('need a read token of this site', async () => {
    const other = await createSite(db.pool, { name: 'Other', domain: 'other.test' });
    expect((await get(`/api/v1/sites/${site.id}/reports/revenue`, other.token)).status).toBe(404);
    expect((await get(`/api/v1/sites/${site.id}/reports/products`, 'tly_1_nope')).status).toBe(401);
    expect((await get(`/api/v1/sites/${site.id}/reports/products`, site.token)).status).toBe(200);
  });

  it('are described in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/sites/{siteId}/reports/revenue', '/api/v1/sites/{siteId}/reports/products']));
  });

  it('sort and limit products, with rates', async () => {
    const { body } = await get(`/api/v1/sites/${site.id}/reports/products?from=2026-10-20&to=2026-11-05&sort=views&limit=3`);
    const rows = body.products as { product_id: string; views: number; add_to_carts: number; purchases: number; cart_rate: number | null; conversion_rate: number | null; name: string | null }[];
    expect(rows).toHaveLength(3);
    expect(rows[0]!.views).toBeGreaterThanOrEqual(rows[1]!.views);
    expect(rows[1]!.views).toBeGreaterThanOrEqual(rows[2]!.views);
    for (const r of rows) {
      expect(r.cart_rate).toBeCloseTo(r.add_to_carts / r.views, 5);
      expect(r.conversion_rate).toBeCloseTo(r.purchases / r.views, 5);
      // Catalogue name, else the name on the order items, else null (a path the shop never sold).
      if (/^p\d\d$/.test(r.product_id)) expect(r.name).toMatch(/^(Catalogue|Product) p\d\d$/);
      else expect(r.name).toBeNull();
    }
    expect(body.total).toBeGreaterThan(3);
    const asc = await get(`/api/v1/sites/${site.id}/reports/products?from=2026-10-20&to=2026-11-05&sort=revenue&order=asc&limit=1000`);
    const revenues = (asc.body.products as { revenue: number }[]).map((r) => r.revenue);
    expect(revenues).toEqual([...revenues].sort((a, b) => a - b));
  });
});
