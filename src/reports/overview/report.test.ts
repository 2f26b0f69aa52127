import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { rebuildTrafficRollups, runTrafficRollup } from './traffic-rollup.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { bruteOverview, generateVisits, insertPageviews, rng, type RawPageview } from '../../../test/helpers/traffic-data.ts';

/**
 * The overview report against a brute-force computation over the raw rows, on generated data
 * spanning DST changes (Paris 29 Mar / 25 Oct 2026, New York 8 Mar / 1 Nov), the March/April
 * partition boundary, two sites, late events after a rollup ran and an interrupted rollup.
 */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
const all: RawPageview[] = [];
type TestSite = { id: string; token: string; tz: string };
let paris: TestSite;
let ny: TestSite;

async function overview(site: TestSite, query: string) {
  const res = await app.request(`/api/v1/sites/${site.id}/reports/overview?${query}&limit=1000`, { headers: { authorization: `Bearer ${site.token}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json() as Promise<{
    totals: Record<string, number>;
    series: { t: string; visitors: number; visits: number; pageviews: number }[];
    top: Record<string, { key: string; visitors: number; pageviews: number }[]>;
    previous?: { totals: Record<string, number> };
  }>;
}

async function check(site: TestSite, q: { from: string; to: string; tz: string; interval: string }) {
  const got = await overview(site, new URLSearchParams(q).toString());
  const want = bruteOverview(all, site.id, { ...q, siteTz: site.tz });
  expect(want.totals.pageviews).toBeGreaterThan(0); // every checked range holds data
  expect(got.totals, JSON.stringify(q)).toEqual(want.totals);
  for (const b of got.series) {
    const w = want.series.get(b.t);
    expect({ t: b.t, visitors: b.visitors, visits: b.visits, pageviews: b.pageviews }, JSON.stringify(q))
      .toEqual({ t: b.t, visitors: w?.v.size ?? 0, visits: w?.visits ?? 0, pageviews: w?.pageviews ?? 0 });
  }
  // Every brute-force bucket is present in the zero-filled series.
  const labels = new Set(got.series.map((b) => b.t));
  for (const t of want.series.keys()) expect(labels.has(t), `${t} missing in ${JSON.stringify(q)}`).toBe(true);
  for (const [name, rows] of Object.entries(want.top)) {
    expect([...got.top[name]!].sort((a, b) => (a.key < b.key ? -1 : 1)), `${name} ${JSON.stringify(q)}`).toEqual(rows);
  }
  return got;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
  app = createApp({ config, pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  await db.pool.query(`SELECT tally_ensure_partitions('2026-02-01', '2026-12-01')`);
  const p = await createSite(db.pool, { name: 'Paris', domain: 'shop.test', timezone: 'Europe/Paris' });
  const n = await createSite(db.pool, { name: 'NY', domain: 'shop.test', timezone: 'America/New_York' });
  paris = { id: p.id, token: p.token, tz: 'Europe/Paris' };
  ny = { id: n.id, token: n.token, tz: 'America/New_York' };
  const r = rng(42);
  all.push(
    ...generateVisits(r, paris.id, new Date('2026-03-26T00:00:00Z'), new Date('2026-04-02T00:00:00Z'), 1500, 400, 'p'),
    ...generateVisits(r, paris.id, new Date('2026-10-23T00:00:00Z'), new Date('2026-10-27T00:00:00Z'), 600, 200, 'q'),
    ...generateVisits(r, ny.id, new Date('2026-03-06T00:00:00Z'), new Date('2026-03-11T00:00:00Z'), 800, 300, 'n'),
    ...generateVisits(r, ny.id, new Date('2026-10-30T00:00:00Z'), new Date('2026-11-03T00:00:00Z'), 400, 150, 'm'),
  );
  await insertPageviews(db.pool, all);
  await runTrafficRollup(db.pool, { batchSpan: 1000 });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('overview vs brute force', () => {
  it('site zone, day/week/month/hour, DST and month boundary', async () => {
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'Europe/Paris', interval: 'day' });
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'Europe/Paris', interval: 'week' });
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'Europe/Paris', interval: 'month' });
    const spring = await check(paris, { from: '2026-03-29', to: '2026-03-29', tz: 'Europe/Paris', interval: 'hour' });
    expect(spring.series).toHaveLength(23);
    const fall = await check(paris, { from: '2026-10-25', to: '2026-10-25', tz: 'Europe/Paris', interval: 'hour' });
    expect(fall.series).toHaveLength(25);
    await check(paris, { from: '2026-10-24', to: '2026-10-26', tz: 'Europe/Paris', interval: 'day' });
  });

  it('other zones regroup hour rollups; two sites stay apart', async () => {
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'UTC', interval: 'day' });
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'America/New_York', interval: 'day' });
    await check(ny, { from: '2026-03-05', to: '2026-03-11', tz: 'America/New_York', interval: 'day' });
    const dst = await check(ny, { from: '2026-03-08', to: '2026-03-08', tz: 'America/New_York', interval: 'hour' });
    expect(dst.series).toHaveLength(23);
    await check(ny, { from: '2026-10-30', to: '2026-11-03', tz: 'America/New_York', interval: 'day' });
    await check(ny, { from: '2026-11-01', to: '2026-11-01', tz: 'America/New_York', interval: 'hour' });
    await check(ny, { from: '2026-03-01', to: '2026-11-30', tz: 'America/New_York', interval: 'month' });
  });

  it('exact unique visitors across days (not a sum of daily counts)', async () => {
    const got = await check(paris, { from: '2026-03-26', to: '2026-04-01', tz: 'Europe/Paris', interval: 'day' });
    const summed = got.series.reduce((a, b) => a + b.visitors, 0);
    expect(got.totals.visitors).toBeLessThan(summed);
  });

  it('late events, session merges and an interrupted rollup are counted exactly once', async () => {
    const r = rng(7);
    // Late beacons for days already rolled up, some joining existing sessions before their start.
    const late = generateVisits(r, paris.id, new Date('2026-03-28T00:00:00Z'), new Date('2026-03-31T00:00:00Z'), 200, 400, 'p');
    const joined = all.filter((x) => x.siteId === paris.id).slice(0, 50).map((x) => ({ ...x, occurredAt: new Date(x.occurredAt.getTime() - 90_000), path: '/late' }));
    const batch = [...late, ...joined];
    await insertPageviews(db.pool, batch);
    all.push(...batch);
    await expect(runTrafficRollup(db.pool, { failAfterStep: 4 })).rejects.toThrow(/interrupted/);
    await expect(runTrafficRollup(db.pool, { failAfterStep: 1 })).rejects.toThrow(/interrupted/);
    await runTrafficRollup(db.pool);
    await runTrafficRollup(db.pool); // nothing new: no change
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'Europe/Paris', interval: 'day' });
    await check(paris, { from: '2026-03-25', to: '2026-04-02', tz: 'UTC', interval: 'hour' });
  });

  it('whole local months come from the month grain, the rest from days (sql/050)', async () => {
    // Head days 15–31 March + whole April (+ an empty May) in the site's zone; a whole month only.
    await check(paris, { from: '2026-03-15', to: '2026-05-20', tz: 'Europe/Paris', interval: 'day' });
    await check(paris, { from: '2026-04-01', to: '2026-04-30', tz: 'Europe/Paris', interval: 'week' });
    await check(paris, { from: '2026-03-01', to: '2026-10-31', tz: 'Europe/Paris', interval: 'month' });
  });

  it('incremental batches and a full rebuild give the same counters, visitor days and links', async () => {
    const snapshot = async () => ({
      rollups: (await db.pool.query(`SELECT site_id, grain, bucket, dim, key, pageviews, visitors, visits, bounces, duration_seconds FROM traffic_rollups
        WHERE pageviews <> 0 OR visitors <> 0 OR visits <> 0 ORDER BY 1, 2, 3, 4, 5`)).rows,
      days: (await db.pool.query(`SELECT site_id, visitor_key, day, hours, ARRAY(SELECT k FROM unnest(keys) k ORDER BY k) AS keys FROM visitor_days ORDER BY 1, 2, 3`)).rows,
      links: (await db.pool.query(`SELECT site_id, day, prev_day, n FROM visitor_day_links WHERE n <> 0 ORDER BY 1, 2, 3`)).rows,
    });
    const before = await snapshot();
    expect(before.links.length).toBeGreaterThan(0);
    await rebuildTrafficRollups(db.pool);
    expect(await snapshot()).toEqual(before);
  });

  it('compare=previous returns the earlier period', async () => {
    const got = await overview(paris, 'from=2026-03-30&to=2026-04-02&tz=Europe/Paris&compare=previous');
    const want = bruteOverview(all, paris.id, { from: '2026-03-26', to: '2026-03-29', tz: 'Europe/Paris', interval: 'day', siteTz: 'Europe/Paris' });
    expect(got.previous!.totals).toEqual(want.totals);
  });

  it('params: 400 naming the parameter, other site 404', async () => {
    const bad = await app.request(`/api/v1/sites/${paris.id}/reports/overview?from=2026-13-01`, { headers: { authorization: `Bearer ${paris.token}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^from/);
    const badTz = await app.request(`/api/v1/sites/${paris.id}/reports/overview?tz=Nowhere`, { headers: { authorization: `Bearer ${paris.token}` } });
    expect(((await badTz.json()) as { error: string }).error).toMatch(/^tz/);
    const other = await app.request(`/api/v1/sites/${paris.id}/reports/overview`, { headers: { authorization: `Bearer ${ny.token}` } });
    expect(other.status).toBe(404);
  });
});
