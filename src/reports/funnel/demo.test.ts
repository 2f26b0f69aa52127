import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { runDemo } from '../../demo/run.ts';
import { addDays, localDateToUtc } from '../common/params.ts';
import { funnelCte } from './query.ts';
import { funnelReport } from './report.ts';
import { listFunnels } from './saved.ts';

/** The demo store's two saved funnels: decreasing counts along the simulated drop-offs. */
let db: TestDatabase;
let siteId: string;
const endMs = Date.parse('2026-11-01T04:00:00Z');
const days = 14;

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await runDemo(db.pool, { days, visitors: Number(process.env.FUNNEL_DEMO_VISITORS ?? 1500), seed: 5, endMs })).site.id;
}, 300_000);
afterAll(async () => db?.drop());

describe('demo funnels', () => {
  it('the purchase funnel narrows at every step and ends in paid orders', async () => {
    const funnels = await listFunnels(db.pool, siteId);
    expect(funnels.map((f) => f.steps.length)).toEqual([5, 3]);
    const to = '2026-10-31';
    const from = addDays(to, -(days - 1));
    const input = { siteId, start: localDateToUtc(from, 'America/New_York'), end: localDateToUtc(addDays(to, 1), 'America/New_York'), definition: funnels[0]! };
    const started = performance.now();
    const report = await funnelReport(db.pool, input);
    const ms = performance.now() - started;
    const counts = report.steps.map((s) => s.count);
    if (process.env.FUNNEL_DEBUG) {
      console.log(JSON.stringify(counts), `${ms.toFixed(0)} ms`);
      const cte = funnelCte(input);
      const plan = await db.pool.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${cte.text} SELECT count(*) FROM walked`, values: cte.values });
      console.log(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
    }
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeLessThan(counts[i - 1]!);
    expect(counts[4]!).toBeGreaterThan(0);
    expect(report.steps[4]!.revenue!.length).toBeGreaterThan(0);
    const search = await funnelReport(db.pool, { ...input, definition: funnels[1]! });
    expect(search.entered).toBeGreaterThan(search.completed);
  });
});
