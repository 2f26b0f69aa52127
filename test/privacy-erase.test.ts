import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createApp } from '../src/http/app.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { ERASE_COVERAGE } from '../src/privacy/coverage.ts';
import { erasePerson, eraseTarget } from '../src/privacy/erase.ts';
import { makeTrail, personTraces, sendCommerce, sendTrail, type SentEvent, type SentOrder } from '../src/privacy/erase-data.test-helper.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let db: TestDatabase;
let deps: Parameters<typeof createApp>[0];
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let trail: SentEvent[];
let orders: SentOrder[];

const REBUILDS = ['rollups-rebuild', 'commerce-rollups-rebuild', 'error-groups-rebuild', 'heatmap-rollups-rebuild', 'cohort-rollups-rebuild',
  'experiment-exposures-rebuild', 'search-rollups-rebuild', 'funnel-state-rebuild'];
/** Columns that are bookkeeping, not content (a rebuild sets them anew). */
const IGNORED = new Set(['updated_at', 'received_at', 'built_at']);

async function jobs(name: string): Promise<void> {
  const out = await runJobsNow({ pool: db.pool, config: deps.config, logger: deps.logger }, name);
  const failed = out.filter((o) => o.error);
  if (failed.length) throw new Error(JSON.stringify(failed));
}

/** Every rollup and per-visitor table of the site, rows as sorted JSON (error_groups: compared by the brute force below). */
async function rollupSnapshot(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, c] of Object.entries(ERASE_COVERAGE)) {
    if ((c.how !== 'corrected' && c.how !== 'visitor') || table === 'error_groups') continue;
    const exists = await db.pool.query({ text: 'SELECT to_regclass($1::text) AS t', values: [table] });
    if (!exists.rows[0].t) continue;
    const { rows } = await db.pool.query(`SELECT * FROM ${table} WHERE site_id = $1::bigint`, [site.id]);
    // visitor_days.keys is a set (its order follows the batches that added to it).
    const cell = (k: string, v: unknown) => (k === 'keys' && Array.isArray(v) ? [...(v as string[])].sort() : v);
    out[table] = rows.map((r: Record<string, unknown>) => JSON.stringify(Object.entries(r).filter(([k]) => !IGNORED.has(k)).map(([k, v]) => [k, cell(k, v)]))).sort();
  }
  return out;
}

/** After the jobs: the corrected rollups equal a from-scratch rebuild of the same raw data. */
async function expectRollupsEqualRebuild(): Promise<void> {
  await jobs('all');
  const incremental = await rollupSnapshot();
  for (const job of REBUILDS) await jobs(job);
  await jobs('all');
  const rebuilt = await rollupSnapshot();
  for (const table of Object.keys(rebuilt)) expect(incremental[table], table).toEqual(rebuilt[table]);
  // The data reaches every kind of rollup (else the comparison above would prove nothing).
  for (const table of ['traffic_rollups', 'visitor_days', 'visitor_day_links', 'sessions', 'commerce_revenue_slots', 'commerce_channel_slots',
    'commerce_customer_slots', 'commerce_product_traffic_slots', 'commerce_product_sales_slots', 'heatmap_cell_months', 'heatmap_scroll_days',
    'error_group_visitors', 'experiment_totals', 'experiment_visitor_metrics', 'search_click_slots', 'search_visitor_slots', 'funnel_attempts',
    'retention_visitor_days', 'retention_customer_slots', 'discount_code_slots']) {
    if (table in rebuilt) expect(rebuilt[table]!.length, `${table} has rows`).toBeGreaterThan(0);
  }
}

const traces = (visitors: string[], customer?: string) => personTraces(db.pool, site.id, visitors, customer);

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const range = () => `from=${day(Date.now() - 14 * 86_400_000)}&to=${day(Date.now() + 86_400_000)}&tz=UTC`;
async function report(path: string): Promise<Record<string, unknown>> {
  const res = await app.request(`/api/v1/sites/${site.id}/reports/${path}`, { headers: { authorization: `Bearer ${site.token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}
const totals = async (path: string) => (await report(path)).totals as Record<string, number>;

beforeAll(async () => {
  db = await createTestDatabase();
  deps = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() };
  app = createApp(deps);
  const s = await createSite(db.pool, { name: 'erase', domain: 'erase.example', timezone: 'America/New_York' });
  site = { id: s.id, token: s.token };
  const post = async (path: string, body: unknown) => {
    const res = await app.request(`/api/v1/sites/${site.id}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(201);
  };
  await post('experiments', { key: 'exp1', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }], metrics: [{ key: 'orders', type: 'order', statistic: 'conversion' }, { key: 'add_to_cart', type: 'event', name: 'add_to_cart' }], status: 'running' });
  await post('funnels', { name: 'buy', steps: [{ type: 'pageview', path: '/products/*' }, { type: 'event', name: 'add_to_cart' }, { type: 'order' }] });
  trail = makeTrail(7);
  await sendTrail(db.pool, site.id, trail);
  orders = await sendCommerce(db.pool, site.id);
  await jobs('all');
}, 120_000);
afterAll(async () => db?.drop());

describe('erase a person', () => {
  it('a visitor: every table loses them, the overview one visitor, revenue their guest order; rollups equal a rebuild', async () => {
    const before = await totals(`overview?${range()}`);
    const revenueBefore = await totals(`revenue?${range()}&currency=USD`);
    const sent = trail.filter((e) => e.vid === 'v4');
    const result = await erasePerson(db.pool, { siteId: site.id, visitorId: 'v4', actorTokenId: null });
    expect(result.deleted).toMatchObject({
      pageviews: sent.filter((e) => e.type === 'pageview').length,
      events: sent.filter((e) => e.type === 'event').length,
      errors: sent.filter((e) => e.type === 'error').length,
      vitals: sent.filter((e) => e.type === 'vitals').length,
      heatmap_points: sent.filter((e) => e.type === 'heatmap').reduce((n, e) => n + (e.points as unknown[]).length, 0),
      idempotency_keys: sent.length,
      orders: 1, order_items: 1, refunds: 1, customers: 0, visitors: 1,
    });
    expect(await traces(['v4'])).toEqual({});
    await jobs('all');
    const after = await totals(`overview?${range()}`);
    expect(after.visitors).toBe(before.visitors! - 1);
    expect(after.pageviews).toBe(before.pageviews! - result.deleted.pageviews!);
    const revenueAfter = await totals(`revenue?${range()}&currency=USD`);
    const o4 = orders.find((o) => o.id === 'o4')!;
    expect(revenueBefore.gross! - revenueAfter.gross!).toBe(o4.total);
    expect(revenueBefore.refunds! - revenueAfter.refunds!).toBe(200);
    await expectRollupsEqualRebuild();
  });

  it('a customer: their orders, items, refunds and every linked visitor (orders, uid); another customer keeps the order placed on their device', async () => {
    const revenueBefore = await totals(`revenue?${range()}&currency=USD`);
    const overviewBefore = await totals(`overview?${range()}`);
    const result = await erasePerson(db.pool, { siteId: site.id, customerId: 'cust-a', actorTokenId: null });
    // v1 by order o1, v2 by uid.
    expect(result.deleted).toMatchObject({ customers: 1, orders: 2, order_items: 2, refunds: 1, visitors: 2 });
    expect(await traces(['v1', 'v2'], 'cust-a')).toEqual({});
    const o5 = await db.pool.query(`SELECT customer_id, visitor_id FROM orders WHERE site_id = $1::bigint AND id = 'o5'`, [site.id]);
    expect(o5.rows[0]).toEqual({ customer_id: 'cust-c', visitor_id: null });
    await jobs('all');
    const erased = orders.filter((o) => o.customer_id === 'cust-a' && ['paid', 'fulfilled', 'refunded'].includes(o.status));
    const revenueAfter = await totals(`revenue?${range()}&currency=USD`);
    expect(revenueBefore.gross! - revenueAfter.gross!).toBe(erased.reduce((n, o) => n + o.total, 0));
    expect(revenueBefore.orders! - revenueAfter.orders!).toBe(erased.length);
    expect(revenueBefore.refunds! - revenueAfter.refunds!).toBe(1000);
    expect((await totals(`overview?${range()}`)).visitors).toBe(overviewBefore.visitors! - 2);
    await expectRollupsEqualRebuild();
  });

  it('error groups keep only the remaining occurrences (first/last seen, latest message); a group of the erased alone goes', async () => {
    await erasePerson(db.pool, { siteId: site.id, visitorId: 'v7', actorTokenId: null });
    await jobs('all');
    const { rows: raw } = await db.pool.query(`SELECT fingerprint, min(occurred_at) AS first, max(occurred_at) AS last FROM errors WHERE site_id = $1::bigint GROUP BY 1`, [site.id]);
    const { rows: groups } = await db.pool.query(`SELECT fingerprint, first_seen AS first, last_seen AS last FROM error_groups WHERE site_id = $1::bigint`, [site.id]);
    const byFp = (rows: { fingerprint: string; first: Date; last: Date }[]) => rows.map((r) => `${r.fingerprint} ${r.first.toISOString()} ${r.last.toISOString()}`).sort();
    expect(byFp(groups)).toEqual(byFp(raw));
  });

  it('re-sent event ids of an erased visitor are stored anew; ingestion into the same partitions goes on during an erase', async () => {
    const sent = trail.filter((e) => e.vid === 'v4');
    const again = await ingestDirect(db.pool, { siteId: site.id, events: sent });
    expect(again).toMatchObject({ accepted: sent.length, duplicates: 0 });
    const n = await db.pool.query(`SELECT count(*)::int AS n FROM pageviews WHERE site_id = $1::bigint AND visitor_id = 'v4'`, [site.id]);
    expect(n.rows[0].n).toBe(sent.filter((e) => e.type === 'pageview').length);

    // While the erase's transactions are open (row locks held), a write to the same partitions commits.
    const fresh = Array.from({ length: 40 }, (_, i) => ({ type: 'pageview', id: crypto.randomUUID(), ts: Date.now() - i * 60_000, url: `https://erase.example/p${i}`, vid: 'vx', sid: 'vx-s' }));
    const during: number[] = [];
    const res = await erasePerson(db.pool, { siteId: site.id, visitorId: 'v4', actorTokenId: null }, {
      beforeCommit: async () => {
        const t = performance.now();
        const r = await Promise.race([ingestDirect(db.pool, { siteId: site.id, events: fresh.slice(0, 20) }), new Promise<never>((_, no) => setTimeout(() => no(new Error('ingest blocked')), 5000))]);
        expect(r.accepted).toBe(20);
        during.push(performance.now() - t);
        fresh.splice(0, 20);
      },
    });
    expect(res.deleted.pageviews).toBe(sent.filter((e) => e.type === 'pageview').length);
    expect(during).toHaveLength(2);
    expect(await traces(['v4'])).toEqual({});
  });

  it('is in the audit log with the ids hashed, never in clear', async () => {
    const { rows } = await db.pool.query(`SELECT target, detail FROM audit_log WHERE site_id = $1::bigint AND action = 'person.erase' ORDER BY id`, [site.id]);
    expect(rows.map((r) => r.target)).toEqual([eraseTarget(site.id, ['v4']), eraseTarget(site.id, [undefined, 'cust-a']), eraseTarget(site.id, ['v7']), eraseTarget(site.id, ['v4'])]);
    expect(rows[0].target).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toMatch(/"v4"|cust-a/);
    expect(rows[1].detail.deleted.orders).toBe(2);
  });
});
