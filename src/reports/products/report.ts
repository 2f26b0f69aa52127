import type pg from 'pg';
import { splitRange, splitValues, splitWhere } from '../common/split-range.ts';
import { productNameJoins } from '../common/product-names.ts';

/**
 * The products report: per product, views and add-to-carts (raw pageviews / events, see
 * traffic-rollup.ts), purchases (paid orders containing it) and units across all
 * currencies, and item revenue in the report's currency only (amounts in different currencies
 * are never added). Rates are null when there were no views.
 */

export const PRODUCT_SORTS = ['revenue', 'units', 'purchases', 'views', 'add_to_carts', 'cart_rate', 'conversion_rate'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductRow {
  product_id: string;
  name: string | null;
  category: string | null;
  views: number;
  add_to_carts: number;
  purchases: number;
  units: number;
  revenue: number;
  /** add_to_carts / views */
  cart_rate: number | null;
  /** purchases / views */
  conversion_rate: number | null;
}

const SORT_SQL: Record<ProductSort, string> = {
  revenue: 'revenue',
  units: 'units',
  purchases: 'purchases',
  views: 'views',
  add_to_carts: 'add_to_carts',
  cart_rate: `(add_to_carts::float8 / nullif(views, 0))`,
  conversion_rate: `(purchases::float8 / nullif(views, 0))`,
};

export function productsSql(siteId: string, currency: string, start: Date, end: Date, sort: ProductSort, order: 'asc' | 'desc', limit: number) {
  const split = splitRange(start, end, { months: true });
  const w = splitWhere(5);
  const direction = order === 'asc' ? 'ASC NULLS FIRST' : 'DESC NULLS LAST';
  return {
    text: `WITH per AS (
             SELECT product_id, sum(views) AS views, sum(add_to_carts) AS add_to_carts, sum(purchases) AS purchases,
                    sum(units) AS units, sum(revenue) AS revenue
             FROM (
               SELECT product_id, views, add_to_carts, 0 AS purchases, 0 AS units, 0 AS revenue
                 FROM commerce_product_traffic_months WHERE site_id = $1::bigint AND ${w.months}
               UNION ALL
               SELECT product_id, views, add_to_carts, 0, 0, 0
                 FROM commerce_product_traffic_days WHERE site_id = $1::bigint AND ${w.days}
               UNION ALL
               SELECT product_id, views, add_to_carts, 0, 0, 0
                 FROM commerce_product_traffic_slots WHERE site_id = $1::bigint AND ${w.slots}
               UNION ALL
               SELECT product_id, 0, 0, purchases, units, CASE WHEN currency = $2::text THEN revenue ELSE 0 END
                 FROM commerce_product_sales_months WHERE site_id = $1::bigint AND ${w.months}
               UNION ALL
               SELECT product_id, 0, 0, purchases, units, CASE WHEN currency = $2::text THEN revenue ELSE 0 END
                 FROM commerce_product_sales_days WHERE site_id = $1::bigint AND ${w.days}
               UNION ALL
               SELECT product_id, 0, 0, purchases, units, CASE WHEN currency = $2::text THEN revenue ELSE 0 END
                 FROM commerce_product_sales_slots WHERE site_id = $1::bigint AND ${w.slots}
             ) x
             GROUP BY product_id
           ), ranked AS (
             SELECT * FROM per ORDER BY ${SORT_SQL[sort]} ${direction}, product_id LIMIT $3::int OFFSET $4::int
           )
           SELECT r.product_id AS "product_id", coalesce(p.name, i.name) AS "name", coalesce(p.category, i.category) AS "category",
                  r.views AS "views", r.add_to_carts AS "add_to_carts", r.purchases AS "purchases", r.units AS "units",
                  r.revenue AS "revenue", (SELECT count(*) FROM per) AS "total"
           FROM ranked r
           ${productNameJoins('r')}
           ORDER BY ${SORT_SQL[sort].replace(/\b(views|add_to_carts|purchases|units|revenue)\b/g, 'r.$1')} ${direction}, r.product_id`,
    values: [siteId, currency, limit, 0, ...splitValues(split, true)],
  };
}

export interface ProductsReport {
  currency: string;
  from: string;
  to: string;
  tz: string;
  sort: ProductSort;
  order: 'asc' | 'desc';
  /** Products with any activity in the range (the list is cut at `limit`). */
  total: number;
  products: ProductRow[];
}

function rate(n: number, d: number): number | null {
  return d > 0 ? Math.round((n / d) * 1e6) / 1e6 : null;
}

export async function productsReport(
  db: pg.Pool,
  args: { siteId: string; currency: string; start: Date; end: Date; from: string; to: string; tz: string; sort: ProductSort; order: 'asc' | 'desc'; limit: number },
): Promise<ProductsReport> {
  const { rows } = await db.query<Omit<ProductRow, 'cart_rate' | 'conversion_rate'> & { total: number }>(
    productsSql(args.siteId, args.currency, args.start, args.end, args.sort, args.order, args.limit),
  );
  return {
    currency: args.currency,
    from: args.from,
    to: args.to,
    tz: args.tz,
    sort: args.sort,
    order: args.order,
    total: rows[0]?.total ?? 0,
    products: rows.map(({ total: _total, ...r }) => ({
      ...r,
      cart_rate: rate(r.add_to_carts, r.views),
      conversion_rate: rate(r.purchases, r.views),
    })),
  };
}
