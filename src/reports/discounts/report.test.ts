import type { Hono } from 'hono';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { rebuildCommerceRollups, runCommerceRollups } from '../revenue/commerce-rollups.ts';
import { EDGE_INSTANTS, makeItems, makeOrders, priced, rng, upsert, type RawOrder } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteDiscounts, discountSnapshot } from './brute.test-helper.ts';

/**
 * The discounts report against an independent brute force (brute.test-helper.ts) over generated
 * orders with codes in mixed case, two codes on one order, duplicates, refunds days and a month
 * later, cancelled and re-sent orders (codes changed), first orders of customers, DST days in
 * Paris and New York, a half-hour zone; after the first run, incremental runs and a rebuild.
 */

type WithCodes = RawOrder & { discount_codes?: string[] };
let db: TestDatabase;
let app: Hono;
let site: { id: string; token: string };
let readToken: string;
let orders: WithCodes[] = [];
const rand = rng(19);
const signal = new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CODES = ['WELCOME10', 'welcome10', 'Summer20', 'SUMMER20', 'FREESHIP', 'vip', 'Ünïcode-5'];

async function get(path: string, token = readToken) {
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const QUERIES = [
  { currency: 'EUR', tz: 'Europe/Paris', from: '2026-10-20', to: '2026-11-05' },
  { currency: 'USD', tz: 'America/New_York', from: '2026-10-20', to: '2026-11-05' },
  { currency: 'EUR', tz: 'America/New_York', from: '2026-11-01', to: '2026-11-01' }, // 25-hour day
  { currency: 'EUR', tz: 'Europe/Paris', from: '2026-10-25', to: '2026-10-25' }, // 25-hour day
  { currency: 'EUR', tz: 'UTC', from: '2026-10-01', to: '2026-12-31' },
  { currency: 'EUR', tz: 'Asia/Kolkata', from: '2026-10-28', to: '2026-11-03' },
  { currency: 'EUR', tz: 'Europe/Paris', from: '2026-11-20', to: '2026-12-31' }, // late refunds only
];

async function checkAll(label: string): Promise<void> {
  const snap = await discountSnapshot(db.pool, site.id);
  for (const q of QUERIES) {
    const ctx = `${label} ${JSON.stringify(q)}`;
    const { status, body } = await get(`/api/v1/sites/${site.id}/reports/discounts?currency=${q.currency}&tz=${encodeURIComponent(q.tz)}&from=${q.from}&to=${q.to}`);
    expect(status, ctx).toBe(200);
    const brute = bruteDiscounts(snap, q);
    expect(body.currency, ctx).toBe(q.currency);
    expect(body.codes, ctx).toEqual(brute.codes);
    expect(body.without_code, ctx).toEqual(brute.without_code);
  }
}

function codesFor(i: number): string[] | undefined {
  if (i % 4 === 3) return undefined;
  const n = i % 9 === 0 ? 2 : 1;
  return Array.from({ length: n }, () => CODES[Math.floor(rand() * CODES.length)]!);
}

function refundsFor(list: RawOrder[], prefix: string) {
  return list.map((o, i) => {
    const days = i === 0 ? 33 : Math.floor(rand() * 20);
    const at = new Date(Date.parse(o.created_at) + days * 86_400_000 + Math.floor(rand() * 86_400_000)).toISOString();
    return { id: `${prefix}${i}`, order_id: o.id, amount: i % 3 === 0 ? o.total : Math.max(1, Math.floor(o.total / 3)), currency: o.currency, created_at: at };
  });
}

const isPaid = (o: RawOrder) => ['paid', 'fulfilled', 'refunded'].includes(o.status);

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`SELECT tally_ensure_partitions('2026-09-01', '2027-01-01')`);
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  app = createApp({ config, pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  site = await createSite(db.pool, { name: 'Shop', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  readToken = await createToken(db.pool, site.id, 'read');
  orders = makeOrders(rand, 'o', 180, EDGE_INSTANTS).map((o, i) => ({ ...o, discount_codes: codesFor(i) }));
  const fixed = (id: string, at: string, codes: string[], customer: string | null, extra: Partial<RawOrder> = {}): WithCodes => ({
    ...priced({ id, customer_id: customer, visitor_id: null, status: 'paid', currency: 'EUR', created_at: at, items: makeItems(rand) }, rand),
    ...extra,
    discount_codes: codes,
  });
  orders.push(
    // Two codes on one order (and one of them twice in other cases): counted under each, once.
    fixed('two-codes', '2026-10-22T09:00:00Z', ['summer20', 'FREESHIP', 'Summer20'], 'c-two'),
    // A cancelled order with a code: not counted.
    fixed('cancelled', '2026-10-23T09:00:00Z', ['CANCELLED-ONLY'], 'c-cancel', { status: 'cancelled' }),
    // A new customer's first order with WELCOME10, then a later order with WELCOME10 (not new).
    fixed('first-1', '2026-10-24T09:00:00Z', ['welcome10'], 'c-first'),
    fixed('first-2', '2026-10-30T09:00:00Z', ['WELCOME10'], 'c-first'),
    // DST night in New York (01:30 EDT, then 01:30 EST) with codes.
    fixed('ny-1', '2026-11-01T05:30:00Z', ['NYDST'], 'c-ny', { currency: 'EUR' }),
    fixed('ny-2', '2026-11-01T06:30:00Z', ['nydst'], null, { visitor_id: 'v-ny' }),
  );
  await upsert(db.pool, site.id, 'orders', orders);
  await upsert(db.pool, site.id, 'refunds', [
    ...refundsFor(orders.filter((o) => isPaid(o) && o.discount_codes?.length).slice(0, 20), 'r'),
    // A refund in a later period than its order (the order in October, the refund in December).
    { id: 'late', order_id: 'two-codes', amount: 700, currency: 'EUR', created_at: '2026-12-03T10:00:00Z' },
  ]);
});

afterAll(async () => {
  await db?.drop();
});

describe('discount codes', () => {
  it('are stored upper-case, once per order', async () => {
    const { rows } = await db.pool.query(`SELECT code FROM order_discount_codes WHERE site_id = $1 AND order_id = 'two-codes' ORDER BY code`, [site.id]);
    expect(rows.map((r) => r.code)).toEqual(['FREESHIP', 'SUMMER20']);
  });

  it('report matches the brute force after the first run', async () => {
    await sleep(1100); // see revenue/report.test.ts: the run re-reads its last second
    await runCommerceRollups({ pool: db.pool, signal });
    await checkAll('first run');
    const { body } = await get(`/api/v1/sites/${site.id}/reports/discounts?from=2026-10-20&to=2026-11-05`);
    const codes = body.codes as { code: string; orders: number; new_customers: number }[];
    // Lower and upper case of one code are one code; the cancelled order's code is absent.
    expect(codes.filter((c) => c.code.toUpperCase() === 'SUMMER20').map((c) => c.code)).toEqual(['SUMMER20']);
    expect(codes.find((c) => c.code === 'CANCELLED-ONLY')).toBeUndefined();
    expect(codes.find((c) => c.code === 'WELCOME10')!.new_customers).toBeGreaterThanOrEqual(1);
    const late = await get(`/api/v1/sites/${site.id}/reports/discounts?from=2026-12-01&to=2026-12-31`);
    const lateCodes = late.body.codes as { code: string; orders: number; refunds: number; net: number }[];
    expect(lateCodes.find((c) => c.code === 'FREESHIP')).toMatchObject({ orders: 0, refunds: expect.any(Number) });
    expect(lateCodes.find((c) => c.code === 'SUMMER20')!.net).toBeLessThanOrEqual(-700);
    const ny = await get(`/api/v1/sites/${site.id}/reports/discounts?tz=America/New_York&from=2026-11-01&to=2026-11-01`);
    expect((ny.body.codes as { code: string; orders: number }[]).find((c) => c.code === 'NYDST')).toMatchObject({ orders: 2, customers: 2 });
  });

  it('moves a code’s numbers when an order is re-sent with other codes or cancelled (incremental run)', async () => {
    const paid = orders.filter((o) => o.status === 'paid' && o.discount_codes?.length);
    const changed: WithCodes[] = [
      { ...paid[0]!, discount_codes: ['RESENT'] }, // codes replaced
      { ...paid[1]!, discount_codes: [] }, // codes removed
      { ...paid[2]!, status: 'cancelled' }, // cancelled
      { ...orders.find((o) => o.id === 'first-1')!, status: 'cancelled' }, // first-2 becomes c-first's first order
      { ...paid[3]!, created_at: '2026-11-28T12:00:00Z', discount_codes: ['moved'] }, // moved and recoded
      { ...orders.find((o) => !o.discount_codes?.length && isPaid(o))!, discount_codes: ['ADDED', 'added'] }, // codes added
    ];
    await upsert(db.pool, site.id, 'orders', changed);
    // A new earlier first order for a customer whose first order had a code.
    await upsert(db.pool, site.id, 'orders', [{ ...orders.find((o) => o.id === 'first-2')!, id: 'first-0', created_at: '2026-10-21T08:00:00Z', discount_codes: undefined }]);
    await upsert(db.pool, site.id, 'orders', makeOrders(rand, 'n', 30).map((o, i) => ({ ...o, discount_codes: codesFor(i) })));
    await sleep(1100);
    await runCommerceRollups({ pool: db.pool, signal });
    await checkAll('incremental run');
    const { body } = await get(`/api/v1/sites/${site.id}/reports/discounts?from=2026-10-01&to=2026-12-31&tz=UTC`);
    const codes = (body.codes as { code: string }[]).map((c) => c.code);
    expect(codes).toEqual(expect.arrayContaining(['RESENT', 'MOVED', 'ADDED']));
    await rebuildCommerceRollups({ pool: db.pool, signal });
    await checkAll('rebuild');
  });

  it('sorts codes by gross descending, then by code', async () => {
    const { body } = await get(`/api/v1/sites/${site.id}/reports/discounts?from=2026-10-01&to=2026-12-31`);
    const codes = body.codes as { code: string; gross: number }[];
    for (let i = 1; i < codes.length; i++) {
      const [a, b] = [codes[i - 1]!, codes[i]!];
      expect(a.gross > b.gross || (a.gross === b.gross && a.code < b.code), `${a.code} before ${b.code}`).toBe(true);
    }
  });
});

describe('discounts endpoint', () => {
  it('names bad parameters in a 400', async () => {
    for (const [query, name] of [['currency=eur', 'currency'], ['tz=Mars/Base', 'tz'], ['from=2026-13-01', 'from'], ['to=yesterday', 'to'], ['from=2026-02-02&to=2026-02-01', 'from']] as const) {
      const { status, body } = await get(`/api/v1/sites/${site.id}/reports/discounts?${query}`);
      expect(status, query).toBe(400);
      expect(String(body.error), query).toContain(name);
    }
  });

  it('is described in /openapi.json, and orders take discount_codes there', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/sites/{siteId}/reports/discounts');
    expect(JSON.stringify(doc.paths['/api/v1/sites/{siteId}/orders'])).toContain('discount_codes');
  });

  it('needs a read token of this site (another site’s token → 404)', async () => {
    const other = await createSite(db.pool, { name: 'Other', domain: 'other.test' });
    expect((await get(`/api/v1/sites/${site.id}/reports/discounts`, other.token)).status).toBe(404);
    expect((await get(`/api/v1/sites/${site.id}/reports/discounts`, 'tly_1_nope')).status).toBe(401);
    const empty = await get(`/api/v1/sites/${other.id}/reports/discounts`, other.token);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ currency: 'USD', codes: [], without_code: { orders: 0, gross: 0, aov: 0 } });
  });
});
