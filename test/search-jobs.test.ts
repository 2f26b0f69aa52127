import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { bruteSearchReport, loadBruteData } from './helpers/search-brute.ts';
import { generateSearchTraffic, orderBody } from './helpers/search-data.ts';
import { upsertCommerce } from '../src/commerce/batch.ts';
import { loadConfig } from '../src/config.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { jobRegistry } from '../src/jobs/registry.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { resolveRange } from '../src/reports/common/params.ts';
import { searchReport } from '../src/reports/search/report.ts';
import { createSite } from '../src/sites/sites.ts';

/** The registered `search-rollups` job (and its manual rebuild) keep the search report equal to the brute force. */
let db: TestDatabase;
let ctx: Parameters<typeof runJobsNow>[0];
let siteId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ctx = { pool: db.pool, config: loadConfig({ DATABASE_URL: db.url }), logger: createLogger('silent') };
  const site = await createSite(db.pool, { name: 'jobs', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  siteId = site.id;
  await db.pool.query(`UPDATE sites SET search_params = '{q}' WHERE id = $1`, [siteId]);
  const data = generateSearchTraffic(5, 60, 'j');
  await ingestDirect(db.pool, { siteId, events: data.beacons });
  await upsertCommerce(db.pool, siteId, 'orders', data.orders.map(orderBody));
});
afterAll(async () => db?.drop());

async function expectBrute() {
  const range = resolveRange({ from: '2026-10-20', to: '2026-11-03', tz: 'Europe/Paris', limit: 10 }, 'Europe/Paris');
  const report = await searchReport(db.pool, siteId, 'EUR', range);
  const expected = bruteSearchReport(await loadBruteData(db.pool, siteId), range.start.getTime(), range.end.getTime(), 'EUR');
  expect({ totals: report.totals, queries: report.queries, zero_result_queries: report.zero_result_queries }).toEqual(expected);
  expect(report.totals.searches).toBeGreaterThan(50);
}

describe('search-rollups job', () => {
  it('is registered: scheduled within the freshness bound, and a manual rebuild', () => {
    const jobs = jobRegistry({ FRESHNESS_SECONDS: 60 });
    expect(jobs.find((j) => j.name === 'search-rollups')?.intervalSeconds).toBe(15);
    expect(jobs.find((j) => j.name === 'search-rollups-rebuild')?.intervalSeconds).toBe(0);
  });

  it('a run, then `jobs run all`, then the rebuild: the report equals the brute force each time', async () => {
    const [first] = await runJobsNow(ctx, 'search-rollups');
    expect(first).toMatchObject({ job: 'search-rollups', ok: true });
    expect(first!.rows).toBeGreaterThan(50);
    await expectBrute();
    const all = await runJobsNow(ctx, 'all');
    expect(all.find((o) => o.job === 'search-rollups')).toMatchObject({ ok: true, rows: 0 });
    const [rebuilt] = await runJobsNow(ctx, 'search-rollups-rebuild');
    expect(rebuilt).toMatchObject({ ok: true });
    await expectBrute();
  });
});
