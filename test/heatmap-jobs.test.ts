import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { loadConfig } from '../src/config.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { heatmapReport } from '../src/reports/heatmap/report.ts';
import { createSite } from '../src/sites/sites.ts';

/** The heatmap jobs as registered (src/jobs/registry.ts): incremental, and a rebuild that agrees with it. */
let db: TestDatabase;
let ctx: Parameters<typeof runJobsNow>[0];
beforeAll(async () => {
  db = await createTestDatabase();
  ctx = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent') };
});
afterAll(async () => db?.drop());

describe('heatmap-rollups job', () => {
  it('folds new beacons once per run (as `tally jobs run` and the demo run it); heatmap-rollups-rebuild agrees', async () => {
    const site = await createSite(db.pool, { name: 'jobs', domain: 'shop.test' });
    const ts = Date.parse('2026-11-20T12:00:00Z');
    const q = { siteId: site.id, host: 'shop.test', path: '/job', device: 'desktop' as const, kind: 'rage' as const, start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-11-21T00:00:00Z') };
    const beacon = (i: number) => ({ type: 'heatmap', ts: ts + i, vid: `v${i % 2}`, url: 'https://shop.test/job', vw: 800, scroll: 30 + i * 10,
      points: [{ x: 40, y: 17, kind: 'rage', sel: 'select#size-picker' }] });
    await ingestDirect(db.pool, { siteId: site.id, events: [beacon(0), beacon(1)] });
    const [first] = await runJobsNow(ctx, 'heatmap-rollups');
    expect(first).toMatchObject({ ok: true, rows: 2 });
    await ingestDirect(db.pool, { siteId: site.id, events: [beacon(2)] });
    await runJobsNow(ctx, 'heatmap-rollups');
    await runJobsNow(ctx, 'heatmap-rollups');
    const body = await heatmapReport(db.pool, q, 'https://shop.test/job', 10);
    expect(body).toMatchObject({ total: 3, points: [{ x: 32, y: 16, count: 3 }], selectors: [{ selector: 'select#size-picker', count: 3 }] });
    // v0 reached 50 (beacons 0 and 2), v1 40.
    expect(body.scroll.map((s) => s.visitors)).toEqual([2, 2, 2, 2, 1, 0, 0, 0, 0, 0]);
    const [rebuilt] = await runJobsNow(ctx, 'heatmap-rollups-rebuild');
    expect(rebuilt).toMatchObject({ ok: true, rows: 3 });
    expect(await heatmapReport(db.pool, q, 'https://shop.test/job', 10)).toEqual(body);
  });
});
