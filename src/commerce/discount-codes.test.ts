import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { createSite } from '../sites/sites.ts';
import { loadCommerce, type Rejection } from './import/loader.ts';
import { readRecords } from './import/records.ts';

/** `discount_codes` on orders (contract §4.7) through the API and the importer. */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
const dir = mkdtempSync(join(tmpdir(), 'tally-codes-'));

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  site = await createSite(db.pool, { name: 'Shop', domain: 'shop.test' });
});
afterAll(async () => db?.drop());

const order = (id: string, discount_codes?: unknown) => ({
  id, customer_id: 'c1', status: 'paid', currency: 'USD', subtotal: 1000, discount: 100, tax: 0, shipping: 0, total: 900,
  created_at: '2026-05-01T10:00:00Z', items: [{ product_id: 'p1', name: 'Mug', quantity: 1, unit_price: 1000 }],
  ...(discount_codes === undefined ? {} : { discount_codes }),
});
const post = (body: unknown) =>
  app.request(`/api/v1/sites/${site.id}/orders`, { method: 'POST', headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const codes = async (orderId: string) =>
  (await db.pool.query(`SELECT code FROM order_discount_codes WHERE site_id = $1 AND order_id = $2 ORDER BY code`, [site.id, orderId])).rows.map((r) => r.code as string);

describe('discount_codes through the API', () => {
  it('are stored upper-case and trimmed, duplicates after upper-casing collapse; re-sending replaces them', async () => {
    expect((await post(order('o1', ['summer20', ' SUMMER20 ', 'FreeShip', 'ß-day']))).status).toBe(200);
    expect(await codes('o1')).toEqual(['FREESHIP', 'SS-DAY', 'SUMMER20']);
    expect((await post(order('o1', ['WELCOME10']))).status).toBe(200);
    expect(await codes('o1')).toEqual(['WELCOME10']);
    expect((await post(order('o1'))).status).toBe(200); // re-sent without codes: none left
    expect(await codes('o1')).toEqual([]);
  });

  it('bad codes → 400 naming the field, and nothing of the batch is stored', async () => {
    const cases: [unknown, RegExp][] = [
      [Array.from({ length: 11 }, (_, i) => `C${i}`), /discount_codes: at most 10/],
      [['x'.repeat(65)], /discount_codes\.0: must be 1–64/],
      [[''], /discount_codes\.0: must not be empty/],
      [['   '], /discount_codes\.0: must be 1–64/],
      [['a\u0000b'], /discount_codes\.0: must not contain NUL/],
      ['SUMMER20', /discount_codes:/],
      [[20], /discount_codes\.0:/],
    ];
    for (const [value, message] of cases) {
      const res = await post([order('ok-1', ['FINE']), order('bad-1', value)]);
      expect(res.status, JSON.stringify(value)).toBe(400);
      const body = (await res.json()) as { errors: { index: number; error: string }[] };
      expect(body.errors, JSON.stringify(value)).toEqual([{ index: 1, error: expect.stringMatching(message) }]);
    }
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM orders WHERE site_id = $1 AND id IN ('ok-1', 'bad-1')`, [site.id])).rows[0].n).toBe(0);
    // Ten codes is the limit, not an error; 64 characters too.
    expect((await post(order('o10', [...Array.from({ length: 9 }, (_, i) => `C${i}`), 'y'.repeat(64)]))).status).toBe(200);
    expect(await codes('o10')).toHaveLength(10);
  });
});

describe('discount_codes through tally import', () => {
  it('NDJSON: an array', async () => {
    const file = join(dir, 'orders.ndjson');
    writeFileSync(file, [JSON.stringify(order('n1', ['vip', 'VIP', 'summer20'])), JSON.stringify(order('n2', ['x'.repeat(70)]))].join('\n'));
    const rejected: Rejection[] = [];
    const stats = await loadCommerce(db.pool, site.id, 'orders', readRecords(file, 'ndjson', 'orders'), { onRejected: (r) => rejected.push(r) });
    expect(stats).toEqual({ rows: 2, loaded: 1, rejected: 1 });
    expect(rejected[0]).toMatchObject({ line: 2, error: expect.stringMatching(/discount_codes\.0/) });
    expect(await codes('n1')).toEqual(['SUMMER20', 'VIP']);
  });

  it('CSV: a discount_codes column, codes separated by |, repeated on each item row', async () => {
    const file = join(dir, 'orders.csv');
    writeFileSync(file, [
      'id,status,currency,subtotal,discount,total,created_at,customer_id,discount_codes,item_product_id,item_name,item_quantity,item_unit_price',
      'k1,paid,USD,1500,100,1400,2026-03-01T10:00:00Z,cu1,welcome10|FREESHIP,p1,Mug,1,1000',
      'k1,paid,USD,1500,100,1400,2026-03-01T10:00:00Z,cu1,welcome10|FREESHIP,p2,Plate,1,500',
      'k2,paid,USD,500,0,500,2026-03-01T10:00:00Z,cu2,,p1,Mug,1,500',
      'k3,paid,USD,500,0,500,2026-03-01T10:00:00Z,cu2,ok||,p1,Mug,1,500',
    ].join('\n'));
    const rejected: Rejection[] = [];
    const stats = await loadCommerce(db.pool, site.id, 'orders', readRecords(file, 'csv', 'orders'), { onRejected: (r) => rejected.push(r) });
    expect(stats).toEqual({ rows: 3, loaded: 2, rejected: 1 });
    expect(rejected[0]).toMatchObject({ line: 5, error: expect.stringMatching(/discount_codes\.1: must not be empty/) });
    expect(await codes('k1')).toEqual(['FREESHIP', 'WELCOME10']);
    expect(await codes('k2')).toEqual([]);
  });
});
