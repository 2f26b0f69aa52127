import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { loadConfig } from '../src/config.ts';
import { createApp } from '../src/http/app.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';
import { createToken } from '../src/sites/tokens.ts';
import { realtimeSeriesSql } from '../src/reports/realtime/report.ts';
import { insertPageviews, type RawPageview } from './helpers/traffic-data.ts';
import { csvField } from '../src/reports/export/csv.ts';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let readToken: string;
let deps: Parameters<typeof createApp>[0];

const pv = (visitor: string, at: Date, path: string, title = 'x'): RawPageview => ({
  siteId: site.id, occurredAt: at, visitorId: visitor, sessionId: `s-${visitor}`, path, host: 'shop.test', refDomain: title,
  channel: 'referral', utmSource: null, utmMedium: null, utmCampaign: null, country: 'FR', browser: 'Chrome', os: 'macOS', device: 'desktop',
});

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() };
  app = createApp(deps);
  const s = await createSite(db.pool, { name: 'r', domain: 'shop.test' });
  site = { id: s.id, token: s.token };
  readToken = await createToken(db.pool, s.id, 'read', 'test');
  const now = Date.now();
  await insertPageviews(db.pool, [
    pv('a', new Date(now - 60_000), '/'), pv('a', new Date(now - 30_000), '/cart'), pv('b', new Date(now - 120_000), '/'),
    pv('c', new Date(now - 3_600_000), '/old'), pv('d', new Date(now - 10_000), '/q', 'has,"comma"\nand newline'),
  ]);
});
afterAll(async () => db?.drop());

const get = (path: string, token = readToken) => app.request(path, { headers: { authorization: `Bearer ${token}` } });

describe('realtime, export, admin jobs', () => {
  it('realtime counts the last 5 minutes from raw rows', async () => {
    const res = await get(`/api/v1/sites/${site.id}/reports/realtime`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { active_visitors: number; pageviews: number; top_pages: { key: string; visitors: number; pageviews: number }[]; series: unknown[] };
    expect(body.active_visitors).toBe(3);
    expect(body.pageviews).toBe(4);
    expect(body.top_pages[0]).toEqual({ key: '/', visitors: 2, pageviews: 2 });
    expect(body.series).toHaveLength(30);
  });

  it('realtime series per minute equals the row-by-row count it replaced', async () => {
    const now = Date.now();
    const other = await createSite(db.pool, { name: 'realtime series', domain: 'series.test' });
    await insertPageviews(db.pool, Array.from({ length: 300 }, (_, i) => ({ ...pv(`s${i % 37}`, new Date(now - ((i * 7_919) % 2_400_000)), '/s'), siteId: other.id })));
    const old = `SELECT to_char(m AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"') AS "t", count(p.*) AS "pageviews"
      FROM generate_series(date_trunc('minute', now()) - interval '29 minutes', date_trunc('minute', now()), interval '1 minute') m
      LEFT JOIN pageviews p ON p.site_id = $1::bigint AND p.occurred_at >= m AND p.occurred_at < m + interval '1 minute'
        AND p.occurred_at > now() - interval '30 minutes'
      GROUP BY m ORDER BY m`;
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN'); // one now() for both
      const expected = (await client.query(old, [other.id])).rows;
      const actual = (await client.query(realtimeSeriesSql(other.id))).rows;
      await client.query('COMMIT');
      expect(actual).toHaveLength(30);
      expect(actual).toEqual(expected);
      expect(actual.reduce((n, r) => n + (r.pageviews as number), 0)).toBeGreaterThan(200);
    } finally {
      client.release();
      await db.pool.query('DELETE FROM pageviews WHERE site_id = $1', [other.id]); // the jobs test below counts every site's rows
    }
  });

  it('streams CSV with RFC 4180 escaping', async () => {
    const res = await get(`/api/v1/sites/${site.id}/export/pageviews.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines[0]!.split(',')).toContain('visitor_id');
    expect(text).toContain('"has,""comma""\nand newline"');
    expect(text.split('\r\n').filter((l) => l.startsWith(site.id)).length).toBe(5);
    expect(csvField(null)).toBe('');
    expect((await get(`/api/v1/sites/${site.id}/export/nope.csv`)).status).toBe(404);
    expect((await get(`/api/v1/sites/${site.id}/export/pageviews.csv?from=bad`)).status).toBe(400);
    const empty = await (await get(`/api/v1/sites/${site.id}/export/orders.csv?from=2020-01-01&to=2020-01-02`)).text();
    expect(empty.split('\r\n').filter(Boolean)).toHaveLength(1);
  });

  it('admin jobs log needs an admin token', async () => {
    await runJobsNow(deps, 'rollups');
    expect((await get('/api/v1/admin/jobs')).status).toBe(403);
    const res = await get('/api/v1/admin/jobs?job=rollups', site.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runs: { job: string; rows: number; error: string | null }[] };
    expect(body.runs[0]).toMatchObject({ job: 'rollups', rows: 5, error: null });
  });

  it('overview after the rollup job shows the rows; openapi lists every area', async () => {
    const res = await get(`/api/v1/sites/${site.id}/reports/overview`);
    const body = (await res.json()) as { totals: { pageviews: number; visitors: number } };
    expect(body.totals).toMatchObject({ pageviews: 5, visitors: 4 });
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    for (const p of [
      '/api/v1/sites/{siteId}/reports/overview', '/api/v1/sites/{siteId}/reports/realtime', '/api/v1/sites/{siteId}/export/{table}.csv',
      '/api/v1/admin/jobs', '/collect', '/api/v1/sites/{siteId}/orders', '/api/v1/sites/{siteId}/reports/revenue', '/healthz',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });
});
