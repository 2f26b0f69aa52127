/**
 * Benchmark dataset for bench-reports.ts, generated inside PostgreSQL (set-based INSERT … SELECT
 * over generate_series, deterministic hashes instead of random()) in chunks so progress shows:
 * `visits` visits over the last 90 days with 1–13 pageviews each (≈ 7 on average) and 3 custom
 * events each (add_to_cart with props.product_id, scroll, click), plus `orders` orders
 * (1–3 items, 5 % refunded a few days later) and their customers and products.
 * Used until `tally demo --scale` exists (helper B); same shape as a busy store.
 */
import type pg from 'pg';

const PAGES = `ARRAY['/', '/cart', '/checkout', '/blog/launch', '/blog/guide', '/about', '/search', '/account']`;
const CHANNELS = `ARRAY['direct', 'organic_search', 'referral', 'paid_search', 'social', 'email']`;
const REFS = `ARRAY[NULL, 'google.com', 'news.ycombinator.com', 'facebook.com', 'bing.com', 'newsletter.example']`;
const COUNTRIES = `ARRAY['US', 'FR', 'DE', 'GB', 'CA', 'JP', 'BR', 'IN', 'ES', 'IT', NULL]`;
const BROWSERS = `ARRAY['Chrome', 'Safari', 'Firefox', 'Edge', 'Samsung Internet']`;
const OSES = `ARRAY['Windows', 'macOS', 'iOS', 'Android', 'Linux']`;
const DEVICES = `ARRAY['desktop', 'mobile', 'tablet']`;

/** h(x, salt) ∈ [0, 2^31): a stable per-row pseudo-random integer. */
const h = (x: string, salt: number) => `abs(hashint8((${x})::bigint * 1000003 + ${salt})::bigint)`;
const at = (arr: string, x: string, salt: number) => `(${arr})[1 + ${h(x, salt)} % cardinality(${arr})]`;

export async function generateTraffic(pool: pg.Pool, siteId: string, from: number, to: number, visitors: number, spanSeconds = 7_776_000): Promise<void> {
  // Visit start: uniform over the last spanSeconds (default 90 days); pageviews 0–8 minutes apart.
  const visits = `
    SELECT s, now() - ${spanSeconds} * interval '1 second' + (${h('s', 1)} % ${spanSeconds}) * interval '1 second' AS st,
      'v' || (${h('s', 2)} % ${visitors}) AS visitor, 'bs' || s AS session,
      1 + ${h('s', 3)} % 13 AS n, ${h('s', 4)} % 6 AS src,
      ${at(COUNTRIES, 's', 5)} AS country, ${at(BROWSERS, 's', 6)} AS browser, ${at(OSES, 's', 7)} AS os, ${at(DEVICES, 's', 8)} AS device
    FROM generate_series(${from}::bigint, ${to - 1}::bigint) s`;
  await pool.query(`INSERT INTO pageviews (site_id, occurred_at, received_at, event_id, visitor_id, session_id, url, host, path,
      ref_domain, channel, utm_source, utm_medium, utm_campaign, browser, os, device, country)
    SELECT ${siteId}, v.st + k * (${h('s * 16 + k', 9)} % 480) * interval '1 second', now(), gen_random_uuid(), v.visitor, v.session,
      'https://shop.example' || p.path, 'shop.example', p.path,
      CASE WHEN k = 1 THEN (${REFS})[1 + v.src] ELSE 'shop.example' END, (${CHANNELS})[1 + v.src],
      CASE WHEN v.src = 5 THEN 'newsletter' END, CASE WHEN v.src = 5 THEN 'email' END, CASE WHEN v.src = 5 THEN 'spring' END,
      v.browser, v.os, v.device, v.country
    FROM (${visits}) v CROSS JOIN LATERAL generate_series(1, v.n) k
    CROSS JOIN LATERAL (SELECT CASE WHEN ${h('s * 16 + k', 10)} % 2 = 0 THEN '/products/p' || (${h('s * 16 + k', 11)} % 2000)
                                    ELSE ${at(PAGES, 's * 16 + k', 12)} END AS path) p`);
  await pool.query(`INSERT INTO events (site_id, occurred_at, received_at, event_id, visitor_id, session_id, name, props, url, host, path,
      channel, browser, os, device, country)
    SELECT ${siteId}, v.st + k * interval '61 seconds', now(), gen_random_uuid(), v.visitor, v.session,
      (ARRAY['add_to_cart', 'scroll', 'click'])[k],
      CASE WHEN k = 1 THEN jsonb_build_object('product_id', 'p' || (${h('s', 13)} % 2000)) END,
      'https://shop.example/products/p1', 'shop.example', '/products/p1', (${CHANNELS})[1 + v.src], v.browser, v.os, v.device, v.country
    FROM (${visits}) v CROSS JOIN generate_series(1, 3) k`);
}

export async function generateCommerce(pool: pg.Pool, siteId: string, orders: number, visitors: number): Promise<void> {
  await pool.query(`INSERT INTO products (site_id, id, sku, name, category, price, currency)
    SELECT ${siteId}, 'p' || i, 'SKU' || i, 'Product ' || i, (ARRAY['shoes', 'bags', 'hats', 'coats'])[1 + i % 4], 500 + (i * 37) % 20000, 'USD'
    FROM generate_series(0, 1999) i ON CONFLICT DO NOTHING`);
  await pool.query(`INSERT INTO customers (site_id, id, email, visitor_id, created_at)
    SELECT ${siteId}, 'c' || i, 'c' || i || '@example.com', 'v' || (${h('i', 20)} % ${visitors}), now() - interval '120 days' + (${h('i', 21)} % 10368000) * interval '1 second'
    FROM generate_series(0, ${Math.max(1, Math.floor(orders * 0.6)) - 1}) i ON CONFLICT DO NOTHING`);
  const customers = Math.max(1, Math.floor(orders * 0.6));
  for (let start = 0; start < orders; start += 50_000) {
    const end = Math.min(orders, start + 50_000);
    await pool.query(`INSERT INTO orders (site_id, id, customer_id, visitor_id, status, currency, subtotal, discount, tax, shipping, total, created_at)
      SELECT ${siteId}, 'o' || i, 'c' || (${h('i', 27)} % ${customers}), 'v' || (${h('i', 28)} % ${visitors}),
        (ARRAY['paid', 'paid', 'fulfilled', 'fulfilled', 'pending', 'cancelled'])[1 + ${h('i', 29)} % 6], 'USD',
        sub, sub / 10, sub / 20, 500, sub - sub / 10 + sub / 20 + 500,
        now() - interval '90 days' + (${h('i', 23)} % 7776000) * interval '1 second'
      FROM (SELECT i, (1000 + ${h('i', 30)} % 30000) AS sub FROM generate_series(${start}, ${end - 1}) i) x`);
    await pool.query(`INSERT INTO order_items (site_id, order_id, line, product_id, name, category, quantity, unit_price)
      SELECT ${siteId}, 'o' || i, l, 'p' || (${h('i * 4 + l', 24)} % 2000), 'Product', 'shoes', 1 + ${h('i * 4 + l', 25)} % 3, 500 + ${h('i * 4 + l', 26)} % 20000
      FROM generate_series(${start}, ${end - 1}) i CROSS JOIN LATERAL generate_series(1, 1 + ${h('i', 22)} % 3) l`);
  }
  // 5 % of paid orders refunded (half of the total) 1–10 days later, if that is not in the future.
  await pool.query(`WITH r AS (
      SELECT id, total / 2 AS amount, least(now() - interval '1 minute', created_at + (1 + ${h('substr(id, 2)::bigint', 31)} % 10) * interval '1 day') AS at
      FROM orders WHERE site_id = ${siteId} AND status IN ('paid', 'fulfilled') AND ${h('substr(id, 2)::bigint', 32)} % 20 = 0
    ), ins AS (
      INSERT INTO refunds (site_id, id, order_id, amount, currency, created_at)
      SELECT ${siteId}, 'r' || id, id, amount, 'USD', at FROM r
    )
    UPDATE orders o SET refunded = r.amount FROM r WHERE o.site_id = ${siteId} AND o.id = r.id`);
}
