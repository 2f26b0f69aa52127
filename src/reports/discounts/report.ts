import type pg from 'pg';
import type { ReportRange } from '../common/params.ts';
import { aov } from '../revenue/report.ts';

/**
 * The discounts report (contract §4.7) from the discount rollups (sql/112, kept by the commerce
 * rollup job with the revenue rollups), never from the raw orders. Counted as the revenue
 * report counts: paid orders (paid, fulfilled, refunded) in this currency on their created_at,
 * refunds on their own created_at; an order with two codes counts under each; `aov` rounds as
 * revenue's does (half up). The range [start, end) is quarter-hour aligned in every zone, so it
 * is an exact union of the rollup's slots (DST days included).
 */

export interface DiscountCodeRow {
  code: string;
  orders: number;
  gross: number;
  discount: number;
  refunds: number;
  net: number;
  aov: number;
  customers: number;
  new_customers: number;
}

export interface DiscountsReport {
  currency: string;
  from: string;
  to: string;
  tz: string;
  codes: DiscountCodeRow[];
  without_code: { orders: number; gross: number; aov: number };
}

interface SumRow {
  code: string;
  orders: number;
  gross: number;
  discount: number;
  refunds: number;
  newCustomers: number;
  customers: number;
}

/**
 * One row per code with activity in the range ('' = orders without a code). Customers are counted
 * distinct per code over the range's slot rows (one row per customer, code and quarter-hour with
 * a paid order carrying it).
 */
export function discountsSql(siteId: string, currency: string, start: Date, end: Date) {
  const where = `site_id = $1::bigint AND currency = $2::char(3) AND slot >= $3::timestamptz AND slot < $4::timestamptz`;
  return {
    text: `WITH sums AS (
             SELECT code, sum(orders) AS orders, sum(gross) AS gross, sum(discount) AS discount, sum(refunds) AS refunds,
                    sum(new_customers) AS new_customers
             FROM discount_code_slots WHERE ${where} GROUP BY code
           ), buyers AS (
             SELECT code, count(DISTINCT customer_hash) AS customers FROM discount_customer_slots WHERE ${where} GROUP BY code
           )
           SELECT s.code, s.orders, s.gross, s.discount, s.refunds, s.new_customers AS "newCustomers", coalesce(b.customers, 0) AS "customers"
           FROM sums s LEFT JOIN buyers b ON b.code = s.code`,
    values: [siteId, currency, start, end],
  };
}

/** Codes by gross descending, then by code (code-point order, the same in every collation). */
export function shapeDiscounts(rows: SumRow[]): Pick<DiscountsReport, 'codes' | 'without_code'> {
  const none = rows.find((r) => r.code === '');
  const codes = rows
    .filter((r) => r.code !== '' && (r.orders > 0 || r.refunds > 0))
    .map((r) => ({
      code: r.code,
      orders: r.orders,
      gross: r.gross,
      discount: r.discount,
      refunds: r.refunds,
      net: r.gross - r.refunds,
      aov: aov(r.gross, r.orders),
      customers: r.customers,
      new_customers: r.newCustomers,
    }))
    .sort((a, b) => b.gross - a.gross || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const orders = none?.orders ?? 0;
  const gross = none?.gross ?? 0;
  return { codes, without_code: { orders, gross, aov: aov(gross, orders) } };
}

export async function discountsReport(db: pg.Pool, siteId: string, currency: string, range: ReportRange): Promise<DiscountsReport> {
  const { rows } = await db.query<SumRow>(discountsSql(siteId, currency, range.start, range.end));
  return { currency, from: range.from, to: range.to, tz: range.tz, ...shapeDiscounts(rows) };
}
