import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createApp } from '../src/http/app.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';
import { createToken } from '../src/sites/tokens.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };
let readToken: string;
let writeToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  site = await createSite(db.pool, { name: 'Shop', domain: 'shop.test' });
  other = await createSite(db.pool, { name: 'Other', domain: 'other.test' });
  readToken = await createToken(db.pool, site.id, 'read', 'r');
  writeToken = await createToken(db.pool, site.id, 'write', 'w');
});
afterAll(async () => {
  await db.drop();
});

function post(kind: string, body: unknown, token: string | null = writeToken, siteId = site.id) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return app.request(`/api/v1/sites/${siteId}/${kind}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function order(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    customer_id: 'c1',
    visitor_id: 'v1',
    status: 'paid',
    currency: 'USD',
    subtotal: 2000,
    discount: 200,
    tax: 100,
    shipping: 500,
    total: 2400,
    created_at: '2024-05-01T10:00:00Z',
    items: [
      { product_id: 'p1', sku: 'SKU1', name: 'Mug', category: 'Kitchen', quantity: 2, unit_price: 500 },
      { product_id: 'p2', name: 'Plate', quantity: 1, unit_price: 1000 },
    ],
    ...overrides,
  };
}

async function count(table: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE site_id = $1`, [site.id]);
  return rows[0]!.n;
}

async function expectRejected(kind: string, body: unknown, pattern: RegExp, index = 0) {
  const before = { orders: await count('orders'), items: await count('order_items'), refunds: await count('refunds') };
  const res = await post(kind, body);
  expect(res.status).toBe(400);
  const json = (await res.json()) as { errors: { index: number; error: string }[] };
  expect(json.errors.find((e) => e.index === index)?.error).toMatch(pattern);
  expect({ orders: await count('orders'), items: await count('order_items'), refunds: await count('refunds') }).toEqual(before);
}

describe('commerce API auth', () => {
  it('401 without a token, 403 with read scope, 404 for another site', async () => {
    expect((await post('orders', order('a1'), null)).status).toBe(401);
    expect((await post('orders', order('a1'), readToken)).status).toBe(403);
    expect((await post('orders', order('a1'), other.token)).status).toBe(404);
    expect((await post('orders', order('a1'), writeToken, other.id)).status).toBe(404);
    expect(await count('orders')).toBe(0);
  });
});

describe('orders', () => {
  it('stores one order and its items; an admin token also writes', async () => {
    const res = await post('orders', order('o1'), site.token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upserted: 1 });
    const { rows } = await db.pool.query(`SELECT status, currency, total, visitor_id, customer_id FROM orders WHERE site_id = $1 AND id = 'o1'`, [site.id]);
    expect(rows[0]).toEqual({ status: 'paid', currency: 'USD', total: 2400, visitor_id: 'v1', customer_id: 'c1' });
    expect(await count('order_items')).toBe(2);
  });

  it('re-sending replaces the order and its items (fewer items → old ones gone)', async () => {
    const again = order('o1', { status: 'fulfilled', subtotal: 700, discount: 0, tax: 0, shipping: 0, total: 700,
      items: [{ product_id: 'p9', name: 'Spoon', quantity: 1, unit_price: 700 }] });
    expect((await post('orders', [again, again])).status).toBe(200);
    const { rows } = await db.pool.query(`SELECT product_id, line FROM order_items WHERE site_id = $1 AND order_id = 'o1'`, [site.id]);
    expect(rows).toEqual([{ product_id: 'p9', line: 1 }]);
    expect(await count('orders')).toBe(1);
  });

  it.each([
    ['bad currency', { currency: 'XYZ' }, /currency: must be an ISO 4217/],
    ['lowercase currency', { currency: 'usd' }, /currency/],
    ['total mismatch', { total: 2401 }, /total: must equal subtotal − discount \+ tax \+ shipping = 2400/],
    ['negative amount', { discount: -1, total: 2601 }, /discount: must be ≥ 0/],
    ['fractional amount', { tax: 1.5, total: 2401.5 }, /tax: must be an integer/],
    ['unknown status', { status: 'shipped' }, /status/],
    ['date without offset', { created_at: '2024-05-01T10:00:00' }, /created_at: must be an ISO 8601 timestamp/],
    ['no items', { items: [] }, /items: an order needs at least one item/],
    ['quantity 0', { items: [{ product_id: 'p', name: 'x', quantity: 0, unit_price: 1 }] }, /items\.0\.quantity: must be ≥ 1/],
  ])('rejects %s and stores nothing of the request', async (_name, overrides, pattern) => {
    await expectRejected('orders', [order('ok-1'), order('bad', overrides)], pattern, 1);
  });

  it('rejects more than 1000 items with 413 and malformed JSON with 400', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ id: `c${i}`, created_at: '2024-01-01T00:00:00Z' }));
    const res = await post('customers', many);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/at most 1000/);
    expect(await count('customers')).toBe(0);
    expect((await post('orders', '{nope')).status).toBe(400);
    const huge = await post('customers', JSON.stringify([{ id: 'big', email: 'x'.repeat(6 * 1024 * 1024), created_at: '2024-01-01T00:00:00Z' }]));
    expect(huge.status).toBe(413);
    expect(await count('customers')).toBe(0);
  });
});

describe('refunds', () => {
  it('stores a refund and keeps orders.refunded', async () => {
    expect((await post('orders', order('r1'))).status).toBe(200);
    const res = await post('refunds', { id: 'rf1', order_id: 'r1', amount: 1000, currency: 'USD', created_at: '2024-05-03T10:00:00+02:00', reason: 'damaged' });
    expect(res.status).toBe(200);
    const { rows } = await db.pool.query(`SELECT refunded FROM orders WHERE site_id = $1 AND id = 'r1'`, [site.id]);
    expect(rows[0].refunded).toBe(1000);
  });

  it('rejects an over-refund across two requests', async () => {
    await expectRejected('refunds', { id: 'rf2', order_id: 'r1', amount: 1401, currency: 'USD', created_at: '2024-05-04T00:00:00Z' }, /amount: 1401 exceeds the order's unrefunded total 1400/);
  });

  it('rejects an over-refund within one request (the second refund is named)', async () => {
    await expectRejected('refunds', [
      { id: 'rf3', order_id: 'r1', amount: 1000, currency: 'USD', created_at: '2024-05-04T00:00:00Z' },
      { id: 'rf4', order_id: 'r1', amount: 401, currency: 'USD', created_at: '2024-05-04T00:00:00Z' },
    ], /exceeds the order's unrefunded total 400/, 1);
  });

  it('re-sending a refund replaces its old amount', async () => {
    expect((await post('refunds', { id: 'rf1', order_id: 'r1', amount: 2400, currency: 'USD', created_at: '2024-05-03T10:00:00Z' })).status).toBe(200);
    const { rows } = await db.pool.query(`SELECT refunded FROM orders WHERE site_id = $1 AND id = 'r1'`, [site.id]);
    expect(rows[0].refunded).toBe(2400);
    expect(await count('refunds')).toBe(1);
    // Lowering the order total below what was refunded is refused.
    await expectRejected('orders', order('r1', { subtotal: 100, discount: 0, tax: 0, shipping: 0, total: 100 }), /below the 2400 already refunded/);
  });

  it('rejects an unknown order, another currency, amount 0', async () => {
    await expectRejected('refunds', { id: 'x1', order_id: 'nope', amount: 1, currency: 'USD', created_at: '2024-05-04T00:00:00Z' }, /no order "nope"/);
    await expectRejected('refunds', { id: 'x2', order_id: 'o1', amount: 1, currency: 'EUR', created_at: '2024-05-04T00:00:00Z' }, /differs from the order's USD/);
    await expectRejected('refunds', { id: 'x3', order_id: 'o1', amount: 0, currency: 'USD', created_at: '2024-05-04T00:00:00Z' }, /amount: must be > 0/);
    await expectRejected('refunds', { id: 'x4', order_id: 'o1', amount: 1, currency: 'USD', created_at: '2024-04-30T23:59:59Z' }, /created_at: .* is before the order was created/);
  });

  it('two concurrent requests cannot over-refund one order', async () => {
    expect((await post('orders', order('cc', { subtotal: 1000, discount: 0, tax: 0, shipping: 0, total: 1000, items: [{ product_id: 'p', name: 'x', quantity: 1, unit_price: 1000 }] }))).status).toBe(200);
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post('refunds', { id: `cc-${i}`, order_id: 'cc', amount: 300, currency: 'USD', created_at: '2024-05-04T00:00:00Z' })),
    );
    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 400, 400, 400]);
    const { rows } = await db.pool.query(`SELECT refunded, (SELECT sum(amount) FROM refunds WHERE site_id = $1 AND order_id = 'cc')::int AS s FROM orders WHERE site_id = $1 AND id = 'cc'`, [site.id]);
    expect(rows[0]).toEqual({ refunded: 900, s: 900 });
  });
});

describe('customers and products', () => {
  it('upserts idempotently', async () => {
    const c = { id: 'cu1', email: 'a@b.test', created_at: '2024-01-01T00:00:00Z', visitor_id: 'v1' };
    expect((await post('customers', [c, c])).status).toBe(200);
    expect((await post('customers', { ...c, email: 'new@b.test' })).status).toBe(200);
    const { rows } = await db.pool.query(`SELECT email FROM customers WHERE site_id = $1`, [site.id]);
    expect(rows).toEqual([{ email: 'new@b.test' }]);
    expect((await post('products', { id: 'p1', name: 'Mug', category: 'Kitchen', price: 500, currency: 'EUR' })).status).toBe(200);
    const bad = await post('products', [{ id: 'p2', name: 'Cup', price: -5, currency: 'EUR' }]);
    expect(bad.status).toBe(400);
    expect(await count('products')).toBe(1);
  });
});

describe('concurrent re-sends', () => {
  it('two requests creating the same new order at once leave one copy of its items', async () => {
    const o = order('race-1');
    const results = await Promise.all([post('orders', o), post('orders', o), post('orders', o)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM order_items WHERE site_id = $1 AND order_id = 'race-1'`, [site.id]);
    expect(rows[0].n).toBe(2);
  });
});
