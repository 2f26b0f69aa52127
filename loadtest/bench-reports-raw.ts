/**
 * The reports of bench-reports.ts computed straight from the raw and commerce tables, as a
 * rollup-less tool (Umami-style) would: plain set-based SQL, the same numbers as the report.
 * Each entry returns the queries of one report; the bench runs them concurrently and times the
 * whole. `$4` is the report's time zone (local-day series).
 */
type Q = { text: string; values: unknown[] };

const PAID = `('paid', 'fulfilled', 'refunded')`;
const ORDERS_IN = `site_id = $1::bigint AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND currency = 'USD' AND status IN ${PAID}`;
/** A product view's segment resolved as the rollup does (id, else handle, else the segment). */
const PRODUCT_OF = (seg: string) => `coalesce((SELECT p.id FROM products p WHERE p.site_id = $1::bigint AND p.id = ${seg}),
  (SELECT min(p.id) FROM products p WHERE p.site_id = $1::bigint AND tally_product_handle(p.name) = ${seg}), ${seg})`;

export const RAW: Record<string, (site: string, start: Date, end: Date, tz: string) => Q[]> = {
  overview: (site, start, end, tz) => {
    const v = [site, start, end, tz];
    const w = `site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz`;
    const top = (col: string) => ({ text: `SELECT ${col} AS key, count(DISTINCT visitor_id), count(*) FROM pageviews WHERE ${w} AND $4::text IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 10`, values: v });
    return [
      { text: `SELECT count(DISTINCT visitor_id), count(*) FROM pageviews WHERE ${w} AND $4::text IS NOT NULL`, values: v },
      { text: `SELECT count(*), count(*) FILTER (WHERE n = 1), avg(d) FROM (SELECT session_id, count(*) AS n, max(occurred_at) - min(occurred_at) AS d
          FROM pageviews WHERE ${w} AND $4::text IS NOT NULL GROUP BY session_id) s`, values: v },
      { text: `SELECT date_trunc('day', occurred_at, $4::text), count(DISTINCT visitor_id), count(*), count(DISTINCT session_id) FROM pageviews WHERE ${w} GROUP BY 1`, values: v },
      ...['path', 'ref_domain', 'channel', 'utm_source', 'country', 'browser', 'os', 'device'].map(top),
    ];
  },
  /**
   * Totals, day series, customers, new customers, first-touch channels (the channel of the
   * buyer's earliest pageview ever, if not after the order; else 'unknown') for orders and for
   * refunds on their own day, and top products — as src/reports/revenue/report.ts and the tests'
   * brute force (test/helpers/commerce-brute.ts) define them.
   */
  revenue: (site, start, end, tz) => {
    const v = [site, start, end, tz];
    const key = `coalesce('c:' || customer_id, 'v:' || visitor_id)`;
    return [
      { text: `SELECT date_trunc('day', created_at, $4::text) AS day, count(*), sum(total), sum(discount), sum(tax), sum(shipping)
          FROM orders WHERE ${ORDERS_IN} GROUP BY 1`, values: v },
      { text: `SELECT date_trunc('day', created_at, $4::text), sum(amount) FROM refunds
          WHERE site_id = $1::bigint AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND currency = 'USD' AND $4::text IS NOT NULL GROUP BY 1`, values: v },
      { text: `SELECT count(DISTINCT ${key}) FROM orders WHERE ${ORDERS_IN} AND $4::text IS NOT NULL`, values: v },
      { text: `SELECT count(*) FROM (
            SELECT DISTINCT ON (${key}) currency, created_at FROM orders
            WHERE site_id = $1::bigint AND status IN ${PAID} AND ${key} IS NOT NULL ORDER BY ${key}, created_at, id
          ) f WHERE currency = 'USD' AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND $4::text IS NOT NULL`, values: v },
      { text: `WITH o AS (SELECT id, visitor_id, total, created_at FROM orders WHERE ${ORDERS_IN}),
          r AS (SELECT r.amount, o.visitor_id, o.created_at FROM refunds r JOIN orders o ON o.site_id = r.site_id AND o.id = r.order_id
                WHERE r.site_id = $1::bigint AND r.created_at >= $2::timestamptz AND r.created_at < $3::timestamptz AND r.currency = 'USD'),
          ft AS (SELECT DISTINCT ON (visitor_id) visitor_id, occurred_at, channel FROM pageviews
                 WHERE site_id = $1::bigint AND visitor_id IN (SELECT visitor_id FROM o UNION SELECT visitor_id FROM r)
                 ORDER BY visitor_id, occurred_at, ingest_seq),
          x AS (SELECT o.visitor_id, o.created_at, 1 AS orders, o.total AS gross, 0 AS refunds FROM o
                UNION ALL SELECT r.visitor_id, r.created_at, 0, 0, r.amount FROM r)
          SELECT CASE WHEN ft.occurred_at <= x.created_at THEN ft.channel ELSE 'unknown' END AS channel,
                 sum(x.orders), sum(x.gross), sum(x.refunds), sum(x.gross) - sum(x.refunds)
          FROM x LEFT JOIN ft USING (visitor_id) WHERE $4::text IS NOT NULL GROUP BY 1`, values: v },
      { text: `SELECT i.product_id, count(DISTINCT o.id), sum(i.quantity), sum(i.quantity * i.unit_price) FROM order_items i
          JOIN orders o ON o.site_id = i.site_id AND o.id = i.order_id WHERE o.${ORDERS_IN.replaceAll(' AND ', ' AND o.')} AND $4::text IS NOT NULL
          GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT 10`, values: v },
    ];
  },
  /** Views (product pages resolved by id or handle), add-to-carts, purchases, units, revenue per product. */
  products: (site, start, end) => {
    const v = [site, start, end];
    const w = `site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz`;
    return [
      { text: `WITH per AS (
            SELECT product_id, sum(views) AS views, sum(atc) AS add_to_carts, sum(purchases) AS purchases, sum(units) AS units, sum(revenue) AS revenue FROM (
              SELECT ${PRODUCT_OF('seg')} AS product_id, n AS views, 0 AS atc, 0 AS purchases, 0 AS units, 0 AS revenue
                FROM (SELECT substring(path FROM '^/products/([^/?#]+)') AS seg, count(*) AS n FROM pageviews WHERE ${w} AND path LIKE '/products/%' GROUP BY 1) s
              UNION ALL
              SELECT props->>'product_id', 0, count(*), 0, 0, 0 FROM events WHERE ${w} AND name = 'add_to_cart' GROUP BY 1
              UNION ALL
              SELECT i.product_id, 0, 0, count(DISTINCT o.id), sum(i.quantity), sum(i.quantity * i.unit_price) FILTER (WHERE o.currency = 'USD')
                FROM order_items i JOIN orders o ON o.site_id = i.site_id AND o.id = i.order_id
                WHERE o.site_id = $1::bigint AND o.created_at >= $2::timestamptz AND o.created_at < $3::timestamptz AND o.status IN ${PAID}
                GROUP BY 1
            ) x WHERE product_id IS NOT NULL AND product_id <> '' GROUP BY 1
          )
          SELECT *, (SELECT count(*) FROM per) AS total FROM per ORDER BY revenue DESC NULLS LAST, product_id LIMIT 50`, values: v },
    ];
  },
};
