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
import { runVitalsRollup } from './rollup.ts';

/**
 * The rank-localisation path (histogram-sql.ts over sql/073) against the brute force: ranges
 * whose ends are inside a UTC month and day in a DST zone (months + days + edge slots), other
 * zones, device filters, the page ranking, late beacons folded into an aggregated month (read
 * fresh past the watermark first, then folded), and small crafted sites: n = 1, 2, ties, ranks
 * on both sides of a bucket edge, a metric without samples, CLS values.
 */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;

const UA = {
  desktop: '',
  mobile: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
} as const;
type Device = keyof typeof UA;
const SCALE: Record<Metric, number> = { lcp: 6000, inp: 800, cls: 0.5, fcp: 4000, ttfb: 2500 };
const EDGES: Record<Metric, number[]> = {
  lcp: [2500, 4000, 2500.0001, 4000.5], inp: [200, 500, 199.9, 500.1], cls: [0.1, 0.25, 0.1000001, 0.2500001],
  fcp: [1800, 3000, 1799.5, 3000.25], ttfb: [800, 1800, 800.5, 1800.5],
};
const HOUR = 3_600_000;
let seed = 11;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

function event(ts: number, device: Device, path: string | null, values: Partial<Record<Metric, number>>) {
  return {
    sent: { ts, path, device, values } satisfies SentVitals,
    event: { type: 'vitals', ts, vid: `v${Math.floor(rand() * 40)}`, ...(path ? { url: `https://shop.test${path}` } : {}), ...(UA[device] ? { ua: UA[device] } : {}), ...values },
  };
}

function beacon(ts: number) {
  const device = (['desktop', 'desktop', 'mobile', 'tablet'] as const)[Math.floor(rand() * 4)]!;
  const page = Math.floor(60 * rand() ** 2);
  const path = rand() < 0.05 ? null : `/p/${String(page).padStart(3, '0')}`;
  const values: Partial<Record<Metric, number>> = {};
  for (const m of METRICS) {
    const r = rand();
    if (r < 0.15) continue;
    // ties (a few round values), threshold values, and spread values
    values[m] = r < 0.22 ? EDGES[m][Math.floor(rand() * 4)]! : r < 0.3 ? Math.round(rand() * 4) * SCALE[m] / 8 : Math.round(rand() * SCALE[m] * 1000) / 1000;
  }
  if (!Object.keys(values).length) values.lcp = 1234.5;
  return event(ts, device, path, values);
}

interface Site { id: string; read: string; sent: SentVitals[] }
async function makeSite(name: string, beacons: ReturnType<typeof event>[]): Promise<Site> {
  const s = await createSite(db.pool, { name, domain: 'shop.test', timezone: 'Europe/Paris' });
  const read = await createToken(db.pool, s.id, 'read', 'test');
  const r = await ingestDirect(db.pool, { siteId: s.id, events: beacons.map((b) => b.event) });
  expect(r.rejected).toEqual([]);
  return { id: s.id, read, sent: beacons.map((b) => b.sent) };
}

async function vitals(site: Site, query: Record<string, string>): Promise<VitalsReport> {
  const res = await app.request(`/api/v1/sites/${site.id}/reports/vitals?${new URLSearchParams(query).toString()}`, { headers: { authorization: `Bearer ${site.read}` } });
  expect(res.status, JSON.stringify(query)).toBe(200);
  return (await res.json()) as VitalsReport;
}

// Ranges written out rather than computed by the code under test. New York: 2026-03-08 is the
// 23-hour DST day; from 2026-01-10 to 2026-04-05 covers whole UTC months Feb and Mar, whole days,
// and ends inside a UTC day (local midnight = 04:00Z).
const CASES: [Record<string, string>, number, number, string?][] = [
  [{ from: '2026-01-10', to: '2026-04-05', tz: 'America/New_York' }, Date.parse('2026-01-10T05:00:00Z'), Date.parse('2026-04-06T04:00:00Z')],
  [{ from: '2026-01-10', to: '2026-04-05', tz: 'America/New_York', device: 'mobile' }, Date.parse('2026-01-10T05:00:00Z'), Date.parse('2026-04-06T04:00:00Z'), 'mobile'],
  [{ from: '2026-03-07', to: '2026-03-09', tz: 'America/New_York', device: 'tablet' }, Date.parse('2026-03-07T05:00:00Z'), Date.parse('2026-03-10T04:00:00Z'), 'tablet'],
  [{ from: '2026-02-01', to: '2026-03-31', tz: 'Asia/Kathmandu' }, Date.parse('2026-01-31T18:15:00Z'), Date.parse('2026-03-31T18:15:00Z')],
  [{ from: '2026-02-01', to: '2026-02-28', tz: 'UTC', device: 'desktop' }, Date.parse('2026-02-01T00:00:00Z'), Date.parse('2026-03-01T00:00:00Z'), 'desktop'],
  [{ from: '2026-03-08', to: '2026-03-08', tz: 'America/New_York' }, Date.parse('2026-03-08T05:00:00Z'), Date.parse('2026-03-09T04:00:00Z')],
];

let big: Site;
const START = Date.parse('2026-01-01T00:00:00Z');
const SPAN = Date.parse('2026-04-20T00:00:00Z') - START;

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  big = await makeSite('big', Array.from({ length: 4000 }, () => beacon(START + Math.floor(rand() * SPAN))));
  await runVitalsRollup(db.pool);
});
afterAll(async () => db?.drop());

const check = async (site: Site, cases = CASES) => {
  for (const [query, start, end, device] of cases) {
    expect(await vitals(site, query), JSON.stringify(query)).toEqual(bruteVitals(site.sent, { start, end, ...(device ? { device } : {}) }));
  }
};

describe('vitals by rank localisation (sql/073) against the brute force', () => {
  it('folds every sample and answers months + days + edge slots in other zones and per device exactly', async () => {
    const { rows } = await db.pool.query<{ n: number }>({ text: `SELECT count(*)::float8 AS n FROM vitals_values WHERE site_id = $1::bigint`, values: [big.id] });
    expect(rows[0]!.n).toBe(big.sent.reduce((n, s) => n + Object.keys(s.values).length, 0));
    await check(big);
  });

  it('reads late beacons past the watermark fresh, then folds them into the aggregated month and day', async () => {
    const late = Array.from({ length: 300 }, () => beacon(Date.parse('2026-02-10T00:00:00Z') + Math.floor(rand() * 20 * 24 * HOUR)));
    const r = await ingestDirect(db.pool, { siteId: big.id, events: late.map((b) => b.event) });
    expect(r.rejected).toEqual([]);
    big.sent.push(...late.map((b) => b.sent));
    await check(big);
    const folded = await runVitalsRollup(db.pool);
    expect(folded.rows).toBe(300);
    await check(big);
  });

  it('n = 1, n = 2, ties, ranks on both sides of a bucket edge, a metric without samples, CLS', async () => {
    const ts = Date.parse('2026-02-15T12:00:00Z');
    const day = [[{ from: '2026-02-01', to: '2026-02-28', tz: 'America/New_York' }, Date.parse('2026-02-01T05:00:00Z'), Date.parse('2026-03-01T05:00:00Z')]] as typeof CASES;
    // n = 1 (only lcp: inp, cls, fcp, ttfb have no samples), then n = 2.
    const one = await makeSite('one', [event(ts, 'desktop', '/a', { lcp: 1000.25 })]);
    const two = await makeSite('two', [event(ts, 'desktop', '/a', { lcp: 2500, cls: 0.1 }), event(ts + 1, 'mobile', '/b', { lcp: 2500.0001, cls: 0.1000001 })]);
    // n = 6: rank 3.75 between the 4th (2500, last good bucket) and the 5th (2500.0001, first of the next region).
    const edge = await makeSite('edge', [1, 2, 3, 2500, 2500.0001, 9000].map((v, i) => event(ts + i * HOUR, 'desktop', '/e', { lcp: v, inp: 200, cls: 0.25 + i * 1e-9 })));
    // ties across the rank: every value the same, and two values only.
    const ties = await makeSite('ties', Array.from({ length: 9 }, (_, i) => event(ts + i, i % 2 ? 'mobile' : 'desktop', `/t${i % 3}`, { lcp: i < 5 ? 700 : 4000, ttfb: 800, cls: i < 7 ? 0 : 0.3 })));
    await runVitalsRollup(db.pool);
    for (const s of [one, two, edge, ties]) await check(s, day);
    const body = await vitals(one, day[0]![0]);
    expect(body.metrics.lcp.p75).toBe(1000.25);
    expect(body.metrics.inp).toEqual({ p75: null, samples: 0, good: 0, needs_improvement: 0, poor: 0 });
    expect((await vitals(edge, day[0]![0])).metrics.lcp.p75).toBe(2500 + 0.75 * (2500.0001 - 2500));
  });
});
