import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertCommerce } from '../../commerce/batch.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createSite } from '../../sites/sites.ts';
import { resolveRange } from '../common/params.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { bruteSearchReport, loadBruteData } from '../../../test/helpers/search-brute.ts';
import { generateSearchTraffic, orderBody, type Beacon } from '../../../test/helpers/search-data.ts';
import { searchReport } from './report.ts';
import { rebuildSearchRollups, runSearchRollup } from './rollup.ts';

let db: TestDatabase;
let siteId: string;

async function ingest(site: string, events: Beacon[]) {
  for (let i = 0; i < events.length; i += 500) {
    const r = await ingestDirect(db.pool, { siteId: site, events: events.slice(i, i + 500) });
    expect(r.rejected).toEqual([]);
  }
}
const upsertOrders = async (site: string, orders: unknown[]) => {
  const r = await upsertCommerce(db.pool, site, 'orders', orders);
  expect(r).toMatchObject({ upserted: orders.length });
};

async function compare(site: string, from: string, to: string, tz: string, currency = 'EUR') {
  const range = resolveRange({ from, to, tz, limit: 10 }, 'Europe/Paris');
  const actual = await searchReport(db.pool, site, currency, range);
  const expected = bruteSearchReport(await loadBruteData(db.pool, site), range.start.getTime(), range.end.getTime(), currency);
  expect({ totals: actual.totals, queries: actual.queries, zero_result_queries: actual.zero_result_queries }).toEqual(expected);
  return actual;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const s = await createSite(db.pool, { name: 'search', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  siteId = s.id;
  await db.pool.query(`UPDATE sites SET search_params = '{q,s}' WHERE id = $1`, [siteId]);
  const first = generateSearchTraffic(19, 120, 'a');
  await ingest(siteId, first.beacons);
  await upsertOrders(siteId, first.orders.map(orderBody));
  await runSearchRollup(db.pool);
  // Late beacons after a run: searches and clicks timed inside the already folded days.
  const late = generateSearchTraffic(20, 60, 'b');
  await ingest(siteId, late.beacons);
  await upsertOrders(siteId, late.orders.map(orderBody));
  await runSearchRollup(db.pool);
});
afterAll(async () => db?.drop());

describe('search report against the brute force (contract §4.6)', () => {
  it('a whole range in the site zone, after two runs with late events', async () => {
    const r = await compare(siteId, '2026-10-20', '2026-11-03', 'Europe/Paris');
    expect(r.totals.searches).toBeGreaterThan(300);
    expect(r.queries.map((q) => q.query)).toContain('red dress');
    expect(r.queries.filter((q) => q.query.replace(/\s/g, '').startsWith('reddress'))).toHaveLength(1);
    expect(r.queries.find((q) => q.query === 'café')).toBeDefined();
    expect(r.queries.some((q) => q.orders > 0)).toBe(true);
    expect(r.zero_result_queries.length).toBeGreaterThan(0);
    expect(r.totals.click_rate).toBeGreaterThan(0);
    expect(r.queries.some((q) => q.avg_click_position !== null && q.clicks > 0)).toBe(true);
    expect(r.totals.conversion_rate).toBeGreaterThan(0);
  });

  it('the DST day (25 hours) and other zones, EUR and USD', async () => {
    await compare(siteId, '2026-10-25', '2026-10-25', 'Europe/Paris');
    await compare(siteId, '2026-10-24', '2026-10-26', 'America/New_York', 'USD');
    await compare(siteId, '2026-10-31', '2026-11-01', 'Asia/Kolkata');
  });

  it('a late click for a search already folded makes it clicked', async () => {
    const s = await createSite(db.pool, { name: 'late', domain: 'late.test', timezone: 'UTC', currency: 'EUR' });
    const at = Date.parse('2026-10-21T10:00:00Z');
    await ingest(s.id, [{ type: 'event', name: 'search', props: { q: 'Lamp', results: 4 }, vid: 'v', sid: 's', ts: at }]);
    await runSearchRollup(db.pool);
    const before = await compare(s.id, '2026-10-21', '2026-10-21', 'UTC');
    expect(before.queries[0]).toMatchObject({ query: 'lamp', clicks: 0 });
    await ingest(s.id, [{ type: 'event', name: 'search_click', props: { q: 'LAMP ', position: 2 }, vid: 'v', sid: 's', ts: at + 30_000 }]);
    await runSearchRollup(db.pool);
    const after = await compare(s.id, '2026-10-21', '2026-10-21', 'UTC');
    expect(after.queries[0]).toMatchObject({ query: 'lamp', clicks: 1, avg_click_position: 2 });
    expect(after.totals.click_rate).toBe(1);
  });

  it('an order 7 days minus one second after the search counts, one second past does not; exactly 7 days counts', async () => {
    const s = await createSite(db.pool, { name: 'window', domain: 'w.test', timezone: 'UTC', currency: 'EUR' });
    const at = Date.parse('2026-10-21T10:00:00Z');
    const week = 7 * 86_400_000;
    await ingest(s.id, [
      { type: 'event', name: 'search', props: { q: 'inside', results: 3 }, vid: 'in', sid: 'in', ts: at },
      { type: 'event', name: 'search', props: { q: 'outside', results: 3 }, vid: 'out', sid: 'out', ts: at },
      { type: 'event', name: 'search', props: { q: 'exactly', results: 3 }, vid: 'ex', sid: 'ex', ts: at },
      { type: 'pageview', url: 'https://w.test/account', vid: 'cust', sid: 'c1', uid: 'C-9', ts: at - 86_400_000 },
      { type: 'event', name: 'search', props: { q: 'by customer' }, vid: 'cust', sid: 'c2', ts: at },
    ]);
    const order = (id: string, v: string | null, c: string | null, ms: number, total = 1000, status = 'paid') =>
      orderBody({ id, visitor_id: v, customer_id: c, status, currency: 'EUR', created_at: new Date(ms).toISOString(), total });
    await upsertOrders(s.id, [order('o1', 'in', null, at + week - 1000), order('o2', 'out', null, at + week + 1000), order('o3', 'ex', null, at + week, 500), order('o4', null, 'C-9', at + 5000, 700)]);
    await runSearchRollup(db.pool);
    const r = await compare(s.id, '2026-10-21', '2026-10-21', 'UTC');
    const byQuery = Object.fromEntries(r.queries.map((q) => [q.query, q]));
    expect(byQuery.inside).toMatchObject({ orders: 1, revenue: 1000 });
    expect(byQuery.outside).toMatchObject({ orders: 0, revenue: 0 });
    expect(byQuery.exactly).toMatchObject({ orders: 1, revenue: 500 });
    expect(byQuery['by customer']).toMatchObject({ orders: 1, revenue: 700 });
    expect(r.totals.conversion_rate).toBe(3 / 4);
    // Orders are read at request time: an order re-sent as cancelled leaves at once, no job run needed.
    await upsertOrders(s.id, [order('o1', 'in', null, at + week - 1000, 1000, 'cancelled')]);
    const after = await compare(s.id, '2026-10-21', '2026-10-21', 'UTC');
    expect(after.queries.find((q) => q.query === 'inside')).toMatchObject({ orders: 0 });
  });

  it('unknown results are left out of the zero-result rate', async () => {
    const s = await createSite(db.pool, { name: 'zero', domain: 'z.test', timezone: 'UTC', currency: 'EUR' });
    await db.pool.query(`UPDATE sites SET search_params = '{q}' WHERE id = $1`, [s.id]);
    const at = Date.parse('2026-10-22T08:00:00Z');
    await ingest(s.id, [
      { type: 'event', name: 'search', props: { q: 'x', results: 0 }, vid: 'a', sid: 'a', ts: at },
      { type: 'event', name: 'search', props: { q: 'y' }, vid: 'a', sid: 'a', ts: at + 1 },
      { type: 'event', name: 'search', props: { q: 'z', results: 3 }, vid: 'b', sid: 'b', ts: at + 2 },
      { type: 'pageview', url: 'https://z.test/search?q=Y', vid: 'c', sid: 'c', ts: at + 3 },
    ]);
    await runSearchRollup(db.pool);
    const r = await compare(s.id, '2026-10-22', '2026-10-22', 'UTC');
    expect(r.totals).toMatchObject({ searches: 4, searchers: 3, zero_result_rate: 0.5 });
    expect(r.queries[0]).toMatchObject({ query: 'y', searches: 2, searchers: 2, zero_results: 0 });
    expect(r.zero_result_queries).toEqual([{ query: 'x', searches: 1, searchers: 1 }]);
  });

  it('the rebuild replays history to the same report', async () => {
    const before = await searchReport(db.pool, siteId, 'EUR', resolveRange({ from: '2026-10-20', to: '2026-11-03', limit: 10 }, 'Europe/Paris'));
    await rebuildSearchRollups(db.pool, { maxRows: 500 });
    const after = await searchReport(db.pool, siteId, 'EUR', resolveRange({ from: '2026-10-20', to: '2026-11-03', limit: 10 }, 'Europe/Paris'));
    expect(after).toEqual(before);
  });
});
