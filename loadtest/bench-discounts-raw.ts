/**
 * The discounts report (src/reports/discounts/report.ts) computed straight from the `orders`,
 * `order_discount_codes` and `refunds` tables, as a tool without rollups would: one set-based
 * statement per part, run concurrently by the benchmark (for helper P1 to wire into
 * `npm run bench:reports` beside bench-reports-raw.ts and bench-search-raw.ts; same entry shape:
 * `(site, start, end, tz, currency) → [{text, values}]`). Same numbers as the report
 * (bench-discounts-raw.test.ts): paid = paid|fulfilled|refunded on created_at in [start, end),
 * refunds on their own created_at, a customer new on their first paid order ever.
 */
type Q = { text: string; values: unknown[] };

const PAID = `('paid', 'fulfilled', 'refunded')`;
const KEY = `CASE WHEN o.customer_id IS NOT NULL THEN 'c:' || o.customer_id WHEN o.visitor_id IS NOT NULL THEN 'v:' || o.visitor_id END`;

export function discountsRawQueries(site: string, start: Date, end: Date, tz: string, currency = 'USD'): Q[] {
  const v = [site, start, end, tz, currency];
  const TZ = `$4::text IS NOT NULL`;
  const inRange = (a: string) => `${a}.site_id = $1::bigint AND ${a}.created_at >= $2::timestamptz AND ${a}.created_at < $3::timestamptz AND ${a}.currency = $5::char(3)`;
  return [
    // Per code: orders, gross, discount, customers, new customers.
    {
      text: `WITH firsts AS (
               SELECT DISTINCT ON (${KEY}) o.id FROM orders o
               WHERE o.site_id = $1::bigint AND o.status IN ${PAID} AND (o.customer_id IS NOT NULL OR o.visitor_id IS NOT NULL)
               ORDER BY ${KEY}, o.created_at, o.id
             )
             SELECT c.code, count(*), sum(o.total), sum(o.discount), count(DISTINCT ${KEY}), count(*) FILTER (WHERE o.id IN (SELECT id FROM firsts))
             FROM orders o JOIN order_discount_codes c ON c.site_id = o.site_id AND c.order_id = o.id
             WHERE ${inRange('o')} AND o.status IN ${PAID} AND ${TZ}
             GROUP BY c.code`,
      values: v,
    },
    // Refunds per code.
    {
      text: `SELECT c.code, sum(r.amount) FROM refunds r JOIN order_discount_codes c ON c.site_id = r.site_id AND c.order_id = r.order_id
             WHERE ${inRange('r')} AND ${TZ} GROUP BY c.code`,
      values: v,
    },
    // Orders without a code.
    {
      text: `SELECT count(*), coalesce(sum(o.total), 0) FROM orders o
             WHERE ${inRange('o')} AND o.status IN ${PAID} AND ${TZ}
               AND NOT EXISTS (SELECT 1 FROM order_discount_codes c WHERE c.site_id = o.site_id AND c.order_id = o.id)`,
      values: v,
    },
  ];
}

/**
 * Discount codes for the bench data set's orders (bench-reports-data.ts writes orders with SQL,
 * without codes): about 30 % of orders get one of six codes (some in lower case, stored upper as
 * the API stores them), 5 % of those a second one, FREESHIP. Deterministic (hash of the order id).
 */
export function seedBenchDiscountCodesSql(siteId: string): Q {
  const h = (salt: number) => `abs(hashtextextended(id || ':${salt}', 0))`;
  return {
    text: `INSERT INTO order_discount_codes (site_id, order_id, code)
           SELECT site_id, id, code FROM (
             SELECT site_id, id, (ARRAY['WELCOME10', 'SUMMER20', 'VIP15', 'BLACKFRIDAY', 'NEWSLETTER5', 'SPRING'])[1 + ${h(1)} % 6] AS code
             FROM orders WHERE site_id = $1::bigint AND ${h(2)} % 10 < 3
             UNION
             SELECT site_id, id, 'FREESHIP' FROM orders WHERE site_id = $1::bigint AND ${h(2)} % 10 < 3 AND ${h(3)} % 20 = 0
           ) x
           ON CONFLICT DO NOTHING`,
    values: [siteId],
  };
}

/** The entry bench-reports-features.ts looks for (`raw(site, start, end, tz)`), in the bench's USD. */
export function raw(site: string, start: Date, end: Date, tz: string): Q[] {
  return discountsRawQueries(site, start, end, tz, 'USD');
}
