import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsert } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { runRetentionRollup } from './rollup.ts';

/** GET …/reports/retention over HTTP: parameters, bad input (400 naming it), another site (404), a small exact case. */

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let siteId: string;
let readToken: string;
let otherToken: string;

const order = (id: string, customer: string, at: string, total: number, status = 'paid', currency = 'EUR') => ({
  id, customer_id: customer, status, currency, subtotal: total, discount: 0, tax: 0, shipping: 0, total, created_at: at,
  items: [{ product_id: 'p1', name: 'P1', quantity: 1, unit_price: total }],
});

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const site = await createSite(db.pool, { name: 'r', domain: 'shop.test', timezone: 'Asia/Kolkata', currency: 'EUR' });
  siteId = site.id;
  readToken = await createToken(db.pool, site.id, 'read', 'test');
  const other = await createSite(db.pool, { name: 'other', domain: 'other.test' });
  otherToken = await createToken(db.pool, other.id, 'read', 'test');
  // Kolkata (+05:30): 2026-10-31T18:30Z is local Nov 1 00:00, so a's first order is in October.
  await upsert(db.pool, siteId, 'orders', [
    order('a1', 'a', '2026-10-31T18:29:59Z', 1000), order('a2', 'a', '2026-11-10T10:00:00Z', 500),
    order('b0', 'b', '2026-10-05T10:00:00Z', 700, 'cancelled'), order('b1', 'b', '2026-10-31T18:30:00Z', 2000),
    order('b2', 'b', '2026-12-02T10:00:00Z', 300, 'paid', 'USD'),
  ]);
  await upsert(db.pool, siteId, 'refunds', [{ id: 'r1', order_id: 'a1', amount: 400, currency: 'EUR', created_at: '2026-12-01T10:00:00Z' }]);
  await runRetentionRollup(db.pool);
});
afterAll(async () => db?.drop());

const get = async (query: string, token = readToken) => {
  const res = await app.request(`/api/v1/sites/${siteId}/reports/retention?${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /reports/retention', () => {
  it('monthly customer cohorts in the site zone, a cancelled first order moved, refunds and another currency', async () => {
    const { status, body } = await get('cohort=customer&period=month&from=2026-10-01&to=2026-12-15');
    expect(status).toBe(200);
    expect(body.cohorts).toEqual([
      { cohort: '2026-10-01', size: 1, values: [{ period: 0, count: 1, rate: 1 }, { period: 1, count: 1, rate: 1 }, { period: 2, count: 0, rate: 0 }],
        revenue: [{ period: 0, cumulative_per_member: 1000 }, { period: 1, cumulative_per_member: 1500 }, { period: 2, cumulative_per_member: 1100 }] },
      // b's cancelled October order does not count; the USD order retains but brings no EUR.
      { cohort: '2026-11-01', size: 1, values: [{ period: 0, count: 1, rate: 1 }, { period: 1, count: 1, rate: 1 }],
        revenue: [{ period: 0, cumulative_per_member: 2000 }, { period: 1, cumulative_per_member: 2000 }] },
    ]);
    expect(body.summary).toEqual({
      retention: [{ period: 0, cohorts: 2, members: 2, rate: 1 }, { period: 1, cohorts: 2, members: 2, rate: 1 }, { period: 2, cohorts: 1, members: 1, rate: 0 }],
      repeat_purchase_rate: 1,
      median_days_to_second_order: expect.any(Number) as number,
    });
  });

  it('activity after `to` is ignored, in another zone', async () => {
    const { body } = await get('cohort=customer&period=month&from=2026-10-01&to=2026-11-05&tz=UTC');
    const cohorts = body.cohorts as { cohort: string; size: number }[];
    expect(cohorts.map((c) => [c.cohort, c.size])).toEqual([['2026-10-01', 2]]);
    expect(body.summary).toMatchObject({ repeat_purchase_rate: 0, median_days_to_second_order: null });
  });

  it.each([
    ['cohort=person&period=week&from=2026-10-01&to=2026-11-01', 'cohort'],
    ['period=week&from=2026-10-01&to=2026-11-01', 'cohort'],
    ['cohort=visitor&period=year&from=2026-10-01&to=2026-11-01', 'period'],
    ['cohort=visitor&period=week&to=2026-11-01', 'from'],
    ['cohort=visitor&period=week&from=2026-10-01', 'to'],
    ['cohort=visitor&period=week&from=2026-10-01&to=2026-11-01&segment=browser', 'segment'],
    ['cohort=visitor&period=week&from=2025-01-01&to=2026-11-01', 'to'],
    ['cohort=customer&period=week&from=2026-10-01&to=2026-11-01&currency=XYZ', 'currency'],
    ['cohort=customer&period=week&from=2026-10-01&to=2026-11-01&currency=eur', 'currency'],
    ['cohort=customer&period=week&from=2026-10-01&to=2026-11-01&tz=Mars/Olympus', 'tz'],
    ['cohort=customer&period=week&from=2026-11-01&to=2026-10-01', 'from'],
  ])('400 for %s naming %s', async (query, name) => {
    const { status, body } = await get(query);
    expect(status).toBe(400);
    expect(String(body.error)).toMatch(new RegExp(`^${name}\\b`));
  });

  it('accepts exactly 400 days; 404 for another site; 401 without a token', async () => {
    expect((await get('cohort=visitor&period=month&from=2025-09-27&to=2026-10-31')).status).toBe(200);
    expect((await get('cohort=visitor&period=week&from=2026-10-01&to=2026-11-01', otherToken)).status).toBe(404);
    expect((await get('cohort=visitor&period=week&from=2026-10-01&to=2026-11-01', 'nope')).status).toBe(401);
  });

  it('no period starting in the range → no cohorts', async () => {
    const { status, body } = await get('cohort=visitor&period=month&from=2026-10-02&to=2026-10-30');
    expect(status).toBe(200);
    expect(body.cohorts).toEqual([]);
  });
});
