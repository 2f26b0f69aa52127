import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { runDemo, type DemoResult } from '../../demo/run.ts';
import { addDays, todayIn } from '../common/params.ts';
import { bruteRetention, type BruteData, type BruteQuery } from './brute.test-helper.ts';
import { retentionReport } from './report.ts';
import { runRetentionRollup } from './rollup.ts';

/**
 * `tally demo` (issue #16 "done when"): weekly visitor and monthly customer cohorts whose sizes
 * are the simulation's visitors and buyers, equal to the brute force over the demo's raw rows,
 * and a cumulative LTV that only falls where refunds outweigh the period's orders.
 */
let db: TestDatabase;
let demo: DemoResult;
let data: BruteData;
let tz: string;
beforeAll(async () => {
  db = await createTestDatabase();
  demo = await runDemo(db.pool, { days: 60, visitors: 1500, seed: 16 });
  await runRetentionRollup(db.pool);
  tz = (await db.pool.query<{ tz: string }>('SELECT timezone AS tz FROM sites WHERE id = $1', [demo.site.id])).rows[0]!.tz;
  const iso = (d: Date) => d.toISOString();
  const pv = await db.pool.query<{ visitor_id: string; occurred_at: Date; event_id: string; channel: string; country: string | null; device: string }>(
    `SELECT visitor_id, occurred_at, event_id::text AS event_id, channel, country, device FROM pageviews WHERE site_id = $1`, [demo.site.id]);
  const orders = await db.pool.query<{ id: string; customer_id: string | null; visitor_id: string | null; status: string; currency: string; total: string; created_at: Date }>(
    `SELECT id, customer_id, visitor_id, status, currency, total::text AS total, created_at FROM orders WHERE site_id = $1`, [demo.site.id]);
  const refunds = await db.pool.query<{ order_id: string; amount: string; currency: string; created_at: Date }>(
    `SELECT order_id, amount::text AS amount, currency, created_at FROM refunds WHERE site_id = $1`, [demo.site.id]);
  data = {
    pageviews: pv.rows.map((r) => ({ ...r, occurred_at: iso(r.occurred_at) })),
    orders: orders.rows.map((r) => ({ ...r, total: Number(r.total), created_at: iso(r.created_at) })),
    refunds: refunds.rows.map((r) => ({ ...r, amount: Number(r.amount), created_at: iso(r.created_at) })),
  };
}, 180_000);
afterAll(async () => db?.drop());

describe('demo store retention', () => {
  it('weekly visitor and monthly customer cohorts match the simulation and the brute force', async () => {
    const to = todayIn(tz);
    const week: BruteQuery = { cohort: 'visitor', period: 'week', from: addDays(to, -70), to, tz, currency: 'USD' };
    const month: BruteQuery = { cohort: 'customer', period: 'month', from: addDays(to, -95), to, tz, currency: 'USD' };
    const visitors = await retentionReport(db.pool, demo.site.id, week);
    expect(visitors.cohorts.reduce((n, c) => n + c.size, 0)).toBe(new Set(data.pageviews.map((p) => p.visitor_id)).size);
    expect(visitors.cohorts.reduce((n, c) => n + c.size, 0)).toBe(demo.stats.visitors);
    expect(visitors.cohorts.some((c) => (c.values[1]?.count ?? 0) > 0)).toBe(true);
    const customers = await retentionReport(db.pool, demo.site.id, month);
    const buyers = new Set(data.orders.filter((o) => o.customer_id && ['paid', 'fulfilled', 'refunded'].includes(o.status)).map((o) => o.customer_id));
    expect(customers.cohorts.reduce((n, c) => n + c.size, 0)).toBe(buyers.size);
    for (const [q, got] of [[week, visitors], [month, customers]] as const) {
      const want = bruteRetention(data, q);
      expect(got.cohorts.map((c) => [c.cohort, c.size, c.values.map((v) => v.count)])).toEqual(want.cohorts.map((c) => [c.cohort, c.size, c.values.map((v) => v.count)]));
    }
    const want = bruteRetention(data, month);
    for (const [i, c] of customers.cohorts.entries()) {
      expect(c.revenue!.map((r) => Math.round(r.cumulative_per_member * 1e6))).toEqual(want.cohorts[i]!.revenue!.map((r) => Math.round(r.cumulative_per_member * 1e6)));
    }
    // Without refunds the LTV curve never decreases: every fall of the real curve is refunds.
    for (const c of bruteRetention({ ...data, refunds: [] }, month).cohorts) {
      for (let k = 1; k < c.revenue!.length; k++) expect(c.revenue![k]!.cumulative_per_member).toBeGreaterThanOrEqual(c.revenue![k - 1]!.cumulative_per_member);
    }
    expect(customers.cohorts.some((c) => c.revenue!.at(-1)!.cumulative_per_member > c.revenue![0]!.cumulative_per_member)).toBe(true);
    expect((customers.summary as { repeat_purchase_rate: number }).repeat_purchase_rate).toBeGreaterThan(0);
  }, 60_000);
});
