import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../src/demo/run.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let db: TestDatabase;
const endMs = Date.UTC(2024, 5, 1);
const options = { days: 30, visitors: 5000, endMs };
let a: DemoResult;
let b: DemoResult;
let c: DemoResult;

beforeAll(async () => {
  db = await createTestDatabase();
  a = await runDemo(db.pool, { ...options, seed: 7 });
  b = await runDemo(db.pool, { ...options, seed: 7 });
  c = await runDemo(db.pool, { ...options, seed: 8 });
}, 180_000);
afterAll(async () => {
  await db.drop();
});

async function fingerprint(siteId: string) {
  const { rows } = await db.pool.query(
    `SELECT (SELECT count(*) FROM orders WHERE site_id = $1) AS orders,
            (SELECT sum(total) FROM orders WHERE site_id = $1) AS totals,
            (SELECT string_agg(id || ':' || total || ':' || created_at::text, ',' ORDER BY id) FROM orders WHERE site_id = $1) AS detail,
            (SELECT count(*) FROM order_items WHERE site_id = $1) AS items,
            (SELECT sum(amount) FROM refunds WHERE site_id = $1) AS refunds,
            (SELECT count(*) FROM pageviews WHERE site_id = $1) AS pageviews,
            (SELECT count(*) FROM events WHERE site_id = $1) AS events`,
    [siteId],
  );
  return rows[0] as Record<string, unknown>;
}

describe('tally demo', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const fa = await fingerprint(a.site.id);
    expect(fa.orders).toBeGreaterThan(100);
    expect(await fingerprint(b.site.id)).toEqual(fa);
    expect(await fingerprint(c.site.id)).not.toEqual(fa);
    expect(b.stats).toEqual(a.stats);
  });

  it('refunds about 3% of orders, some days later, never more than the order', async () => {
    const { rows } = await db.pool.query(
      `SELECT count(*) FILTER (WHERE r.id IS NOT NULL)::float / count(*) AS rate,
              count(*) FILTER (WHERE r.created_at > o.created_at + interval '1 day') AS later,
              count(*) FILTER (WHERE o.refunded > o.total) AS over
       FROM orders o LEFT JOIN refunds r ON r.site_id = o.site_id AND r.order_id = o.id WHERE o.site_id = $1`,
      [a.site.id],
    );
    expect(rows[0].rate).toBeGreaterThan(0.005);
    expect(rows[0].rate).toBeLessThan(0.07);
    expect(rows[0].later).toBeGreaterThan(0);
    expect(rows[0].over).toBe(0);
  });

  it('has returning customers, two currencies, orders linked to visitors who browsed', async () => {
    const { rows } = await db.pool.query(
      `SELECT (SELECT count(*) FROM (SELECT customer_id FROM orders WHERE site_id = $1 GROUP BY 1 HAVING count(*) > 1) x) AS repeaters,
              (SELECT count(DISTINCT customer_id) FROM orders WHERE site_id = $1) AS customers,
              (SELECT array_agg(DISTINCT currency::text ORDER BY currency::text) FROM orders WHERE site_id = $1) AS currencies,
              (SELECT count(*) FROM orders o WHERE site_id = $1 AND NOT EXISTS (
                 SELECT 1 FROM pageviews p WHERE p.site_id = o.site_id AND p.visitor_id = o.visitor_id)) AS orphans`,
      [a.site.id],
    );
    expect(rows[0].repeaters / rows[0].customers).toBeGreaterThan(0.05);
    expect(rows[0].currencies).toEqual(['EUR', 'USD']);
    expect(rows[0].orphans).toBe(0);
  });

  it('walks a funnel with monotone drop-off and exposes both experiment variants', async () => {
    const { rows } = await db.pool.query(
      `SELECT count(DISTINCT session_id) FILTER (WHERE path LIKE '/products/%') AS product,
              count(DISTINCT session_id) FILTER (WHERE path = '/cart') AS cart,
              count(DISTINCT session_id) FILTER (WHERE path = '/checkout') AS checkout,
              count(DISTINCT session_id) FILTER (WHERE path = '/checkout/thank-you') AS purchase,
              count(DISTINCT session_id) AS sessions
       FROM pageviews WHERE site_id = $1`,
      [a.site.id],
    );
    const f = rows[0];
    expect(f.sessions).toBeGreaterThan(f.product);
    expect(f.product).toBeGreaterThan(f.cart);
    expect(f.cart).toBeGreaterThan(f.checkout);
    expect(f.checkout).toBeGreaterThan(f.purchase);
    expect(f.purchase).toBe(Number((await db.pool.query(`SELECT count(*) AS n FROM orders WHERE site_id = $1`, [a.site.id])).rows[0].n));
    const variants = await db.pool.query(
      `SELECT props->>'variant' AS variant, count(DISTINCT visitor_id) AS n FROM events WHERE site_id = $1 AND name = '$exposure' GROUP BY 1 ORDER BY 1`,
      [a.site.id],
    );
    expect(variants.rows.map((r) => r.variant)).toEqual(['control', 'treatment']);
  });

  it('fills heatmaps with rage clicks, recurring errors, vitals, channels, devices, countries', async () => {
    const { rows } = await db.pool.query(
      `SELECT (SELECT count(*) FROM heatmap_points WHERE site_id = $1 AND kind = 'rage') AS rage,
              (SELECT count(DISTINCT fingerprint) FROM errors WHERE site_id = $1) AS fingerprints,
              (SELECT count(*) FROM errors WHERE site_id = $1) AS errors,
              (SELECT count(*) FROM vitals WHERE site_id = $1) AS vitals,
              (SELECT array_agg(DISTINCT channel ORDER BY channel) FROM pageviews WHERE site_id = $1) AS channels,
              (SELECT array_agg(DISTINCT device ORDER BY device) FROM pageviews WHERE site_id = $1) AS devices,
              (SELECT count(DISTINCT country) FROM pageviews WHERE site_id = $1) AS countries,
              (SELECT count(DISTINCT browser) FROM pageviews WHERE site_id = $1) AS browsers`,
      [a.site.id],
    );
    const r = rows[0];
    expect(r.rage).toBeGreaterThan(0);
    expect(r.fingerprints).toBeGreaterThanOrEqual(3);
    expect(r.errors).toBeGreaterThan(r.fingerprints * 3);
    expect(r.vitals).toBeGreaterThan(0);
    expect(r.channels).toEqual(expect.arrayContaining(['direct', 'email', 'internal', 'paid', 'search', 'social']));
    expect(r.devices).toEqual(['desktop', 'mobile', 'tablet']);
    expect(r.countries).toBeGreaterThan(5);
    expect(r.browsers).toBeGreaterThan(3);
  });

  it('stays inside its period, with weekly seasonality', async () => {
    const { rows } = await db.pool.query(
      `SELECT min(occurred_at) AS first, max(occurred_at) AS last FROM pageviews WHERE site_id = $1`,
      [a.site.id],
    );
    expect(rows[0].first.getTime()).toBeGreaterThanOrEqual(endMs - 30 * 86_400_000);
    expect(rows[0].last.getTime()).toBeLessThan(endMs + 3_600_000);
    const byDay = await db.pool.query(
      `SELECT extract(isodow FROM occurred_at AT TIME ZONE 'UTC') AS dow, count(*)::float AS n FROM pageviews WHERE site_id = $1 GROUP BY 1`,
      [a.site.id],
    );
    const counts = byDay.rows.map((r) => r.n as number);
    expect(counts).toHaveLength(7);
    expect(Math.max(...counts) / Math.min(...counts)).toBeGreaterThan(1.1);
  });
});
