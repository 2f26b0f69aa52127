import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteSearchReport, loadBruteData } from '../../../test/helpers/search-brute.ts';
import { generateSearchTraffic, orderBody } from '../../../test/helpers/search-data.ts';
import { upsertCommerce } from '../../commerce/batch.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { resolveRange } from '../common/params.ts';
import { runSearchRollup } from './rollup.ts';

/** GET …/reports/search over HTTP after the rollup ran (the registered job: test/search-jobs.test.ts): equal to the brute force; 400 naming the parameter; another site's token → 404. */

let db: TestDatabase;
let deps: Parameters<typeof createApp>[0];
let app: ReturnType<typeof createApp>;
let siteId: string;
let readToken: string;
let otherToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() };
  app = createApp(deps);
  const site = await createSite(db.pool, { name: 's', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  siteId = site.id;
  await db.pool.query(`UPDATE sites SET search_params = '{q,s}' WHERE id = $1`, [siteId]);
  readToken = await createToken(db.pool, site.id, 'read', 'test');
  const other = await createSite(db.pool, { name: 'o', domain: 'o.test' });
  otherToken = await createToken(db.pool, other.id, 'admin', 'test');
  const data = generateSearchTraffic(7, 80, 'r');
  const r = await ingestDirect(db.pool, { siteId, events: data.beacons });
  expect(r.rejected).toEqual([]);
  await upsertCommerce(db.pool, siteId, 'orders', data.orders.map(orderBody));
  await runSearchRollup(db.pool);
});
afterAll(async () => db?.drop());

const get = (qs: string, token = readToken, site = siteId) =>
  app.request(`/api/v1/sites/${site}/reports/search${qs}`, { headers: { authorization: `Bearer ${token}` } });

describe('GET …/reports/search', () => {
  it('after the job, equals the brute force', async () => {
    const res = await get('?from=2026-10-20&to=2026-11-03&tz=Europe/Paris');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    const range = resolveRange({ from: '2026-10-20', to: '2026-11-03', tz: 'Europe/Paris', limit: 10 }, 'Europe/Paris');
    const expected = bruteSearchReport(await loadBruteData(db.pool, siteId), range.start.getTime(), range.end.getTime(), 'EUR');
    expect(body).toEqual({ currency: 'EUR', from: '2026-10-20', to: '2026-11-03', tz: 'Europe/Paris', ...expected });
    expect((body.totals as { searches: number }).searches).toBeGreaterThan(100);
  });

  it('currency selects the orders counted', async () => {
    const res = await get('?from=2026-10-20&to=2026-11-03&currency=USD');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { currency: string };
    expect(body.currency).toBe('USD');
  });

  it('bad parameters → 400 naming them', async () => {
    for (const [qs, name] of [['?from=2026-13-01', 'from'], ['?to=yesterday', 'to'], ['?tz=Mars/Olympus', 'tz'], ['?currency=euro', 'currency'], ['?from=2026-11-02&to=2026-11-01', 'from']] as const) {
      const res = await get(qs);
      expect(res.status, qs).toBe(400);
      expect(((await res.json()) as { error: string }).error, qs).toContain(name);
    }
  });

  it("another site's token → 404, no token → 401", async () => {
    expect((await get('', otherToken)).status).toBe(404);
    expect((await app.request(`/api/v1/sites/${siteId}/reports/search`)).status).toBe(401);
  });

  it('is in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/api/v1/sites/{siteId}/reports/search']).toBeDefined();
  });
});
