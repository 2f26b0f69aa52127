import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng, upsert } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteSteps, bruteUnits, type RawActivity, type RawFunnelOrder } from '../../../test/helpers/funnel-brute.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createSite } from '../../sites/sites.ts';
import { addDays, localDateToUtc } from '../common/params.ts';
import { funnelReport, type FunnelReport } from './report.ts';
import { createFunnel, deleteFunnel, type SavedFunnel } from './saved.ts';
import { savedFunnelReport } from './saved-report.ts';
import type { FunnelDefinition } from './schema.ts';
import { runFunnelStateJob } from './state-job.ts';

/**
 * Saved funnels from precomputed state (sql/081, state-job.ts) against the ad-hoc report and
 * the brute force, for many random ranges and zones (DST changes inside: Europe/Paris and
 * America/New_York leave summer time on 2026-10-25 and 2026-11-01), every order mode and unit;
 * then the incremental cases: a late event after a job run, a cancelled order, a re-saved and
 * a deleted funnel.
 */
const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const T0 = Date.parse('2026-10-15T00:00:00Z');
const DAYS = 30;
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'UTC'];
const PATHS = ['/', '/products/a', '/products/b', '/cart', '/checkout'];

type Beacon = Record<string, unknown>;
let db: TestDatabase;
let siteId: string;

function generate(seed: number, visitors: number, prefix: string): { beacons: Beacon[]; orders: Record<string, unknown>[] } {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const beacons: Beacon[] = [];
  const orders: Record<string, unknown>[] = [];
  for (let v = 0; v < visitors; v++) {
    const vid = `${prefix}v${v}`;
    const uid = v % 4 === 0 ? `${prefix}c${v}` : undefined;
    for (let s = 0; s < 1 + Math.floor(rand() * 4); s++) {
      // minutes, so that ties happen; some sessions start near midnights of the zones
      let ts = T0 + Math.floor(rand() * DAYS) * DAY + Math.floor(rand() * 24 * 60) * MIN;
      const sid = `${vid}s${s}`;
      for (let i = 0; i < 1 + Math.floor(rand() * 7); i++) {
        const extra: Beacon = uid && rand() < 0.4 ? { uid } : {};
        const r = rand();
        if (r < 0.65) beacons.push({ type: 'pageview', vid, sid, ts, url: `https://shop.test${pick(PATHS)}${rand() < 0.3 ? '?utm_source=news' : ''}`, ...extra });
        else beacons.push({ type: 'event', vid, sid, ts, name: pick(['add_to_cart', 'add_to_cart', 'search']), url: 'https://shop.test/cart', ...extra });
        ts += pick([0, 1, 2, 5, 20, 45, 180]) * MIN;
      }
      if (rand() < 0.4) {
        const total = 100 + v;
        orders.push({
          id: `${prefix}o${v}-${s}`, ...(uid && rand() < 0.5 ? {} : { visitor_id: vid }), ...(uid ? { customer_id: uid } : {}),
          status: pick(['paid', 'paid', 'fulfilled', 'refunded', 'pending', 'cancelled']), currency: pick(['EUR', 'USD']),
          subtotal: total, discount: 0, tax: 0, shipping: 0, total, created_at: new Date(ts + pick([0, 3, 25, 40]) * MIN).toISOString(),
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

const definitions: [string, FunnelDefinition][] = [];
for (const order of ['ordered', 'strict', 'unordered'] as const) {
  for (const unit of ['visitor', 'session'] as const) {
    definitions.push([`shop ${order} ${unit}`, {
      steps: [{ type: 'pageview', path: '/**' }, { type: 'pageview', path: '/products/*' }, { type: 'event', name: 'add_to_cart' }, { type: 'order' }],
      window_seconds: 6 * 3600, order, unit,
    }]);
    definitions.push([`order first ${order} ${unit}`, {
      steps: [{ type: 'order' }, { type: 'pageview', path: '/' }, { type: 'event', name: 'search' }],
      window_seconds: 2 * 86_400, order, unit,
    }]);
  }
}

/** Times to 1e-6 s: SQL sums the same doubles in another order. */
function normalized(r: FunnelReport): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v)));
}

function randomRanges(seed: number, n: number): { from: string; to: string; tz: string }[] {
  const rand = rng(seed);
  const out = [{ from: '2026-10-14', to: '2026-11-16', tz: 'Europe/Paris' }];
  for (let i = 0; i < n; i++) {
    const a = Math.floor(rand() * (DAYS + 2)) - 1;
    const len = Math.floor(rand() * 12);
    const day = (k: number) => new Date(T0 + k * DAY).toISOString().slice(0, 10);
    out.push({ from: day(a), to: day(a + len), tz: ZONES[Math.floor(rand() * ZONES.length)]! });
  }
  return out;
}

async function rawData(): Promise<{ acts: RawActivity[]; orders: RawFunnelOrder[] }> {
  const pvs = await db.pool.query(`SELECT 'pageview' AS kind, event_id::text AS id, visitor_id, session_id, occurred_at, user_id, path, NULL AS name, NULL::jsonb AS props, channel FROM pageviews WHERE site_id = $1
    UNION ALL SELECT 'event', event_id::text, visitor_id, session_id, occurred_at, user_id, path, name, props, channel FROM events WHERE site_id = $1`, [siteId]);
  const acts = pvs.rows.map((r) => ({
    kind: r.kind, id: r.id, visitorId: r.visitor_id, sessionId: r.session_id, at: (r.occurred_at as Date).getTime(), userId: r.user_id,
    path: r.kind === 'pageview' ? r.path : null, name: r.name ?? undefined, props: r.props, bvals: { channel: r.channel },
  }));
  const os = await db.pool.query('SELECT id, visitor_id, customer_id, status, created_at, currency, total FROM orders WHERE site_id = $1', [siteId]);
  const orders = os.rows.map((r) => ({ id: r.id, visitorId: r.visitor_id, customerId: r.customer_id, status: r.status, at: (r.created_at as Date).getTime(), currency: r.currency, total: Number(r.total) }));
  return { acts, orders };
}

const saved = new Map<string, SavedFunnel>();

async function expectSavedEqualsAdHoc(funnel: SavedFunnel, ranges: { from: string; to: string; tz: string }[], brute?: Awaited<ReturnType<typeof rawData>>) {
  for (const r of ranges) {
    const start = localDateToUtc(r.from, r.tz);
    const end = localDateToUtc(addDays(r.to, 1), r.tz);
    for (const breakdown of [undefined, 'channel']) {
      const got = await savedFunnelReport(db.pool, { siteId, funnel, start, end, breakdown });
      expect(got.source).toBe('state');
      const want = await funnelReport(db.pool, { siteId, start, end, definition: funnel, breakdown });
      expect({ range: r, breakdown, report: normalized(got.report) }).toEqual({ range: r, breakdown, report: normalized(want) });
    }
    if (brute) {
      const units = bruteUnits(funnel, brute.acts, brute.orders, start.getTime(), end.getTime());
      const got = await savedFunnelReport(db.pool, { siteId, funnel, start, end });
      expect(got.report.steps.map((s) => s.count)).toEqual(bruteSteps(funnel, units).map((s) => s.count));
    }
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'f', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' })).id;
  await load(generate(81, 70, 'a'));
  for (const [name, d] of definitions) saved.set(name, await createFunnel(db.pool, siteId, { name, ...d }));
  const first = await runFunnelStateJob(db.pool);
  expect(first.built).toBe(definitions.length);
}, 120_000);
afterAll(async () => db?.drop());

describe('saved funnel state', () => {
  it.each(definitions)('%s: equals the ad-hoc report and the brute force for random ranges and zones', async (name) => {
    const brute = await rawData();
    await expectSavedEqualsAdHoc(saved.get(name)!, randomRanges(name.length * 7 + 1, 14), brute);
  }, 120_000);

  it('stays equal after incremental runs: new visitors, late events older than the watermark, re-sent and cancelled orders', async () => {
    await load(generate(82, 30, 'b')); // new visitors, and orders of customers seen before
    const late = generate(83, 70, 'a'); // the same visitor ids as the first load, older times mixed in
    await load({ beacons: late.beacons.slice(0, 300), orders: [] });
    const job = await runFunnelStateJob(db.pool);
    expect(job.built).toBe(0);
    expect(job.visitors).toBeGreaterThan(0);
    const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM orders WHERE site_id = $1 AND status = 'paid' ORDER BY id LIMIT 10`, [siteId]);
    await db.pool.query(`UPDATE orders SET status = 'cancelled', updated_at = now() WHERE site_id = $1 AND id = ANY($2::text[])`, [siteId, rows.slice(0, 5).map((r) => r.id)]);
    await db.pool.query(`UPDATE orders SET visitor_id = 'bv1', created_at = created_at + interval '1 hour', updated_at = now() WHERE site_id = $1 AND id = ANY($2::text[])`, [siteId, rows.slice(5).map((r) => r.id)]);
    await runFunnelStateJob(db.pool);
    const brute = await rawData();
    for (const [name] of definitions) await expectSavedEqualsAdHoc(saved.get(name)!, randomRanges(name.length * 3 + 2, 4), brute);
  }, 240_000);

  it('a late event after the job run changes the unit after the next run', async () => {
    const funnel = saved.get('shop ordered visitor')!;
    const day = '2026-10-20';
    const start = localDateToUtc(day, 'UTC');
    const end = localDateToUtc(addDays(day, 1), 'UTC');
    const t = Date.parse('2026-10-20T12:00:00Z');
    await load({
      beacons: [
        { type: 'pageview', vid: 'late', sid: 'late1', ts: t, url: 'https://shop.test/' },
        { type: 'pageview', vid: 'late', sid: 'late1', ts: t + 2 * MIN, url: 'https://shop.test/products/a' },
      ],
      orders: [],
    });
    await runFunnelStateJob(db.pool);
    const before = (await savedFunnelReport(db.pool, { siteId, funnel, start, end })).report;
    // arrives after the run, with an older time than the rows already folded
    await load({ beacons: [{ type: 'event', vid: 'late', sid: 'late1', ts: t + 5 * MIN, name: 'add_to_cart', url: 'https://shop.test/cart' }], orders: [] });
    const stale = (await savedFunnelReport(db.pool, { siteId, funnel, start, end })).report;
    expect(stale.steps[2]!.count).toBe(before.steps[2]!.count);
    await runFunnelStateJob(db.pool);
    const after = (await savedFunnelReport(db.pool, { siteId, funnel, start, end })).report;
    expect(after.steps[2]!.count).toBe(before.steps[2]!.count + 1);
    expect(normalized(after)).toEqual(normalized(await funnelReport(db.pool, { siteId, start, end, definition: funnel })));
  });

  it('a cancelled order removes the conversion after the next run', async () => {
    const funnel = saved.get('shop ordered visitor')!;
    const start = localDateToUtc('2026-10-21', 'UTC');
    const end = localDateToUtc('2026-10-22', 'UTC');
    const t = Date.parse('2026-10-21T09:00:00Z');
    await load({
      beacons: [
        { type: 'pageview', vid: 'buyer', sid: 'b1', ts: t, url: 'https://shop.test/' },
        { type: 'pageview', vid: 'buyer', sid: 'b1', ts: t + MIN, url: 'https://shop.test/products/b' },
        { type: 'event', vid: 'buyer', sid: 'b1', ts: t + 2 * MIN, name: 'add_to_cart', url: 'https://shop.test/cart' },
      ],
      orders: [],
    });
    const order = { id: 'buyer-1', visitor_id: 'buyer', status: 'paid', currency: 'EUR', subtotal: 900, discount: 0, tax: 0, shipping: 0, total: 900, created_at: new Date(t + 10 * MIN).toISOString(), items: [{ product_id: 'p1', name: 'P', quantity: 1, unit_price: 900 }] };
    await upsert(db.pool, siteId, 'orders', [order]);
    await runFunnelStateJob(db.pool);
    const paid = (await savedFunnelReport(db.pool, { siteId, funnel, start, end })).report;
    await upsert(db.pool, siteId, 'orders', [{ ...order, status: 'cancelled' }]);
    await runFunnelStateJob(db.pool);
    const cancelled = (await savedFunnelReport(db.pool, { siteId, funnel, start, end })).report;
    expect(cancelled.completed).toBe(paid.completed - 1);
    expect(normalized(cancelled)).toEqual(normalized(await funnelReport(db.pool, { siteId, start, end, definition: funnel })));
  });

  it('an order-first session attempt whose session began before the range is not counted (as the ad-hoc report)', async () => {
    const funnel = saved.get('order first ordered session')!;
    const t = Date.parse('2026-10-23T00:00:00Z');
    await load({
      beacons: [
        { type: 'pageview', vid: 'anchor', sid: 'an1', ts: t - 10 * MIN, url: 'https://shop.test/cart' },
        { type: 'pageview', vid: 'anchor', sid: 'an1', ts: t + 10 * MIN, url: 'https://shop.test/' },
        { type: 'event', vid: 'anchor', sid: 'an1', ts: t + 15 * MIN, name: 'search', url: 'https://shop.test/' },
      ],
      orders: [],
    });
    await upsert(db.pool, siteId, 'orders', [{ id: 'anchor-1', visitor_id: 'anchor', status: 'paid', currency: 'EUR', subtotal: 5, discount: 0, tax: 0, shipping: 0, total: 5, created_at: new Date(t + 5 * MIN).toISOString(), items: [{ product_id: 'p1', name: 'P', quantity: 1, unit_price: 5 }] }]);
    await runFunnelStateJob(db.pool);
    const inside = { siteId, funnel, start: new Date(t), end: new Date(t + DAY) };
    const wider = { ...inside, start: new Date(t - DAY) };
    const people = async (start: Date) => (await funnelReport(db.pool, { siteId, start, end: inside.end, definition: funnel }, { step: 0, outcome: 'converted', limit: 10_000 })).people!.map((p) => p.visitor_id);
    expect(await people(inside.start)).not.toContain('anchor');
    expect(await people(wider.start)).toContain('anchor');
    for (const input of [inside, wider]) {
      const want = await funnelReport(db.pool, { siteId, start: input.start, end: input.end, definition: funnel });
      expect(normalized((await savedFunnelReport(db.pool, input)).report)).toEqual(normalized(want));
    }
  });

  it('a funnel saved again is built on the next run; a deleted funnel takes its state with it', async () => {
    const [name, d] = definitions[0]!;
    const again = await createFunnel(db.pool, siteId, { name: `${name} again`, ...d, window_seconds: 3600 });
    const start = localDateToUtc('2026-10-15', 'UTC');
    const end = localDateToUtc('2026-11-15', 'UTC');
    expect((await savedFunnelReport(db.pool, { siteId, funnel: again, start, end })).source).toBe('raw');
    expect((await runFunnelStateJob(db.pool)).built).toBe(1);
    await expectSavedEqualsAdHoc(again, randomRanges(5, 3));
    expect(await deleteFunnel(db.pool, siteId, again.id)).toBe(true);
    const left = await db.pool.query('SELECT count(*)::int AS n FROM funnel_attempts WHERE site_id = $1 AND funnel_id = $2', [siteId, again.id]);
    expect(left.rows[0].n).toBe(0);
    await runFunnelStateJob(db.pool);
  });
});
