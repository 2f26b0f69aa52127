import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { bruteHeatmap, bruteHeatmapPages, type Device, type Kind, type SentBeacon } from './brute.test-helper.ts';
import { rebuildHeatmapRollups, runHeatmapRollup } from './rollup.ts';
import type { HeatmapReport } from './report.ts';

/**
 * The heatmap report (contract §4.3) end to end: heatmap beacons through ingestDirect (the
 * /collect validation and enrichment: device from the user agent, host and path from the URL),
 * the incremental rollup job, then GET through the app, held against bruteHeatmap.
 */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };
let readToken: string;

// No user agent at all → desktop (contract §4.3: "desktop when none").
const UA: Record<Device, string[]> = {
  desktop: ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', ''],
  mobile: ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'],
  tablet: ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'],
};
// One page written four ways (host case, query, fragment), and its look-alikes that are other pages.
const URLS = [
  'https://shop.test/products/p1', 'https://SHOP.Test/products/p1?color=red', 'https://shop.test/products/p1#reviews',
  'https://shop.test/products/p1?a=1#b', 'https://shop.test/products/P1', 'https://www.shop.test/products/p1', 'https://shop.test/products/p2',
];
const SELECTORS = ['select#size-picker', 'button.add-to-cart', 'img.gallery-main', undefined];

// from=2026-10-30, to=2026-11-02 in America/New_York spans the end of DST (2026-11-01):
// [2026-10-30T04:00Z, 2026-11-03T05:00Z), written out here rather than computed by the code under test.
const RANGE = { from: '2026-10-30', to: '2026-11-02', tz: 'America/New_York' };
const START = Date.parse('2026-10-30T04:00:00Z');
const END = Date.parse('2026-11-03T05:00:00Z');
const HOUR = 3_600_000;

let seed = 11;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function beacon(ts: number): { sent: SentBeacon; event: Record<string, unknown> } {
  const device = pick(['desktop', 'desktop', 'mobile', 'tablet'] as const);
  const ua = pick(UA[device]);
  const url = pick(URLS);
  const vid = `v${Math.floor(rand() * 40)}`;
  const scrollOnly = rand() < 0.1;
  const points = scrollOnly
    ? [{ x: 0, y: 0, kind: 'scroll' as Kind }]
    : Array.from({ length: 1 + Math.floor(rand() * 5) }, () => {
        const sel = pick(SELECTORS);
        // Fractional px (ingestion rounds) and points near cell edges (15.5 → 16, 15.4 → 15).
        const x = rand() < 0.2 ? pick([15.4, 15.5, 16, 31.9, 0]) : Math.round(rand() * 128_000) / 100;
        const y = rand() * 3000;
        return { x, y, kind: pick(['click', 'click', 'click', 'rage', 'dead'] as const) as Kind, ...(sel ? { sel } : {}) };
      });
  const scroll = rand() < 0.8 ? Math.round(rand() * 1000) / 10 : undefined;
  const sent: SentBeacon = { ts, vid, url, device, points, ...(scroll !== undefined ? { scroll } : {}) };
  const event = { type: 'heatmap', ts, vid, url, vw: 1280, dh: 3000, points, ...(scroll !== undefined ? { scroll } : {}), ...(ua ? { ua } : {}) };
  return { sent, event };
}

function generate(n: number): ReturnType<typeof beacon>[] {
  const out = Array.from({ length: n }, () => beacon(Math.floor(START - 48 * HOUR + rand() * (END - START + 96 * HOUR))));
  for (const ts of [START - 1, START, END - 1, END]) out.push(beacon(ts));
  return out;
}

/** UTC ms of local midnight starting `date` in `tz` (Intl only, nothing from the code under test). */
function localMidnight(date: string, tz: string): number {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const offset = (ms: number) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) - ms;
  };
  const first = guess - offset(guess);
  return guess - offset(first);
}
const addDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (path: string, query: Record<string, string>, token = readToken, siteId = site.id) =>
  app.request(`/api/v1/sites/${siteId}/reports/${path}?${new URLSearchParams(query).toString()}`, { headers: auth(token) });
const heatmap = async (query: Record<string, string>) => {
  const res = await get('heatmap', query);
  expect(res.status, JSON.stringify(query)).toBe(200);
  return (await res.json()) as HeatmapReport;
};

let sent: SentBeacon[];
beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const s = await createSite(db.pool, { name: 'heatmap', domain: 'shop.test', timezone: 'Europe/Paris' });
  site = { id: s.id, token: s.token };
  const o = await createSite(db.pool, { name: 'other', domain: 'other.test' });
  other = { id: o.id, token: o.token };
  readToken = await createToken(db.pool, s.id, 'read', 'test');
  const first = generate(300);
  const second = generate(300);
  sent = [...first, ...second].map((b) => b.sent);
  // Two ingests with a job run between them (incremental: nothing counted twice), the second in small batches.
  for (const [batch, maxRows] of [[first, undefined], [second, 97]] as const) {
    const r = await ingestDirect(db.pool, { siteId: site.id, events: batch.map((b) => b.event) });
    expect(r.rejected).toEqual([]);
    await runHeatmapRollup(db.pool, maxRows ? { maxRows } : {});
  }
  await ingestDirect(db.pool, { siteId: other.id, events: first.slice(0, 30).map((b) => b.event) });
  await runHeatmapRollup(db.pool);
  await runHeatmapRollup(db.pool); // nothing new: no change
});
afterAll(async () => db?.drop());

describe('GET …/reports/heatmap against the brute force', () => {
  it('counts one page (host case, query and fragment ignored) per device and kind in 16 px cells, with the scroll distribution', async () => {
    for (const device of ['desktop', 'mobile', 'tablet'] as const) {
      for (const kind of ['click', 'rage', 'dead'] as const) {
        const body = await heatmap({ ...RANGE, url: 'https://Shop.test/products/p1?utm_source=x#top', device, kind, selector: '1' });
        const want = bruteHeatmap(sent, { host: 'shop.test', path: '/products/p1', device, kind, start: START, end: END });
        expect(want.total, `${device} ${kind}`).toBeGreaterThan(0);
        expect(body).toEqual({
          url: 'https://shop.test/products/p1', device, kind, cell: 16,
          total: want.total, points: want.points, scroll: want.scroll, selectors: want.selectors.slice(0, 10),
        });
      }
    }
  });

  it('defaults to desktop clicks; other pages, paths (case-sensitive), hosts and zones agree', async () => {
    const dflt = await heatmap({ ...RANGE, url: 'https://shop.test/products/p1' });
    const want = bruteHeatmap(sent, { host: 'shop.test', path: '/products/p1', device: 'desktop', kind: 'click', start: START, end: END });
    expect(dflt).toMatchObject({ device: 'desktop', kind: 'click', total: want.total, points: want.points, scroll: want.scroll });
    expect(dflt.selectors).toBeUndefined();
    for (const [url, host, path, from, to, tz, start, end] of [
      ['https://shop.test/products/P1', 'shop.test', '/products/P1', '2026-10-30', '2026-11-02', 'America/New_York', START, END],
      ['https://WWW.shop.test/products/p1', 'www.shop.test', '/products/p1', '2026-11-01', '2026-11-01', 'America/New_York', Date.parse('2026-11-01T04:00:00Z'), Date.parse('2026-11-02T05:00:00Z')],
      ['https://shop.test/products/p2', 'shop.test', '/products/p2', '2026-11-02', '2026-11-02', 'Asia/Kathmandu', Date.parse('2026-11-01T18:15:00Z'), Date.parse('2026-11-02T18:15:00Z')],
      ['https://shop.test/products/p1', 'shop.test', '/products/p1', '2026-10-25', '2026-11-10', 'UTC', Date.parse('2026-10-25T00:00:00Z'), Date.parse('2026-11-11T00:00:00Z')],
      ['https://shop.test/nothing', 'shop.test', '/nothing', '2026-10-30', '2026-11-02', 'UTC', Date.parse('2026-10-30T00:00:00Z'), Date.parse('2026-11-03T00:00:00Z')],
    ] as const) {
      const body = await heatmap({ url, from, to, tz, kind: 'click', device: 'desktop' });
      const w = bruteHeatmap(sent, { host, path, device: 'desktop', kind: 'click', start, end });
      expect({ total: body.total, points: body.points, scroll: body.scroll }, `${url} ${from}..${to} ${tz}`).toEqual({ total: w.total, points: w.points, scroll: w.scroll });
    }
  });

  it('lists the pages with heatmap data and their click counts', async () => {
    const res = await get('heatmap/pages', RANGE);
    expect(res.status).toBe(200);
    const { pages } = (await res.json()) as { pages: { host: string; path: string; clicks: number; rage: number; dead: number; points: number }[] };
    const want = bruteHeatmapPages(sent, START, END);
    const key = (p: { host: string; path: string }) => `${p.host}${p.path}`;
    expect(pages.map(({ host, path, clicks, rage, dead, points }) => ({ host, path, clicks, rage, dead, points })).sort((a, b) => (key(a) < key(b) ? -1 : 1)))
      .toEqual(want.sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    expect(pages.map((p) => p.clicks)).toEqual([...pages.map((p) => p.clicks)].sort((a, b) => b - a));
  });

  it('a rebuild from the raw rows gives the same report', async () => {
    const before = await heatmap({ ...RANGE, url: 'https://shop.test/products/p1', device: 'mobile', kind: 'rage', selector: '1' });
    await rebuildHeatmapRollups(db.pool, { maxRows: 200 });
    expect(await heatmap({ ...RANGE, url: 'https://shop.test/products/p1', device: 'mobile', kind: 'rage', selector: '1' })).toEqual(before);
  });

  it('ranges over whole UTC months (sql/072 month tables) equal the brute force, late points included', async () => {
    // 2026-09-20 … 2026-12-10 on one page of its own host; the ranges below hold October and
    // November whole, with edge days and slots before and after them, across the end of DST.
    const from = Date.parse('2026-09-20T00:00:00Z');
    const span = Date.parse('2026-12-10T00:00:00Z') - from;
    const make = (n: number) => Array.from({ length: n }, () => {
      const b = beacon(Math.floor(from + rand() * span));
      const url = pick(['https://months.test/p', 'https://MONTHS.test/p?x=1']);
      return { sent: { ...b.sent, url }, event: { ...b.event, url } };
    });
    const early = make(400);
    // Month edges exactly: the last point before and the first in a month, at UTC midnight.
    for (const ts of ['2026-10-01T00:00:00Z', '2026-09-30T23:59:59.999Z', '2026-12-01T00:00:00Z', '2026-11-30T23:59:59.999Z']) {
      const b = beacon(Date.parse(ts));
      early.push({ sent: { ...b.sent, url: 'https://months.test/p' }, event: { ...b.event, url: 'https://months.test/p' } });
    }
    expect((await ingestDirect(db.pool, { siteId: site.id, events: early.map((b) => b.event) })).rejected).toEqual([]);
    await runHeatmapRollup(db.pool);
    // Late: older timestamps folded by a later run (into months already counted).
    const late = make(150);
    expect((await ingestDirect(db.pool, { siteId: site.id, events: late.map((b) => b.event) })).rejected).toEqual([]);
    await runHeatmapRollup(db.pool, { maxRows: 61 });
    sent.push(...early.map((b) => b.sent), ...late.map((b) => b.sent));
    for (const [f, t, tz] of [
      ['2026-09-25', '2026-12-05', 'America/New_York'], ['2026-10-01', '2026-11-30', 'UTC'],
      ['2026-09-30', '2026-12-01', 'Asia/Kathmandu'], ['2026-10-02', '2026-11-29', 'Europe/Paris'],
    ] as const) {
      const start = localMidnight(f, tz);
      const end = localMidnight(addDay(t), tz);
      for (const device of ['desktop', 'mobile'] as const) {
        for (const kind of ['click', 'dead'] as const) {
          const body = await heatmap({ url: 'https://months.test/p', from: f, to: t, tz, device, kind, selector: '1' });
          const w = bruteHeatmap(sent, { host: 'months.test', path: '/p', device, kind, start, end });
          expect(w.total).toBeGreaterThan(0);
          expect(body, `${f}..${t} ${tz} ${device} ${kind}`).toMatchObject({ total: w.total, points: w.points, scroll: w.scroll, selectors: w.selectors.slice(0, 10) });
        }
      }
      const res = await get('heatmap/pages', { from: f, to: t, tz });
      const { pages } = (await res.json()) as { pages: { host: string; path: string; clicks: number; rage: number; dead: number; points: number }[] };
      const want = bruteHeatmapPages(sent, start, end).find((p) => p.host === 'months.test');
      expect(pages.find((p) => p.host === 'months.test'), `${f}..${t} ${tz}`).toMatchObject(want!);
    }
  });

  it('answers 400 naming a missing url or an unknown device or kind, 404 for another site', async () => {
    for (const [query, name] of [
      [{}, 'url'], [{ url: 'not a url' }, 'url'], [{ url: 'ftp://shop.test/x' }, 'url'],
      [{ url: 'https://shop.test/', device: 'watch' }, 'device'], [{ url: 'https://shop.test/', kind: 'hover' }, 'kind'],
      [{ url: 'https://shop.test/', tz: 'Mars/Base' }, 'tz'], [{ url: 'https://shop.test/', selector: 'yes' }, 'selector'],
    ] as const) {
      const res = await get('heatmap', query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(new RegExp(`^${name}:`));
    }
    expect((await get('heatmap/pages', { device: 'watch' })).status).toBe(400);
    expect((await get('heatmap', { url: 'https://shop.test/products/p1' }, other.token)).status).toBe(404);
    expect((await get('heatmap/pages', {}, other.token)).status).toBe(404);
    const theirs = await get('heatmap', { ...RANGE, url: 'https://shop.test/products/p1' }, other.token, other.id);
    expect(theirs.status).toBe(200);
  });
});
