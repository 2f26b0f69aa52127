import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.ts';
import { makeOrders, rng, upsert } from '../test/helpers/commerce-data.ts';
import { resolveRange } from '../src/reports/common/params.ts';
import { discountsReport } from '../src/reports/discounts/report.ts';
import { aov } from '../src/reports/revenue/report.ts';
import { runCommerceRollups } from '../src/reports/revenue/commerce-rollups.ts';
import { createSite } from '../src/sites/sites.ts';
import { discountsRawQueries } from './bench-discounts-raw.ts';

/** The benchmark's raw-rows baseline computes the discounts report's numbers (a fair comparison). */
let db: TestDatabase;
let siteId: string;
const CODES = ['WELCOME10', 'summer20', 'SUMMER20', 'FREESHIP'];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`SELECT tally_ensure_partitions('2026-09-01', '2027-01-01')`);
  siteId = (await createSite(db.pool, { name: 'raw', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' })).id;
  const rand = rng(7);
  const orders = makeOrders(rand, 'o', 200).map((o, i) => ({ ...o, discount_codes: i % 3 ? [CODES[i % 4]!, ...(i % 7 ? [] : ['FREESHIP'])] : undefined }));
  await upsert(db.pool, siteId, 'orders', orders);
  const paid = orders.filter((o) => ['paid', 'fulfilled', 'refunded'].includes(o.status)).slice(0, 30);
  await upsert(db.pool, siteId, 'refunds', paid.map((o, i) => ({ id: `r${i}`, order_id: o.id, amount: Math.max(1, Math.floor(o.total / 2)), currency: o.currency, created_at: new Date(Date.parse(o.created_at) + (i % 9) * 86_400_000).toISOString() })));
  await new Promise((r) => setTimeout(r, 1100));
  await runCommerceRollups({ pool: db.pool, signal: new AbortController().signal });
});
afterAll(async () => db?.drop());

describe('bench-discounts-raw', () => {
  it('equals the report on generated data', async () => {
    const range = resolveRange({ from: '2026-10-20', to: '2026-11-10', tz: 'Europe/Paris', limit: 10 }, 'Europe/Paris');
    const report = await discountsReport(db.pool, siteId, 'EUR', range);
    const [perCode, refunds, without] = await Promise.all(
      discountsRawQueries(siteId, range.start, range.end, range.tz, 'EUR').map((q) => db.pool.query({ ...q, rowMode: 'array' }).then((r) => r.rows as unknown[][])),
    );
    const refunded = new Map(refunds!.map((r) => [r[0] as string, Number(r[1])]));
    const codes = new Set([...perCode!.map((r) => r[0] as string), ...refunded.keys()]);
    const raw = [...codes].map((code) => {
      const r = perCode!.find((x) => x[0] === code) ?? [code, 0, 0, 0, 0, 0];
      const gross = Number(r[2] ?? 0);
      const orders = Number(r[1]);
      return { code, orders, gross, discount: Number(r[3] ?? 0), refunds: refunded.get(code) ?? 0, net: gross - (refunded.get(code) ?? 0), aov: aov(gross, orders), customers: Number(r[4]), new_customers: Number(r[5]) };
    }).sort((a, b) => b.gross - a.gross || (a.code < b.code ? -1 : 1));
    expect(report.codes.length).toBeGreaterThan(2);
    expect(raw).toEqual(report.codes);
    const [n, gross] = without![0]!.map(Number) as [number, number];
    expect({ orders: n, gross, aov: aov(gross, n) }).toEqual(report.without_code);
  });
});
