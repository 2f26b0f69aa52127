import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommerce, type Rejection } from '../src/commerce/import/loader.ts';
import { readRecords } from '../src/commerce/import/records.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const run = promisify(execFile);
let db: TestDatabase;
let siteId: string;
const dir = mkdtempSync(join(tmpdir(), 'tally-import-'));

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'Shop', domain: 'shop.test' })).id;
});
afterAll(async () => {
  await db.drop();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', ['bin/tally.mjs', 'import', ...args, '--site', siteId], {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const order = (id: string, total = 1000, extra: Record<string, unknown> = {}) => ({
  id, status: 'paid', currency: 'EUR', subtotal: total, total, created_at: '2024-03-01T10:00:00Z',
  items: [{ product_id: 'p1', name: 'Mug', quantity: 1, unit_price: total }], ...extra,
});

describe('tally import (CLI, NDJSON)', () => {
  it('loads the good rows, reports bad lines by number, exits non-zero', async () => {
    const lines = [
      JSON.stringify(order('n1')),
      '{not json',
      JSON.stringify(order('n2', 500, { currency: 'XYZ' })),
      '',
      JSON.stringify(order('n3', 700)),
    ];
    const file = join(dir, 'orders.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await cli('orders', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: bad JSON/);
    expect(r.stderr).toMatch(/line 3: currency: must be an ISO 4217/);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ kind: 'orders', rows: 4, loaded: 2, rejected: 2 });
    const { rows } = await db.pool.query(`SELECT id FROM orders WHERE site_id = $1 ORDER BY id`, [siteId]);
    expect(rows.map((x) => x.id)).toEqual(['n1', 'n3']);
  });

  it('exits 0 when every row loads; refunds over the total are rejected per row', async () => {
    const file = join(dir, 'refunds.ndjson');
    const refund = (id: string, amount: number) => JSON.stringify({ id, order_id: 'n1', amount, currency: 'EUR', created_at: '2024-03-02T00:00:00Z' });
    writeFileSync(file, [refund('r1', 600), refund('r2', 300)].join('\n'));
    expect((await cli('refunds', file)).code).toBe(0);
    writeFileSync(file, [refund('r3', 50), refund('r4', 200), refund('r5', 50), JSON.stringify({ id: 'r6', order_id: 'zzz', amount: 1, currency: 'EUR', created_at: '2024-03-02T00:00:00Z' })].join('\n'));
    const r = await cli('refunds', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: amount: 200 exceeds the order's unrefunded total 50/);
    expect(r.stderr).toMatch(/line 4: order_id: no order "zzz"/);
    const { rows } = await db.pool.query(`SELECT refunded FROM orders WHERE site_id = $1 AND id = 'n1'`, [siteId]);
    expect(rows[0].refunded).toBe(1000);
  });
});

describe('CSV import', () => {
  it('groups one-row-per-item orders and reports bad lines', async () => {
    const file = join(dir, 'orders.csv');
    writeFileSync(file, [
      'id,status,currency,subtotal,total,created_at,customer_id,item_product_id,item_name,item_quantity,item_unit_price',
      'c1,paid,USD,1500,1500,2024-03-01T10:00:00Z,cu1,p1,"Mug, large",1,1000',
      'c1,paid,USD,1500,1500,2024-03-01T10:00:00Z,cu1,p2,"Plate ""deluxe""",1,500',
      'c2,paid,USD,100,101,2024-03-01T10:00:00Z,cu2,p1,Mug,1,100',
      'c3,paid,USD,200,200,2024-03-01T10:00:00Z,,p1,Mug,0,200',
      'c4,paid,USD,200,200,2024-03-01T10:00:00Z,cu3,p1,"Multi',
      'line",1,200',
      'c5,paid,USD,200',
    ].join('\r\n'));
    const rejected: Rejection[] = [];
    const stats = await loadCommerce(db.pool, siteId, 'orders', readRecords(file, 'csv', 'orders'), { chunkSize: 2, onRejected: (r) => rejected.push(r) });
    expect(stats).toEqual({ rows: 5, loaded: 2, rejected: 3 });
    expect(rejected.map((r) => r.line)).toEqual([4, 5, 8]);
    expect(rejected[0]!.error).toMatch(/total: must equal/);
    expect(rejected[1]!.error).toMatch(/items\.0\.quantity/);
    expect(rejected[2]!.error).toMatch(/expected 11 fields/);
    const { rows } = await db.pool.query(`SELECT order_id, name FROM order_items WHERE site_id = $1 AND order_id IN ('c1', 'c4') ORDER BY order_id, line`, [siteId]);
    expect(rows).toEqual([
      { order_id: 'c1', name: 'Mug, large' },
      { order_id: 'c1', name: 'Plate "deluxe"' },
      { order_id: 'c4', name: 'Multi\nline' },
    ]);
  });

  it('isolates a row the database refuses without naming it (chunk split in halves)', async () => {
    // A constraint validation knows nothing about stands for "the database refused the chunk".
    await db.pool.query(`ALTER TABLE customers ADD CONSTRAINT test_no_bad_email CHECK (email IS DISTINCT FROM 'bad@x.test')`);
    try {
      const file = join(dir, 'bisect.ndjson');
      const rows = Array.from({ length: 7 }, (_, i) => JSON.stringify({ id: `b${i}`, email: i === 5 ? 'bad@x.test' : `ok${i}@x.test`, created_at: '2024-01-01T00:00:00Z' }));
      writeFileSync(file, [...rows, JSON.stringify({ id: 'nul', email: 'a\u0000b', created_at: '2024-01-01T00:00:00Z' }), JSON.stringify({ id: 'old', created_at: '0000-01-01T00:00:00Z' })].join('\n'));
      const rejected: Rejection[] = [];
      const stats = await loadCommerce(db.pool, siteId, 'customers', readRecords(file, 'ndjson', 'customers'), { chunkSize: 4, onRejected: (r) => rejected.push(r) });
      expect(stats).toEqual({ rows: 9, loaded: 6, rejected: 3 });
      expect(rejected.map((r) => r.line).sort()).toEqual([6, 8, 9]);
      expect(rejected.find((r) => r.line === 6)!.error).toMatch(/rejected by the database/);
      expect(rejected.find((r) => r.line === 8)!.error).toMatch(/NUL/);
      expect(rejected.find((r) => r.line === 9)!.error).toMatch(/between the years 1900 and 9999/);
      const { rows: stored } = await db.pool.query(`SELECT count(*)::int AS n FROM customers WHERE site_id = $1 AND id LIKE 'b%'`, [siteId]);
      expect(stored[0].n).toBe(6);
    } finally {
      await db.pool.query(`ALTER TABLE customers DROP CONSTRAINT test_no_bad_email`);
    }
  });

  it('CLI: customers CSV, exit 0', async () => {
    const file = join(dir, 'customers.csv');
    writeFileSync(file, 'id,email,created_at\nk1,a@x.test,2024-01-01T00:00:00Z\nk2,,2024-01-02T00:00:00+01:00\n');
    const r = await cli('customers', file);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ loaded: 2, rejected: 0 });
  });

  it('CLI: historical events through the /collect enrichment', async () => {
    const file = join(dir, 'events.ndjson');
    const ts = Date.parse('2023-06-01T12:00:00Z');
    writeFileSync(file, [
      JSON.stringify({ type: 'pageview', url: 'https://shop.test/p?utm_source=news', ts, vid: 'v1', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', ip: '81.2.69.142' }),
      JSON.stringify({ type: 'pageview', ts }),
    ].join('\n'));
    const r = await cli('events', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: url/);
    const { rows } = await db.pool.query(`SELECT browser, device, path FROM pageviews WHERE site_id = $1`, [siteId]);
    expect(rows).toEqual([{ browser: 'Chrome', device: 'desktop', path: '/p' }]);
  });
});
