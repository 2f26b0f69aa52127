import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { runDemo, type DemoResult } from '../../demo/run.ts';
import { runHeatmapRollup } from './rollup.ts';
import { heatmapPages, heatmapReport } from './report.ts';
import { vitalsReport } from '../vitals/report.ts';

/**
 * Issue #18's "done when" on the demo store: the heatmap of a product page shows the size
 * picker's rage clicks, and the vitals report gives p75s per metric.
 */
let db: TestDatabase;
let demo: DemoResult;
const endMs = Date.UTC(2026, 10, 1);
const start = new Date(endMs - 14 * 86_400_000);
const end = new Date(endMs);

beforeAll(async () => {
  db = await createTestDatabase();
  demo = await runDemo(db.pool, { days: 14, visitors: 3000, seed: 3, endMs });
  await runHeatmapRollup(db.pool); // the demo's direct rows (tally demo runs every job after it)
}, 180_000);
afterAll(async () => db?.drop());

describe('the demo store', () => {
  it('a product page heatmap shows the size picker rage clicks, named by selector', async () => {
    const pages = await heatmapPages(db.pool, demo.site.id, start, end, 100, null);
    const product = pages.find((p) => p.path.startsWith('/products/') && p.rage > 0);
    expect(product, JSON.stringify(pages.slice(0, 5))).toBeDefined();
    const report = await heatmapReport(
      db.pool,
      { siteId: demo.site.id, host: product!.host, path: product!.path, device: 'mobile', kind: 'rage', start, end },
      product!.url,
      10,
    );
    const any = report.total > 0 ? report : await heatmapReport(
      db.pool,
      { siteId: demo.site.id, host: product!.host, path: product!.path, device: 'desktop', kind: 'rage', start, end },
      product!.url,
      10,
    );
    expect(any.total).toBeGreaterThan(0);
    expect(any.selectors![0]).toMatchObject({ selector: 'select#size-picker' });
  });

  it('the vitals report gives a p75 per metric', async () => {
    const v = await vitalsReport(db.pool, { siteId: demo.site.id, start, end, path: null, device: null });
    for (const m of ['lcp', 'inp', 'cls', 'fcp', 'ttfb'] as const) {
      expect(v.metrics[m].samples, m).toBeGreaterThan(100);
      expect(v.metrics[m].p75, m).toBeGreaterThan(0);
    }
    expect(v.pages.length).toBeGreaterThan(5);
  });
});
