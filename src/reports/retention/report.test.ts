import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng, upsert } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { createSite } from '../../sites/sites.ts';
import { bruteRetention, type BruteData, type BruteOrder, type BrutePageview, type BruteQuery, type BruteRefund } from './brute.test-helper.ts';
import { retentionReport, type RetentionSource } from './report.ts';
import { rebuildRetentionRollup, runRetentionRollup } from './rollup.ts';

/**
 * The retention report against a brute force over the raw rows (brute.test-helper.ts) on
 * generated data spanning Paris's DST change (25 Oct 2026) and a year end, in Paris, New York and
 * Asia/Kolkata (+05:30), with instants a second either side of local midnights inside one UTC
 * day, late older pageviews, refunds in later periods and in another currency, cancelled first
 * orders, and `to` in the middle of a period; incremental runs between the changes must equal a
 * fresh rebuild.
 */

let db: TestDatabase;
let siteId: string;
const rand = rng(16);
const START = Date.parse('2026-09-25T00:00:00Z');
const END = Date.parse('2027-02-10T00:00:00Z');
const CHANNELS = ['direct', 'organic', 'paid', 'social'];
const COUNTRIES = ['FR', 'IN', 'US', null];
const DEVICES = ['desktop', 'mobile', 'tablet'];
// Local midnights: Paris DST end and the Monday after it, Paris and Kolkata month/year ends.
const EDGES = ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T22:59:59Z', '2026-10-25T23:00:00Z',
  '2026-10-31T22:59:59Z', '2026-10-31T23:00:00Z', '2026-10-31T18:29:59Z', '2026-10-31T18:30:00Z',
  '2026-12-31T22:59:59Z', '2026-12-31T23:00:00Z', '2026-12-31T18:29:59Z', '2026-12-31T18:30:00Z', '2027-01-01T04:59:59Z'];

const data: BruteData = { pageviews: [], orders: [], refunds: [] };
const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
const uuid = () => crypto.randomUUID();

function pageviews(n: number, from: number, to: number, visitors: number, prefix = 'v'): BrutePageview[] {
  return Array.from({ length: n }, (_, i) => ({
    visitor_id: `${prefix}${Math.floor(rand() * visitors)}`,
    occurred_at: i < EDGES.length && prefix === 'v' ? EDGES[i]! : new Date(from + Math.floor(rand() * (to - from))).toISOString(),
    event_id: uuid(), channel: pick(CHANNELS), country: pick(COUNTRIES), device: pick(DEVICES),
  }));
}

async function insertPageviews(rows: BrutePageview[]): Promise<void> {
  data.pageviews.push(...rows);
  await db.pool.query({
    text: `INSERT INTO pageviews (site_id, occurred_at, received_at, event_id, visitor_id, session_id, url, host, path, channel, country, device)
           SELECT $1::bigint, t.at, t.at, t.id, t.vid, t.vid || '-s', 'https://shop.test/', 'shop.test', '/', t.channel, t.country, t.device
           FROM unnest($2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(at, id, vid, channel, country, device)`,
    values: [siteId, rows.map((r) => r.occurred_at), rows.map((r) => r.event_id), rows.map((r) => r.visitor_id),
      rows.map((r) => r.channel), rows.map((r) => r.country), rows.map((r) => r.device)],
  });
}

function order(id: string, at: string, status = pick(['paid', 'paid', 'fulfilled', 'refunded', 'pending', 'cancelled'])): BruteOrder & Record<string, unknown> {
  const total = 1000 + Math.floor(rand() * 9000);
  return {
    id, customer_id: rand() < 0.1 ? null : `c${Math.floor(rand() * 40)}`, visitor_id: rand() < 0.2 ? null : `v${Math.floor(rand() * 150)}`,
    status, currency: rand() < 0.8 ? 'EUR' : 'USD', subtotal: total, discount: 0, tax: 0, shipping: 0, total, created_at: at,
    items: [{ product_id: 'p1', name: 'P1', quantity: 1, unit_price: total }],
  };
}

async function upsertOrders(list: (BruteOrder & Record<string, unknown>)[]): Promise<void> {
  for (const o of list) {
    const i = data.orders.findIndex((x) => x.id === o.id);
    if (i >= 0) data.orders[i] = o; else data.orders.push(o);
  }
  await upsert(db.pool, siteId, 'orders', list);
}

async function upsertRefunds(list: (BruteRefund & { id: string })[]): Promise<void> {
  data.refunds.push(...list);
  await upsert(db.pool, siteId, 'refunds', list);
}

const QUERIES: BruteQuery[] = [];
for (const cohort of ['visitor', 'customer'] as const) {
  for (const tz of ['Europe/Paris', 'Asia/Kolkata', 'America/New_York']) {
    QUERIES.push({ cohort, period: 'week', from: '2026-10-01', to: '2027-01-14', tz, currency: 'EUR' });
    QUERIES.push({ cohort, period: 'month', from: '2026-09-15', to: '2027-01-20', tz, currency: 'EUR' });
    QUERIES.push({ cohort, period: 'day', from: '2026-10-20', to: '2026-11-03', tz, currency: 'USD' });
  }
  QUERIES.push({ cohort, period: 'week', from: '2026-10-05', to: '2026-12-31', tz: 'Europe/Paris', currency: 'EUR', segment: 'channel' });
  QUERIES.push({ cohort, period: 'month', from: '2026-10-01', to: '2027-01-31', tz: 'Asia/Kolkata', currency: 'USD', segment: 'country' });
  QUERIES.push({ cohort, period: 'month', from: '2026-10-01', to: '2027-01-31', tz: 'Europe/Paris', currency: 'EUR', segment: 'device' });
}

/** The generated data must exercise what is compared: retained members, money, several cohorts. */
function expectMeaningful(): void {
  const visitors = bruteRetention(data, QUERIES[0]!);
  expect(visitors.cohorts.length).toBeGreaterThan(5);
  expect(visitors.cohorts.some((c) => c.values.some((v) => v.period > 0 && v.count > 0))).toBe(true);
  const customers = bruteRetention(data, QUERIES.find((q) => q.cohort === 'customer' && q.period === 'month')!);
  expect(customers.cohorts.some((c) => c.revenue!.some((r) => r.period > 0 && r.cumulative_per_member > c.revenue![0]!.cumulative_per_member))).toBe(true);
  expect(customers.repeat_purchase_rate).toBeGreaterThan(0);
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b));
/** Which path answered each query at the last expectAllMatch (visitor week/month in the counts' zone: the cohort counts). */
const sources = new Map<string, RetentionSource>();
async function expectAllMatch(): Promise<void> {
  for (const q of QUERIES) {
    const t0 = performance.now();
    const got = await retentionReport(db.pool, siteId, q, { onSource: (s) => sources.set(JSON.stringify(q), s) });
    const t1 = performance.now();
    // The cohort counts (sql/091) and the exact path agree whatever the brute force says.
    expect(got, JSON.stringify(q)).toEqual(await retentionReport(db.pool, siteId, q, { exact: true }));
    const want = bruteRetention(data, q);
    if (process.env.RETENTION_TIMING) console.log(q.cohort, q.period, q.tz, q.segment, 'report', (t1 - t0).toFixed(0), 'brute', (performance.now() - t1).toFixed(0));
    const label = JSON.stringify(q);
    expect(got.cohorts.map((c) => [c.cohort, c.segment, c.size, c.values.map((v) => v.count)]), label)
      .toEqual(want.cohorts.map((c) => [c.cohort, c.segment, c.size, c.values.map((v) => v.count)]));
    for (const [i, c] of got.cohorts.entries()) {
      const w = want.cohorts[i]!;
      for (const [k, v] of c.values.entries()) expect(close(v.rate, w.values[k]!.rate), label).toBe(true);
      if (q.cohort === 'customer') {
        expect(c.revenue!.map((r) => r.cumulative_per_member).every((x, k) => close(x, w.revenue![k]!.cumulative_per_member)), `${label} ${c.cohort}`).toBe(true);
      }
    }
    if (q.cohort === 'customer') {
      const summary = got.summary as { repeat_purchase_rate: number; median_days_to_second_order: number | null };
      expect(close(summary.repeat_purchase_rate, want.repeat_purchase_rate), label).toBe(true);
      expect(summary.median_days_to_second_order === null ? null : Number(summary.median_days_to_second_order.toFixed(9)), label)
        .toEqual(want.median_days_to_second_order === null ? null : Number(want.median_days_to_second_order.toFixed(9)));
    }
  }
}

/** The cohort counts answer exactly the week/month queries in `tz`, the rest read the exact path. */
function expectSources(tz: string): void {
  for (const q of QUERIES) {
    const fast = q.period !== 'day' && q.tz === tz;
    expect(sources.get(JSON.stringify(q)), JSON.stringify(q)).toBe(fast ? 'cohort_counts' : 'rollups');
  }
}

async function expectRebuildEqual(): Promise<void> {
  const before = await Promise.all(QUERIES.map((q) => retentionReport(db.pool, siteId, q)));
  await rebuildRetentionRollup(db.pool);
  const after = await Promise.all(QUERIES.map((q) => retentionReport(db.pool, siteId, q)));
  expect(after).toEqual(before);
}

beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'retention', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' })).id;
  await db.pool.query(`SELECT tally_ensure_partitions('2026-09-01'::date, '2027-02-01'::date)`);
});
afterAll(async () => db?.drop());

describe('retention report vs brute force', () => {
  it('matches on the first data, then after incremental changes, and equals a fresh rebuild', async () => {
    await insertPageviews(pageviews(2500, START + 20 * 86_400_000, END, 150));
    const orders = Array.from({ length: 260 }, (_, i) => order(`o${String(i).padStart(4, '0')}`,
      i < EDGES.length ? EDGES[i]! : new Date(START + Math.floor(rand() * (END - START))).toISOString()));
    await upsertOrders(orders);
    // Refunds days to a month after their order, some past `to` (ignored), in the order's currency.
    const refundable = data.orders.filter((o) => o.status === 'refunded' || (o.status === 'paid' && rand() < 0.3));
    await upsertRefunds(refundable.map((o, i) => ({
      id: `r${i}`, order_id: o.id, amount: Math.max(1, Math.floor(o.total / 3)), currency: o.currency,
      created_at: new Date(Date.parse(o.created_at) + Math.floor(rand() * 40) * 86_400_000 + 3_600_000).toISOString(),
    })));
    await runRetentionRollup(db.pool);
    expectMeaningful();
    await expectAllMatch();
    expectSources('Europe/Paris');

    // Late older pageviews: visitors move to earlier cohorts; new visitors appear.
    await insertPageviews(pageviews(300, START, START + 25 * 86_400_000, 180));
    // Cancel customers' first paid orders: they move to their next paid order's period.
    const firsts = new Map<string, BruteOrder>();
    for (const o of [...data.orders].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))) {
      if (o.customer_id && ['paid', 'fulfilled'].includes(o.status) && !firsts.has(o.customer_id)) firsts.set(o.customer_id, o);
    }
    await upsertOrders([...firsts.values()].slice(0, 12).map((o) => ({ ...o, status: 'cancelled', items: [{ product_id: 'p1', name: 'P1', quantity: 1, unit_price: o.total }], subtotal: o.total, discount: 0, tax: 0, shipping: 0 })));
    // A re-sent order changing customer, and more orders.
    await upsertOrders(Array.from({ length: 40 }, (_, i) => order(`n${i}`, new Date(START + Math.floor(rand() * (END - START))).toISOString())));
    await runRetentionRollup(db.pool);
    await expectAllMatch();
    expectSources('Europe/Paris');
    await expectRebuildEqual();
    await expectAllMatch();

    // The site moves to New York: until the job runs, the counts stay in Paris (and answer Paris
    // queries); after it, they are rebuilt in New York, with late and new pageviews in the same run.
    await db.pool.query({ text: `UPDATE sites SET timezone = 'America/New_York' WHERE id = $1::bigint`, values: [siteId] });
    await expectAllMatch();
    expectSources('Europe/Paris');
    await insertPageviews(pageviews(200, START, END, 200, 'w'));
    await runRetentionRollup(db.pool);
    await expectAllMatch();
    expectSources('America/New_York');
    await expectRebuildEqual();
  }, 180_000);
});
