import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteSearchReport, loadBruteData } from '../../../test/helpers/search-brute.ts';
import { runDemo } from '../../demo/run.ts';
import { ZERO_RESULT_QUERIES } from '../../demo/searches.ts';
import { resolveRange } from '../common/params.ts';
import { searchReport } from './report.ts';
import { runSearchRollup } from './rollup.ts';

/** A small demo run: the search report shows its top queries (with clicks and search-led orders) and its zero-result queries. */
let db: TestDatabase;
let siteId: string;
const endMs = Date.parse('2026-11-01T04:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await runDemo(db.pool, { days: 14, visitors: 1200, seed: 3, endMs })).site.id;
  await runSearchRollup(db.pool);
}, 300_000);
afterAll(async () => db?.drop());

describe('demo site search', () => {
  it('has top queries with clicks and orders, zero-result queries, and equals the brute force', async () => {
    const { rows } = await db.pool.query<{ tz: string; currency: string }>({ text: 'SELECT timezone AS tz, currency FROM sites WHERE id = $1::bigint', values: [siteId] });
    const { tz, currency } = rows[0]!;
    const range = resolveRange({ from: '2026-10-18', to: '2026-10-31', tz, limit: 10 }, tz);
    const report = await searchReport(db.pool, siteId, currency, range);
    expect(report.totals.searches).toBeGreaterThan(50);
    expect(report.queries.length).toBeGreaterThan(5);
    expect(report.queries.some((q) => q.orders > 0 && q.revenue > 0)).toBe(true);
    expect(report.queries.some((q) => q.clicks > 0 && q.avg_click_position !== null)).toBe(true);
    expect(report.zero_result_queries.map((z) => z.query).filter((q) => ZERO_RESULT_QUERIES.includes(q)).length).toBeGreaterThan(2);
    expect(report.totals.zero_result_rate).toBeGreaterThan(0);
    expect(report.totals.conversion_rate).toBeGreaterThan(0);
    const expected = bruteSearchReport(await loadBruteData(db.pool, siteId), range.start.getTime(), range.end.getTime(), currency);
    expect({ totals: report.totals, queries: report.queries, zero_result_queries: report.zero_result_queries }).toEqual(expected);
  });
});
