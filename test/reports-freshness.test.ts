import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestServer } from './helpers/server.ts';

/**
 * End to end with the scheduler on: a beacon posted to /collect shows in the overview (served
 * from rollups) within FRESHNESS_SECONDS, without anyone running the jobs by hand.
 */
let db: TestDatabase;
let server: RunningServer;
let site: { id: string; publicKey: string; token: string };

beforeAll(async () => {
  db = await createTestDatabase();
  site = await createSite(db.pool, { name: 'fresh', domain: 'shop.test' });
  server = await startTestServer(db.url, { JOBS_ENABLED: 'true', FRESHNESS_SECONDS: '8' });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('freshness', () => {
  it('a beacon appears in the overview within FRESHNESS_SECONDS', async () => {
    const res = await fetch(`${server.url}/collect`, {
      method: 'POST',
      // A browser user agent: the default one of fetch is dropped as a bot.
      headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15' },
      body: JSON.stringify({ site: site.publicKey, type: 'pageview', id: randomUUID(), url: 'https://shop.test/fresh', vid: 'fresh-visitor' }),
    });
    expect(res.status).toBe(202);
    const posted = Date.now();
    let pageviews = 0;
    while (Date.now() - posted < 8_000 && pageviews === 0) {
      await new Promise((r) => setTimeout(r, 250));
      const o = await fetch(`${server.url}/api/v1/sites/${site.id}/reports/overview`, { headers: { authorization: `Bearer ${site.token}` } });
      pageviews = ((await o.json()) as { totals: { pageviews: number } }).totals.pageviews;
    }
    const jobs = await fetch(`${server.url}/api/v1/admin/jobs?job=rollups`, { headers: { authorization: `Bearer ${site.token}` } });
    const body = (await jobs.json()) as { runs: { job: string; error: string | null }[] };
    expect(pageviews, JSON.stringify(body).slice(0, 2000)).toBe(1);
    expect(body.runs.length).toBeGreaterThan(0);
    expect(body.runs.every((r) => r.error === null)).toBe(true);
  });
});
