import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { DEMO_DISCOUNT_CODES } from '../../demo/discounts.ts';
import { runDemo, type DemoResult } from '../../demo/run.ts';
import { addDays, resolveRange, todayIn } from '../common/params.ts';
import { runCommerceRollups } from '../revenue/commerce-rollups.ts';
import { bruteDiscounts, discountSnapshot } from './brute.test-helper.ts';
import { discountsReport } from './report.ts';

/**
 * `tally demo` (issue #19 "done when"): after the commerce rollup job, the discounts report
 * shows each demo code with net revenue, equal to the brute force over the demo's orders.
 */
let db: TestDatabase;
let demo: DemoResult;
beforeAll(async () => {
  db = await createTestDatabase();
  demo = await runDemo(db.pool, { days: 45, visitors: 2500, seed: 19 });
  await runCommerceRollups({ pool: db.pool, signal: new AbortController().signal });
}, 180_000);
afterAll(async () => db?.drop());

describe('demo store discount codes', () => {
  it('every demo code is in the report with net revenue, as the brute force counts it', async () => {
    const tz = 'America/New_York';
    const to = todayIn(tz);
    const q = { currency: 'USD', tz, from: addDays(to, -50), to };
    const report = await discountsReport(db.pool, demo.site.id, 'USD', resolveRange({ ...q, limit: 10 }, tz));
    expect(report.codes.map((c) => c.code).sort()).toEqual([...DEMO_DISCOUNT_CODES].sort());
    for (const c of report.codes) expect(c.net, c.code).toBeGreaterThan(0);
    expect(report.codes.find((c) => c.code === 'WELCOME10')!.new_customers).toBe(report.codes.find((c) => c.code === 'WELCOME10')!.orders);
    expect(report.without_code.orders).toBeGreaterThan(0);
    const brute = bruteDiscounts(await discountSnapshot(db.pool, demo.site.id), q);
    expect({ codes: report.codes, without_code: report.without_code }).toEqual({ codes: brute.codes, without_code: brute.without_code });
  });
});
