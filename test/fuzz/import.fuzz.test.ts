import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvents } from '../../src/commerce/import/events.ts';
import { loadCommerce } from '../../src/commerce/import/loader.ts';
import { readRecords, type ImportFormat } from '../../src/commerce/import/records.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { hostileString, hostileValue, mutated, params, RUNS, timeoutFor } from './arbitraries.ts';

/**
 * `tally import` under hostile files (NDJSON and CSV: broken lines, wrong types, NUL bytes, lone
 * surrogates, quotes that never close): it never throws, and every line is either loaded or
 * listed as rejected with a reason.
 */
let db: TestDatabase;
let siteId: string;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'fuzz', domain: 'shop.example' })).id;
  dir = mkdtempSync(join(tmpdir(), 'tally-import-fuzz-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db?.drop();
});

const order = { id: 'o-1', status: 'paid', currency: 'EUR', subtotal: 1000, total: 1000, created_at: '2026-11-02T10:00:00Z', items: [{ product_id: 'p', name: 'n', quantity: 1, unit_price: 1000 }] };
const pageview = { type: 'pageview', url: 'https://shop.example/', ts: Date.parse('2026-11-02T10:00:00Z'), vid: 'v' };
const ndjsonLine = (valid: Record<string, unknown>) => fc.oneof(mutated(valid).map((v) => JSON.stringify(v)), hostileValue.map((v) => JSON.stringify(v) ?? ''), hostileString);
const csvField = fc.oneof(hostileString, fc.constantFrom('"', '""', '"a,b"', '"open', 'x\r', ','));
const csvFile = fc.tuple(fc.constantFrom('id,status,currency,subtotal,total,created_at,product_id,name,quantity,unit_price', 'id,oops', ''), fc.array(fc.array(csvField, { maxLength: 12 }).map((f) => f.join(',')), { maxLength: 8 }))
  .map(([head, rows]) => [head, ...rows].join('\n'));

let n = 0;
async function load(kind: 'orders' | 'events', format: ImportFormat, text: string) {
  const path = join(dir, `f${n++}.${format}`);
  writeFileSync(path, text);
  const rejections: { line: number; error: string }[] = [];
  const records = readRecords(path, format, kind);
  const options = { onRejected: (r: { line: number; error: string }) => rejections.push(r) };
  const stats = kind === 'events' ? await loadEvents(db.pool, siteId, records, options) : await loadCommerce(db.pool, siteId, kind, records, options);
  expect(stats.rejected).toBe(rejections.length);
  expect(rejections.every((r) => typeof r.error === 'string' && r.error.length > 0 && Number.isInteger(r.line))).toBe(true);
  // Every record read is accounted for: loaded, or rejected with its line and reason.
  expect(stats.loaded + stats.rejected).toBe(stats.rows);
}

describe('fuzz: tally import', () => {
  it(`NDJSON orders and events, CSV orders: ${RUNS} hostile files each → loaded or rejected with a reason, never a throw`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(ndjsonLine(order), { maxLength: 8 }), async (lines) => load('orders', 'ndjson', lines.join('\n'))), params());
    await fc.assert(fc.asyncProperty(fc.array(ndjsonLine(pageview), { maxLength: 8 }), async (lines) => load('events', 'ndjson', lines.join('\n'))), params());
    await fc.assert(fc.asyncProperty(csvFile, async (text) => load('orders', 'csv', text)), params());
  }, timeoutFor(3 * 20));
});
