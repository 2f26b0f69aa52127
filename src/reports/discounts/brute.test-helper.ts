import type pg from 'pg';

/**
 * Independent brute-force discounts report (contract §4.7), in TypeScript straight from the
 * commerce tables: no rollup, no SQL aggregation, no code shared with report.ts. Local days come
 * from Intl.DateTimeFormat. It counts as test/helpers/commerce-brute.ts counts revenue: paid =
 * paid|fulfilled|refunded on the created_at day in tz, refunds on their own day (whatever their
 * order's status), customers by customer_id else visitor_id, a customer new on the order that is
 * their first paid order ever (earliest created_at, ties by id).
 */

export interface DiscountSnapshot {
  orders: { id: string; customer_id: string | null; visitor_id: string | null; status: string; currency: string; discount: number; total: number; created_at: Date }[];
  codes: { order_id: string; code: string }[];
  refunds: { order_id: string; amount: number; currency: string; created_at: Date }[];
}

export async function discountSnapshot(db: pg.Pool, siteId: string): Promise<DiscountSnapshot> {
  const q = async <T>(text: string) => (await db.query(text, [siteId])).rows as T[];
  return {
    orders: await q(`SELECT id, customer_id, visitor_id, status, currency, discount, total, created_at FROM orders WHERE site_id = $1`),
    codes: await q(`SELECT order_id, code FROM order_discount_codes WHERE site_id = $1`),
    refunds: await q(`SELECT order_id, amount, currency, created_at FROM refunds WHERE site_id = $1`),
  };
}

const PAID = new Set(['paid', 'fulfilled', 'refunded']);
const formats = new Map<string, Intl.DateTimeFormat>();
function localDate(d: Date, tz: string): string {
  let f = formats.get(tz);
  if (!f) formats.set(tz, (f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return f.format(d);
}
const roundHalfUp = (gross: number, orders: number) => (orders ? Math.round(gross / orders) : 0);
type Order = DiscountSnapshot['orders'][number];
const keyOf = (o: Order) => (o.customer_id !== null ? `c:${o.customer_id}` : o.visitor_id !== null ? `v:${o.visitor_id}` : null);

export function bruteDiscounts(s: DiscountSnapshot, q: { currency: string; tz: string; from: string; to: string }) {
  const inRange = (d: Date) => {
    const day = localDate(d, q.tz);
    return day >= q.from && day <= q.to;
  };
  const codesOf = new Map<string, string[]>();
  for (const c of s.codes) codesOf.set(c.order_id, [...(codesOf.get(c.order_id) ?? []), c.code]);
  const firstPaid = new Map<string, Order>();
  for (const o of s.orders) {
    const key = keyOf(o);
    if (!key || !PAID.has(o.status)) continue;
    const cur = firstPaid.get(key);
    if (!cur || o.created_at < cur.created_at || (o.created_at.getTime() === cur.created_at.getTime() && o.id < cur.id)) firstPaid.set(key, o);
  }
  const rows = new Map<string, { code: string; orders: number; gross: number; discount: number; refunds: number; buyers: Set<string>; new_customers: number }>();
  const row = (code: string) => {
    let r = rows.get(code);
    if (!r) rows.set(code, (r = { code, orders: 0, gross: 0, discount: 0, refunds: 0, buyers: new Set(), new_customers: 0 }));
    return r;
  };
  const without = { orders: 0, gross: 0 };
  for (const o of s.orders) {
    if (!PAID.has(o.status) || o.currency !== q.currency || !inRange(o.created_at)) continue;
    const codes = codesOf.get(o.id) ?? [];
    if (codes.length === 0) {
      without.orders += 1;
      without.gross += o.total;
    }
    const key = keyOf(o);
    for (const code of codes) {
      const r = row(code);
      r.orders += 1;
      r.gross += o.total;
      r.discount += o.discount;
      if (key) r.buyers.add(key);
      if (key && firstPaid.get(key)?.id === o.id) r.new_customers += 1;
    }
  }
  for (const refund of s.refunds) {
    if (refund.currency !== q.currency || !inRange(refund.created_at)) continue;
    for (const code of codesOf.get(refund.order_id) ?? []) row(code).refunds += refund.amount;
  }
  const codes = [...rows.values()]
    .map(({ buyers, ...r }) => ({
      code: r.code, orders: r.orders, gross: r.gross, discount: r.discount, refunds: r.refunds, net: r.gross - r.refunds,
      aov: roundHalfUp(r.gross, r.orders), customers: buyers.size, new_customers: r.new_customers,
    }))
    .sort((a, b) => b.gross - a.gross || (a.code < b.code ? -1 : 1));
  return { currency: q.currency, codes, without_code: { ...without, aov: roundHalfUp(without.gross, without.orders) } };
}
