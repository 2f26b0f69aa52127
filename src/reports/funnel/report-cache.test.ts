import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng, upsert } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteSteps, bruteUnits, type RawActivity, type RawFunnelOrder } from '../../../test/helpers/funnel-brute.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createSite } from '../../sites/sites.ts';
import { eraseVisitorsFromFunnels } from './erase-visitor.ts';
import { funnelReport, type FunnelReport } from './report.ts';
import { presetRanges, refreshFunnelReportCache, type PresetRange } from './report-cache.ts';
import { createFunnel, type SavedFunnel } from './saved.ts';
import { savedFunnelReport, stateReport } from './saved-report.ts';
import { runFunnelStateJob } from './state-job.ts';

/**
 * The preset-range report cache (sql/083, report-cache.ts) against the exact state path, the
 * ad-hoc report and the brute force: a site in America/New_York whose 30- and 90-day presets
 * contain the 2026-11-01 DST change, visitors whose attempts straddle each preset's `from`,
 * activity after the presets' `to` (the day after "today"), then a late event after a job run,
 * a cancelled order, an erase, a locked state row (the write's guard) and the next day.
 */
const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const TZ = 'America/New_York';
const NOW = new Date('2026-11-10T15:00:00Z'); // today in New York: 2026-11-10
const PATHS = ['/', '/', '/products/a', '/products/b', '/checkout'];

type Beacon = Record<string, unknown>;
let db: TestDatabase;
let siteId: string;
let funnels: SavedFunnel[];

/** Sessions around the presets' edges: their `from` midnights, the DST day, and after `to`. */
function generate(seed: number, visitors: number, prefix: string): { beacons: Beacon[]; orders: Record<string, unknown>[] } {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const edges = presetRanges(TZ, NOW).flatMap((r) => [r.start.getTime(), r.end.getTime()]).concat(Date.parse('2026-11-01T06:00:00Z'));
  const beacons: Beacon[] = [];
  const orders: Record<string, unknown>[] = [];
  for (let v = 0; v < visitors; v++) {
    const vid = `${prefix}v${v}`;
    for (let s = 0; s < 1 + Math.floor(rand() * 3); s++) {
      let ts = rand() < 0.6 ? pick(edges) + Math.floor((rand() - 0.5) * 6 * 60) * MIN : NOW.getTime() - Math.floor(rand() * 95) * DAY + Math.floor(rand() * 1440) * MIN;
      const sid = `${vid}s${s}`;
      for (let i = 0; i < 1 + Math.floor(rand() * 6); i++) {
        if (rand() < 0.7) beacons.push({ type: 'pageview', vid, sid, ts, url: `https://shop.test${pick(PATHS)}` });
        else beacons.push({ type: 'event', vid, sid, ts, name: 'add_to_cart', url: 'https://shop.test/cart' });
        ts += pick([0, 1, 3, 20, 90, 600]) * MIN;
      }
      if (rand() < 0.45) {
        const total = 100 + v;
        orders.push({
          id: `${prefix}o${v}-${s}`, visitor_id: vid, status: pick(['paid', 'paid', 'fulfilled', 'pending', 'cancelled']), currency: 'USD',
          subtotal: total, discount: 0, tax: 0, shipping: 0, total, created_at: new Date(ts + pick([1, 30, 300]) * MIN).toISOString(),
          items: [{ product_id: 'p1', name: 'P', quantity: 1, unit_price: total }],
        });
      }
    }
  }
  return { beacons, orders };
}

async function load(data: { beacons: Beacon[]; orders: Record<string, unknown>[] }) {
  for (let i = 0; i < data.beacons.length; i += 400) {
    const res = await ingestDirect(db.pool, { siteId, events: data.beacons.slice(i, i + 400) });
    expect(res.rejected).toEqual([]);
  }
  if (data.orders.length) await upsert(db.pool, siteId, 'orders', data.orders);
}

async function rawData(): Promise<{ acts: RawActivity[]; orders: RawFunnelOrder[] }> {
  const pvs = await db.pool.query(`SELECT 'pageview' AS kind, event_id::text AS id, visitor_id, session_id, occurred_at, user_id, path, NULL AS name, NULL::jsonb AS props FROM pageviews WHERE site_id = $1
    UNION ALL SELECT 'event', event_id::text, visitor_id, session_id, occurred_at, user_id, path, name, props FROM events WHERE site_id = $1`, [siteId]);
  const acts = pvs.rows.map((r) => ({
    kind: r.kind, id: r.id, visitorId: r.visitor_id, sessionId: r.session_id, at: (r.occurred_at as Date).getTime(), userId: r.user_id,
    path: r.kind === 'pageview' ? r.path : null, name: r.name ?? undefined, props: r.props, bvals: {},
  }));
  const os = await db.pool.query('SELECT id, visitor_id, customer_id, status, created_at, currency, total FROM orders WHERE site_id = $1', [siteId]);
  const orders = os.rows.map((r) => ({ id: r.id, visitorId: r.visitor_id, customerId: r.customer_id, status: r.status, at: (r.created_at as Date).getTime(), currency: r.currency, total: Number(r.total) }));
  return { acts, orders };
}

const near = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) < 1e-6);

/**
 * Every preset of every funnel: from the cache (when `cached`), equal to the state path, and —
 * once the state job has caught up with the raw rows — to the ad-hoc report and the brute force.
 */
async function expectPresets(cached: boolean, options: { now?: Date; caughtUp?: boolean } = {}): Promise<void> {
  const now = options.now ?? NOW;
  const brute = await rawData();
  for (const funnel of funnels) {
    for (const r of presetRanges(TZ, now)) {
      const got = await savedFunnelReport(db.pool, { siteId, funnel, start: r.start, end: r.end });
      expect({ days: r.days, source: got.source }).toEqual({ days: r.days, source: cached ? 'cache' : 'state' });
      expect(got.report).toEqual(await stateReport(db.pool, { siteId, funnel, start: r.start, end: r.end }));
      if (options.caughtUp === false) continue;
      expectClose(got.report, await funnelReport(db.pool, { siteId, start: r.start, end: r.end, definition: funnel }));
      const want = bruteSteps(funnel, bruteUnits(funnel, brute.acts, brute.orders, r.start.getTime(), r.end.getTime()));
      got.report.steps.forEach((s, i) => {
        expect({ days: r.days, i, count: s.count }).toEqual({ days: r.days, i, count: want[i]!.count });
        if (i > 0 && s.count > 0) expect(near(s.median_seconds_from_previous, want[i]!.median) && near(s.avg_seconds_from_previous, want[i]!.avg)).toBe(true);
      });
    }
  }
}

function expectClose(a: FunnelReport, b: FunnelReport) {
  const round = (r: FunnelReport) => JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v)));
  expect(round(a)).toEqual(round(b));
}

const cacheRows = async (funnelId: string) =>
  (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM funnel_report_cache WHERE site_id = $1 AND funnel_id = $2', [siteId, funnelId])).rows[0]!.n;

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'c', domain: 'shop.test', timezone: TZ, currency: 'USD' })).id;
  await load(generate(183, 80, 'a'));
  funnels = [
    await createFunnel(db.pool, siteId, {
      name: 'shop', steps: [{ type: 'pageview', path: '/' }, { type: 'pageview', path: '/products/*' }, { type: 'event', name: 'add_to_cart' }, { type: 'order' }],
      window_seconds: 2 * 86_400, order: 'ordered', unit: 'visitor',
    }),
    await createFunnel(db.pool, siteId, {
      name: 'session', steps: [{ type: 'pageview', path: '/products/*' }, { type: 'pageview', path: '/checkout' }, { type: 'order' }],
      window_seconds: 3 * 3600, order: 'strict', unit: 'session',
    }),
  ];
  expect((await runFunnelStateJob(db.pool)).built).toBe(2);
}, 120_000);
afterAll(async () => db?.drop());

describe('saved funnel report cache', () => {
  it('before the cache job: the state path; after it: each preset from the cache, equal to state, ad-hoc and brute force', async () => {
    await expectPresets(false);
    expect(await refreshFunnelReportCache(db.pool, { now: NOW })).toEqual({ funnels: 2, computed: 6, current: 0, raced: 0 });
    await expectPresets(true);
    expect(await refreshFunnelReportCache(db.pool, { now: NOW })).toEqual({ funnels: 2, computed: 0, current: 6, raced: 0 });
  }, 120_000);

  it('a breakdown or another range is never answered from the cache', async () => {
    const [r] = presetRanges(TZ, NOW) as [PresetRange];
    const funnel = funnels[0]!;
    expect((await savedFunnelReport(db.pool, { siteId, funnel, start: r.start, end: r.end, breakdown: 'channel' })).source).toBe('state');
    expect((await savedFunnelReport(db.pool, { siteId, funnel, start: new Date(r.start.getTime() + DAY), end: r.end })).source).toBe('state');
  });

  it('a late event: the cache serves until the state job folds it, then the state path until the cache job runs', async () => {
    const t = presetRanges(TZ, NOW)[0]!.start.getTime() + 2 * H; // inside every preset
    await load({ beacons: [
      { type: 'pageview', vid: 'late', sid: 'late1', ts: t, url: 'https://shop.test/' },
      { type: 'pageview', vid: 'late', sid: 'late1', ts: t + MIN, url: 'https://shop.test/products/a' },
    ], orders: [] });
    await expectPresets(true, { caughtUp: false }); // not folded yet: the cache equals the state path
    await runFunnelStateJob(db.pool);
    expect(await cacheRows(funnels[0]!.id)).toBe(0);
    await expectPresets(false);
    await refreshFunnelReportCache(db.pool, { now: NOW });
    await expectPresets(true);
  }, 120_000);

  it('a cancelled order stops the cache at once (order totals are read live), and the next runs agree', async () => {
    const { start, end } = presetRanges(TZ, NOW)[2]!;
    const paid = (await db.pool.query<{ id: string }>(`SELECT o.id FROM orders o JOIN funnel_order_links l ON l.site_id = o.site_id AND l.order_id = o.id
      WHERE o.site_id = $1 AND l.funnel_id = $2 AND o.status = 'paid' AND o.created_at >= $3 ORDER BY o.id LIMIT 1`, [siteId, funnels[0]!.id, start])).rows[0]!.id;
    const before = (await savedFunnelReport(db.pool, { siteId, funnel: funnels[0]!, start, end })).report;
    await db.pool.query(`UPDATE orders SET status = 'cancelled', updated_at = now() WHERE site_id = $1 AND id = $2`, [siteId, paid]);
    await expectPresets(false, { caughtUp: false });
    await runFunnelStateJob(db.pool);
    await refreshFunnelReportCache(db.pool, { now: NOW });
    await expectPresets(true);
    const after = (await savedFunnelReport(db.pool, { siteId, funnel: funnels[0]!, start, end })).report;
    expect(after.completed).toBeLessThanOrEqual(before.completed);
  }, 120_000);

  it('an erase deletes the funnels\' cached reports in its own transaction', async () => {
    const erased = (await db.pool.query<{ v: string }>(`SELECT visitor_id AS v FROM funnel_attempts WHERE site_id = $1
      GROUP BY visitor_id HAVING count(DISTINCT funnel_id) = 2 ORDER BY visitor_id LIMIT 2`, [siteId])).rows.map((r) => r.v);
    expect(erased.length).toBe(2);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await eraseVisitorsFromFunnels(client, siteId, erased);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    for (const f of funnels) expect(await cacheRows(f.id)).toBe(0);
    // the rest of the erase (privacy/erase.ts does it all in one transaction)
    for (const t of ['pageviews', 'events', 'orders']) await db.pool.query(`DELETE FROM ${t} WHERE site_id = $1 AND visitor_id = ANY($2::text[])`, [siteId, erased]);
    await refreshFunnelReportCache(db.pool, { now: NOW });
    await expectPresets(true);
  }, 120_000);

  it('no cache row is written while a state write holds the funnel (the guard), and the next day replaces the presets', async () => {
    await load({ beacons: [
      { type: 'pageview', vid: 'guard', sid: 'g1', ts: NOW.getTime() - H, url: 'https://shop.test/' },
      { type: 'pageview', vid: 'guard', sid: 'g1', ts: NOW.getTime() - H + MIN, url: 'https://shop.test/products/b' },
    ], orders: [] });
    await runFunnelStateJob(db.pool);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('UPDATE funnel_state SET orders_at = orders_at WHERE site_id = $1', [siteId]);
      expect(await refreshFunnelReportCache(db.pool, { now: NOW })).toEqual({ funnels: 2, computed: 0, current: 0, raced: 6 });
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    const tomorrow = new Date(NOW.getTime() + DAY);
    expect((await refreshFunnelReportCache(db.pool, { now: tomorrow })).computed).toBe(6);
    for (const f of funnels) expect(await cacheRows(f.id)).toBe(3);
    await expectPresets(true, { now: tomorrow });
  }, 120_000);
});
