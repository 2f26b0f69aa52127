import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { runDemo, type DemoResult } from '../demo/run.ts';
import { createApp } from '../http/app.ts';
import { runJobsNow } from '../jobs/run.ts';
import { createLogger } from '../log.ts';
import { personTraces } from './erase-data.test-helper.ts';

/**
 * Issue #21's "done when" on the demo store: erasing a visitor removes them from every table and
 * lowers the overview's visitors by one (after the job run, as `tally demo` runs every job).
 */
let db: TestDatabase;
let demo: DemoResult;
let app: ReturnType<typeof createApp>;
let ctx: Parameters<typeof runJobsNow>[0];
const endMs = Date.UTC(2026, 10, 1);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: db.url });
  ctx = { pool: db.pool, config, logger: createLogger('silent') };
  app = createApp({ ...ctx, registry: new Registry() });
  demo = await runDemo(db.pool, { days: 10, visitors: 800, seed: 5, endMs });
  await runJobsNow(ctx, 'all');
}, 240_000);
afterAll(async () => db?.drop());

async function overviewVisitors(): Promise<number> {
  const res = await app.request(`/api/v1/sites/${demo.site.id}/reports/overview?from=${day(endMs - 10 * 86_400_000)}&to=${day(endMs - 86_400_000)}`, {
    headers: { authorization: `Bearer ${demo.site.token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { totals: { visitors: number } }).totals.visitors;
}

describe('erase on the demo store', () => {
  it('a visitor who ordered is gone from every table and the overview counts one visitor less', async () => {
    const { rows } = await db.pool.query<{ v: string }>({
      // Every pageview of theirs inside the report's range (the middle days of the demo).
      text: `SELECT o.visitor_id AS v FROM orders o WHERE o.site_id = $1::bigint AND o.visitor_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM pageviews p WHERE p.site_id = o.site_id AND p.visitor_id = o.visitor_id)
               AND NOT EXISTS (SELECT 1 FROM pageviews p WHERE p.site_id = o.site_id AND p.visitor_id = o.visitor_id
                                 AND (p.occurred_at < $2::timestamptz OR p.occurred_at >= $3::timestamptz))
             ORDER BY o.created_at LIMIT 1`,
      values: [demo.site.id, new Date(endMs - 8 * 86_400_000), new Date(endMs - 3 * 86_400_000)],
    });
    const visitor = rows[0]!.v;
    expect(Object.keys(await personTraces(db.pool, demo.site.id, [visitor])).length).toBeGreaterThan(3);
    const before = await overviewVisitors();
    const res = await app.request(`/api/v1/sites/${demo.site.id}/erase`, {
      method: 'POST', headers: { authorization: `Bearer ${demo.site.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ visitor_id: visitor }),
    });
    expect(res.status).toBe(200);
    const { deleted } = (await res.json()) as { deleted: Record<string, number> };
    expect(deleted.visitors).toBe(1);
    expect(deleted.pageviews).toBeGreaterThan(0);
    expect(await personTraces(db.pool, demo.site.id, [visitor])).toEqual({});
    expect(await overviewVisitors()).toBe(before - 1);
    await runJobsNow(ctx, 'all');
    expect(await overviewVisitors()).toBe(before - 1);
    expect(await personTraces(db.pool, demo.site.id, [visitor])).toEqual({});
  });
});
