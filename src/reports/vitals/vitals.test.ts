import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { bruteVitals, METRICS, type Metric, type SentVitals } from './brute.test-helper.ts';
import type { VitalsReport } from './report.ts';

/**
 * The web-vitals report (contract §4.5) end to end: vitals beacons through ingestDirect (device
 * from the user agent, path from the URL), then GET through the app, held against bruteVitals —
 * p75s and shares compared exactly (toEqual), threshold values themselves included.
 */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };
let readToken: string;

const UA = {
  desktop: '',
  mobile: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
} as const;
// Values at Google's thresholds exactly (good ≤, poor >) and just beside them.
const EDGES: Record<Metric, number[]> = {
  lcp: [2500, 4000, 2500.0001, 4000.5], inp: [200, 500, 199.9, 500.1], cls: [0.1, 0.25, 0.1000001, 0.2500001],
  fcp: [1800, 3000, 1799.5, 3000.25], ttfb: [800, 1800, 800.5, 1800.5],
};
const SCALE: Record<Metric, number> = { lcp: 6000, inp: 800, cls: 0.5, fcp: 4000, ttfb: 2500 };

// from=2026-03-07, to=2026-03-09 in America/New_York spans the start of DST (2026-03-08, a 23-hour day):
// [2026-03-07T05:00Z, 2026-03-10T04:00Z), written out rather than computed by the code under test.
const RANGE = { from: '2026-03-07', to: '2026-03-09', tz: 'America/New_York' };
const START = Date.parse('2026-03-07T05:00:00Z');
const END = Date.parse('2026-03-10T04:00:00Z');
const HOUR = 3_600_000;

let seed = 5;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

function beacon(ts: number): { sent: SentVitals; event: Record<string, unknown> } {
  const device = (['desktop', 'desktop', 'mobile', 'tablet'] as const)[Math.floor(rand() * 4)]!;
  // 70 pages with skewed traffic (so the 50-page cut and ties matter); 5% without a URL.
  const page = Math.floor(70 * rand() ** 2);
  const noUrl = rand() < 0.05;
  const path = noUrl ? null : `/p/${String(page).padStart(3, '0')}`;
  const values: Partial<Record<Metric, number>> = {};
  for (const m of METRICS) {
    const r = rand();
    if (r < 0.15) continue; // not every beacon carries every metric
    values[m] = r < 0.25 ? EDGES[m][Math.floor(rand() * 4)]! : Math.round(rand() * SCALE[m] * 1000) / 1000;
  }
  if (!Object.keys(values).length) values.lcp = 1234.5;
  const event = { type: 'vitals', ts, vid: `v${Math.floor(rand() * 50)}`, ...(path ? { url: `https://Shop.test${path}?q=${page}#x` } : {}), ...(UA[device] ? { ua: UA[device] } : {}), ...values };
  return { sent: { ts, path, device, values }, event };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (query: Record<string, string>, token = readToken, siteId = site.id) =>
  app.request(`/api/v1/sites/${siteId}/reports/vitals?${new URLSearchParams(query).toString()}`, { headers: auth(token) });
const vitals = async (query: Record<string, string>) => {
  const res = await get(query);
  expect(res.status, JSON.stringify(query)).toBe(200);
  return (await res.json()) as VitalsReport;
};

let sent: SentVitals[];
beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const s = await createSite(db.pool, { name: 'vitals', domain: 'shop.test', timezone: 'Europe/Paris' });
  site = { id: s.id, token: s.token };
  const o = await createSite(db.pool, { name: 'other', domain: 'other.test' });
  other = { id: o.id, token: o.token };
  readToken = await createToken(db.pool, s.id, 'read', 'test');
  const all = Array.from({ length: 3000 }, () => beacon(Math.floor(START - 24 * HOUR + rand() * (END - START + 48 * HOUR))));
  for (const ts of [START - 1, START, END - 1, END]) all.push(beacon(ts));
  sent = all.map((b) => b.sent);
  const r = await ingestDirect(db.pool, { siteId: site.id, events: all.map((b) => b.event) });
  expect(r.rejected).toEqual([]);
  await ingestDirect(db.pool, { siteId: other.id, events: all.slice(0, 100).map((b) => b.event) });
});
afterAll(async () => db?.drop());

describe('GET …/reports/vitals against the brute force', () => {
  it('gives p75 and good / needs-improvement / poor shares per metric and the 50 pages with the most samples, exactly', async () => {
    const body = await vitals(RANGE);
    const want = bruteVitals(sent, { start: START, end: END });
    expect(body.pages).toHaveLength(50);
    expect(body).toEqual(want);
    for (const m of METRICS) {
      const s = body.metrics[m];
      expect(s.good + s.needs_improvement + s.poor).toBeCloseTo(1, 12);
    }
  });

  it('filters by path (exact) and device, in other zones too; an empty range has null p75s and zero shares', async () => {
    for (const [query, start, end] of [
      [{ ...RANGE, path: '/p/000' }, START, END],
      [{ ...RANGE, path: '/p/003', device: 'mobile' }, START, END],
      [{ ...RANGE, device: 'tablet' }, START, END],
      [{ ...RANGE, device: 'desktop' }, START, END],
      [{ from: '2026-03-08', to: '2026-03-08', tz: 'Asia/Kathmandu' }, Date.parse('2026-03-07T18:15:00Z'), Date.parse('2026-03-08T18:15:00Z')],
      [{ ...RANGE, path: '/P/000' }, START, END],
      [{ from: '2026-01-01', to: '2026-01-02', tz: 'UTC' }, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-03T00:00:00Z')],
    ] as const) {
      const { path, device } = query as { path?: string; device?: string };
      expect(await vitals(query), JSON.stringify(query)).toEqual(bruteVitals(sent, { start, end, ...(path ? { path } : {}), ...(device ? { device } : {}) }));
    }
    const empty = await vitals({ from: '2026-01-01', to: '2026-01-02', tz: 'UTC' });
    expect(empty.metrics.lcp).toEqual({ p75: null, samples: 0, good: 0, needs_improvement: 0, poor: 0 });
    expect(empty.pages).toEqual([]);
  });

  it('answers 400 naming an unknown device or a bad range, 404 for another site', async () => {
    for (const [query, name] of [[{ device: 'watch' }, 'device'], [{ tz: 'Mars/Base' }, 'tz'], [{ from: '2026-02-30' }, 'from'], [{ path: '' }, 'path']] as const) {
      const res = await get(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(new RegExp(`^${name}:`));
    }
    expect((await get(RANGE, other.token)).status).toBe(404);
    const theirs = await get(RANGE, other.token, other.id);
    expect(theirs.status).toBe(200);
  });

  it('is in /openapi.json, with the heatmap paths', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    for (const p of ['vitals', 'heatmap', 'heatmap/pages']) expect(doc.paths[`/api/v1/sites/{siteId}/reports/${p}`], p).toBeDefined();
  });
});
