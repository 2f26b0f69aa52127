import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng, upsert } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteBreakdown, bruteSteps, bruteUnits, type RawActivity, type RawFunnelOrder } from '../../../test/helpers/funnel-brute.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { runSearchRollup } from '../search/rollup.ts';
import { createSite } from '../../sites/sites.ts';
import { addDays, localDateToUtc } from '../common/params.ts';
import { funnelPeople, funnelReport, type StepReport } from './report.ts';
import type { FunnelDefinition } from './schema.ts';

/**
 * The funnel SQL against the brute force (test/helpers/funnel-brute.ts) on data sent through
 * the real ingestion path, with issue #15's edge cases written in by hand: repeated attempts,
 * the window's edge and one second past it, a DST change inside the range (Europe/Paris,
 * 2026-10-25) with steps on its first and last day, strict interrupted, unordered reversed,
 * sessions crossing, customer-id-only orders, cancelled/pending orders, equal timestamps.
 */
const TZ = 'Europe/Paris';
const FROM = '2026-10-20';
const TO = '2026-10-30';
const START = localDateToUtc(FROM, TZ);
const END = localDateToUtc(addDays(TO, 1), TZ);
const MIN = 60_000;
const PATHS = ['/', '/products/a', '/products/b/c', '/cart', '/checkout', '/blog/x.y'];

let db: TestDatabase;
let siteId: string;
let acts: RawActivity[];
let orders: RawFunnelOrder[];

type Beacon = Record<string, unknown>;

function generate(): { beacons: Beacon[]; orders: Record<string, unknown>[] } {
  const rand = rng(15);
  const beacons: Beacon[] = [];
  const ord: Record<string, unknown>[] = [];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const pv = (vid: string, sid: string, ts: number, path: string, extra: Beacon = {}) =>
    beacons.push({ type: 'pageview', vid, sid, ts, url: `https://shop.test${path}?utm_source=${Math.floor(rand() * 40)}`, ...extra });
  const ev = (vid: string, sid: string, ts: number, name: string, props?: Beacon, extra: Beacon = {}) =>
    beacons.push({ type: 'event', vid, sid, ts, name, url: 'https://shop.test/cart', ...(props ? { props } : {}), ...extra });
  const order = (id: string, at: number, status: string, visitor: string | null, customer: string | null, total = 1000, currency = 'EUR') =>
    ord.push({ id, ...(visitor ? { visitor_id: visitor } : {}), ...(customer ? { customer_id: customer } : {}), status, currency, subtotal: total, discount: 0, tax: 0, shipping: 0, total, created_at: new Date(at).toISOString(), items: [{ product_id: 'p1', name: 'P', quantity: 1, unit_price: total }] });

  // Random shoppers: minute-rounded times so that equal timestamps happen.
  const span = END.getTime() - START.getTime() + 2 * 86_400_000;
  for (let v = 0; v < 80; v++) {
    const vid = `v${v}`;
    const uid = v % 5 === 0 ? `c${v}` : undefined;
    const sessions = 1 + Math.floor(rand() * 3);
    for (let s = 0; s < sessions; s++) {
      let ts = Math.floor((START.getTime() - 86_400_000 + rand() * span) / MIN) * MIN;
      const sid = `${vid}s${s}`;
      const n = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < n; i++) {
        const r = rand();
        const extra: Beacon = uid && rand() < 0.5 ? { uid } : {};
        if (r < 0.6) pv(vid, sid, ts, pick(PATHS), { ...extra, ...(rand() < 0.3 ? { ref: 'https://www.google.com/' } : {}) });
        else if (r < 0.85) ev(vid, sid, ts, 'add_to_cart', { sku: pick(['a', 'b']), qty: pick([1, '1']) }, extra);
        else ev(vid, sid, ts, 'search', { q: 'shoe' }, extra);
        ts += Math.floor(rand() * 4) * MIN; // 0 → a tie
      }
      if (rand() < 0.35) {
        const status = pick(['paid', 'paid', 'fulfilled', 'refunded', 'pending', 'cancelled']);
        const byCustomerOnly = uid && rand() < 0.5;
        order(`o${v}-${s}`, ts + pick([0, 5, 29, 31]) * MIN, status, byCustomerOnly ? null : vid, uid ?? null, 500 + v, pick(['EUR', 'EUR', 'USD']));
      }
    }
  }

  const t0 = Date.parse('2026-10-22T10:00:00Z');
  const H = 3_600_000;
  // Window edge (1 h in the tests' windows): exactly at it counts, one second later does not.
  pv('edge-in', 'e1', t0, '/'); pv('edge-in', 'e1', t0 + H, '/checkout');
  pv('edge-out', 'e2', t0, '/'); pv('edge-out', 'e2', t0 + H + 1000, '/checkout');
  // DST: Paris leaves summer time on 2026-10-25. First local day starts 2026-10-19T22:00Z, the
  // day after the last starts 2026-10-30T23:00Z (winter time).
  pv('dst-first', 'd1', Date.parse('2026-10-19T22:00:00Z'), '/'); pv('dst-first', 'd1', Date.parse('2026-10-19T22:10:00Z'), '/checkout');
  pv('dst-before', 'd2', Date.parse('2026-10-19T21:59:59Z'), '/'); pv('dst-before', 'd2', Date.parse('2026-10-19T22:05:00Z'), '/checkout');
  pv('dst-last', 'd3', Date.parse('2026-10-30T22:50:00Z'), '/'); pv('dst-last', 'd3', Date.parse('2026-10-30T22:59:59Z'), '/checkout');
  pv('dst-after', 'd4', Date.parse('2026-10-30T22:55:00Z'), '/'); pv('dst-after', 'd4', Date.parse('2026-10-30T23:00:00Z'), '/checkout');
  pv('dst-across', 'd5', Date.parse('2026-10-25T00:30:00Z'), '/'); pv('dst-across', 'd5', Date.parse('2026-10-25T01:20:00Z'), '/checkout');
  // Strict interrupted by another pageview; the order in between does not interrupt.
  pv('strict', 's1', t0, '/'); pv('strict', 's1', t0 + MIN, '/blog/x.y'); pv('strict', 's1', t0 + 2 * MIN, '/checkout');
  pv('strict-ok', 's2', t0, '/'); order('o-strict', t0 + 30_000, 'paid', 'strict-ok', null); pv('strict-ok', 's2', t0 + MIN, '/checkout');
  // Unordered: the steps in reverse order.
  pv('reverse', 'r1', t0, '/checkout'); pv('reverse', 'r1', t0 + MIN, '/');
  // Repeated attempts: the first reaches depth 1, a later one completes.
  pv('repeat', 'p1', t0, '/'); pv('repeat', 'p1', t0 + 3 * H, '/'); pv('repeat', 'p1', t0 + 3 * H + 2 * MIN, '/checkout');
  // An attempt crossing two sessions: complete per visitor, not per session.
  pv('cross', 'x1', t0, '/'); pv('cross', 'x2', t0 + 40 * MIN, '/checkout');
  // Customer-id-only order; cancelled and pending orders; the same timestamp twice.
  pv('cust', 'c1', t0, '/checkout', { uid: 'cust-1' }); order('o-cust', t0 + 10 * MIN, 'paid', null, 'cust-1', 4200, 'USD');
  pv('cancel', 'k1', t0, '/checkout'); order('o-cancel', t0 + MIN, 'cancelled', 'cancel', null); order('o-pend', t0 + MIN, 'pending', 'cancel', null);
  // Equal times are ordered by id as text: the ids decide which came first.
  const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  pv('tie', 't1', t0, '/', { id: uuid(1) }); pv('tie', 't1', t0, '/checkout', { id: uuid(2) });
  pv('tie-rev', 't2', t0, '/', { id: uuid(4) }); pv('tie-rev', 't2', t0, '/checkout', { id: uuid(3) });
  return { beacons, orders: ord };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const site = await createSite(db.pool, { name: 'f', domain: 'shop.test', timezone: TZ, currency: 'EUR' });
  siteId = site.id;
  const data = generate();
  const res = await ingestDirect(db.pool, { siteId, events: data.beacons });
  expect(res.rejected).toEqual([]);
  await upsert(db.pool, siteId, 'orders', data.orders);
  await loadRaw();
}, 60_000);
afterAll(async () => db?.drop());

/** The stored rows, as the brute force reads them. */
async function loadRaw() {
  const pvs = await db.pool.query(`SELECT 'pageview' AS kind, event_id::text AS id, visitor_id, session_id, occurred_at, user_id, path, NULL AS name, NULL::jsonb AS props, channel, device, country, browser, utm_source, utm_campaign FROM pageviews WHERE site_id = $1
    UNION ALL SELECT 'event', event_id::text, visitor_id, session_id, occurred_at, user_id, path, name, props, channel, device, country, browser, NULL, NULL FROM events WHERE site_id = $1`, [siteId]);
  acts = pvs.rows.map((r) => ({
    kind: r.kind, id: r.id, visitorId: r.visitor_id, sessionId: r.session_id, at: (r.occurred_at as Date).getTime(), userId: r.user_id,
    path: r.kind === 'pageview' ? r.path : null, name: r.name ?? undefined, props: r.props,
    bvals: { channel: r.channel, device: r.device, country: r.country, browser: r.browser, utm_source: r.utm_source, utm_campaign: r.utm_campaign },
  }));
  const os = await db.pool.query('SELECT id, visitor_id, customer_id, status, created_at, currency, total FROM orders WHERE site_id = $1', [siteId]);
  orders = os.rows.map((r) => ({ id: r.id, visitorId: r.visitor_id, customerId: r.customer_id, status: r.status, at: (r.created_at as Date).getTime(), currency: r.currency, total: Number(r.total) }));
}

function expectSteps(actual: StepReport[], expected: ReturnType<typeof bruteSteps>) {
  expect(actual.map((s) => s.count)).toEqual(expected.map((s) => s.count));
  actual.forEach((s, i) => {
    const e = expected[i]!;
    if (e.median === null) expect(s.median_seconds_from_previous).toBeNull();
    else expect(s.median_seconds_from_previous).toBeCloseTo(e.median, 6);
    if (e.avg === null) expect(s.avg_seconds_from_previous).toBeNull();
    else expect(s.avg_seconds_from_previous).toBeCloseTo(e.avg, 6);
    const prev = i === 0 ? null : actual[i - 1]!.count;
    expect(s.dropoff).toBe(prev === null ? 0 : prev - s.count);
    expect(s.conversion_from_previous).toBe(prev === null ? null : prev === 0 ? 0 : s.count / prev);
    expect(s.conversion_from_start).toBe(actual[0]!.count === 0 ? 0 : s.count / actual[0]!.count);
  });
}

const twoStep: FunnelDefinition['steps'] = [{ type: 'pageview', path: '/' }, { type: 'pageview', path: '/checkout' }];
const shop: FunnelDefinition['steps'] = [
  { type: 'pageview', path: '/**' }, { type: 'pageview', path: '/products/*' },
  { type: 'event', name: 'add_to_cart', props: { qty: 1 } }, { type: 'order', label: 'Paid' },
];
const cases: [string, FunnelDefinition, string?][] = [];
for (const order of ['ordered', 'strict', 'unordered'] as const) {
  for (const unit of ['visitor', 'session'] as const) {
    cases.push([`two steps ${order} ${unit}`, { steps: twoStep, window_seconds: 3600, order, unit }, 'channel']);
    cases.push([`shop ${order} ${unit}`, { steps: shop, window_seconds: 3 * 3600, order, unit }, 'utm_source']);
    cases.push([`checkout→order ${order} ${unit}`, { steps: [{ type: 'pageview', path: '/checkout' }, { type: 'order' }, { type: 'event', name: 'search' }], window_seconds: 86_400, order, unit }, 'device']);
  }
}

describe('funnel report against the brute force', () => {
  it.each(cases)('%s', async (_name, definition, breakdown) => {
    const input = { siteId, start: START, end: END, definition, breakdown };
    const report = await funnelReport(db.pool, input);
    const units = bruteUnits(definition, acts, orders, START.getTime(), END.getTime(), breakdown);
    const steps = bruteSteps(definition, units);
    expectSteps(report.steps, steps);
    if (process.env.FUNNEL_DEBUG) console.log(_name, JSON.stringify(report.steps.map((s) => s.count)), report.breakdown!.length, JSON.stringify(report.steps.map((s) => s.revenue ?? null)));
    expect(report.entered).toBeGreaterThan(0);
    expect(report.entered).toBe(steps[0]!.count);
    expect(report.completed).toBe(steps[steps.length - 1]!.count);
    const keys = bruteBreakdown(definition, units);
    expect(new Set(report.breakdown!.map((b) => b.key))).toEqual(new Set(keys.keys()));
    for (const b of report.breakdown!) expectSteps(b.steps, keys.get(b.key)!);
    definition.steps.forEach((step, k) => {
      if (step.type !== 'order') return;
      const done = new Map<string, RawFunnelOrder>();
      for (const u of units) { const id = u.orderIdsByStep.get(k); if (id) done.set(id, orders.find((o) => o.id === id)!); }
      const byCurrency = new Map<string, { currency: string; orders: number; gross: number }>();
      for (const o of done.values()) {
        const r = byCurrency.get(o.currency) ?? { currency: o.currency, orders: 0, gross: 0 };
        r.orders++; r.gross += o.total; byCurrency.set(o.currency, r);
      }
      expect(report.steps[k]!.revenue).toEqual([...byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1)));
    });
    // people: every dropped and converted unit of step 1
    for (const outcome of ['dropped', 'converted'] as const) {
      const people = await funnelPeople(db.pool, input, { step: 1, outcome, limit: 10_000 });
      const want = units.filter((u) => (outcome === 'converted' ? u.depth > 1 : u.depth === 1));
      expect(people.map((p) => `${p.visitor_id}|${p.session_id ?? ''}|${p.entered_at}`).sort())
        .toEqual(want.map((u) => `${u.visitorId}|${u.sessionId ?? ''}|${new Date(u.enteredAt).toISOString()}`).sort());
    }
  });

  it('holds the hand-written edge cases', async () => {
    const visitorsAt = async (definition: FunnelDefinition, step: number) =>
      (await funnelPeople(db.pool, { siteId, start: START, end: END, definition }, { step, outcome: 'converted', limit: 10_000 })).map((p) => p.visitor_id);
    const ordered = await visitorsAt({ steps: twoStep, window_seconds: 3600, order: 'ordered', unit: 'visitor' }, 1);
    expect(ordered).toEqual(expect.arrayContaining(['edge-in', 'dst-first', 'dst-last', 'dst-across', 'strict', 'repeat', 'cross', 'tie']));
    for (const out of ['edge-out', 'dst-before', 'dst-after', 'reverse', 'tie-rev']) expect(ordered).not.toContain(out);
    const strict = await visitorsAt({ steps: twoStep, window_seconds: 3600, order: 'strict', unit: 'visitor' }, 1);
    expect(strict).toContain('strict-ok');
    expect(strict).not.toContain('strict');
    expect(await visitorsAt({ steps: twoStep, window_seconds: 3600, order: 'unordered', unit: 'visitor' }, 1)).toContain('reverse');
    expect(await visitorsAt({ steps: twoStep, window_seconds: 3600, order: 'ordered', unit: 'session' }, 1)).not.toContain('cross');
    const paid = await visitorsAt({ steps: [{ type: 'pageview', path: '/checkout' }, { type: 'order' }], window_seconds: 3600, order: 'ordered', unit: 'visitor' }, 1);
    expect(paid).toContain('cust');
    expect(paid).not.toContain('cancel');
  });

  // Runs last: it adds rows. The uid link reads search_visitor_uids up to the search job's
  // watermark and the raw rows past it (query.ts); both halves must give the brute force's numbers.
  it('links customer ids from the search job\'s uid table and from the raw rows past its watermark', async () => {
    await runSearchRollup(db.pool);
    const t = START.getTime() + 3 * 86_400_000 + 12 * 3_600_000;
    const late = await ingestDirect(db.pool, { siteId, events: [{ type: 'pageview', vid: 'late-uid', sid: 'lu1', ts: t, url: 'https://shop.test/checkout', uid: 'cust-late' }] });
    expect(late.rejected).toEqual([]);
    await upsert(db.pool, siteId, 'orders', [{ id: 'o-late-uid', customer_id: 'cust-late', status: 'paid', currency: 'EUR', subtotal: 700, discount: 0, tax: 0, shipping: 0, total: 700,
      created_at: new Date(t + 5 * MIN).toISOString(), items: [{ product_id: 'p1', name: 'P', quantity: 1, unit_price: 700 }] }]);
    await loadRaw();
    const toOrder: FunnelDefinition = { steps: [{ type: 'pageview', path: '/checkout' }, { type: 'order' }], window_seconds: 3600, order: 'ordered', unit: 'visitor' };
    for (const definition of [toOrder, { steps: shop, window_seconds: 3 * 3600, order: 'ordered', unit: 'visitor' } as FunnelDefinition]) {
      const report = await funnelReport(db.pool, { siteId, start: START, end: END, definition });
      expectSteps(report.steps, bruteSteps(definition, bruteUnits(definition, acts, orders, START.getTime(), END.getTime())));
    }
    const paid = (await funnelPeople(db.pool, { siteId, start: START, end: END, definition: toOrder }, { step: 1, outcome: 'converted', limit: 10_000 })).map((p) => p.visitor_id);
    expect(paid).toEqual(expect.arrayContaining(['cust', 'late-uid']));
  });
});
