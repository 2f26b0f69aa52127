import type pg from 'pg';

/**
 * Independent brute-force revenue and product reports, computed in TypeScript straight from
 * the commerce and raw tables (no rollup, no SQL aggregation, no shared code with
 * src/reports: local dates come from Intl.DateTimeFormat, not from params.ts).
 */

export interface Snapshot {
  orders: { id: string; customer_id: string | null; visitor_id: string | null; status: string; currency: string; discount: number; tax: number; shipping: number; total: number; created_at: Date }[];
  items: { order_id: string; product_id: string; name: string; category: string | null; quantity: number; unit_price: number }[];
  refunds: { id: string; order_id: string; amount: number; currency: string; created_at: Date }[];
  products: { id: string; name: string; category: string | null }[];
  pageviews: { visitor_id: string; occurred_at: Date; path: string; channel: string; ingest_seq: number }[];
  events: { name: string; occurred_at: Date; props: Record<string, unknown> | null }[];
}

export async function snapshot(db: pg.Pool, siteId: string): Promise<Snapshot> {
  const q = async <T>(text: string) => (await db.query(text, [siteId])).rows as T[];
  return {
    orders: await q(`SELECT id, customer_id, visitor_id, status, currency, discount, tax, shipping, total, created_at FROM orders WHERE site_id = $1`),
    items: await q(`SELECT order_id, product_id, name, category, quantity, unit_price FROM order_items WHERE site_id = $1`),
    refunds: await q(`SELECT id, order_id, amount, currency, created_at FROM refunds WHERE site_id = $1`),
    products: await q(`SELECT id, name, category FROM products WHERE site_id = $1`),
    pageviews: await q(`SELECT visitor_id, occurred_at, path, channel, ingest_seq FROM pageviews WHERE site_id = $1`),
    events: await q(`SELECT name, occurred_at, props FROM events WHERE site_id = $1`),
  };
}

const fmt = new Map<string, Intl.DateTimeFormat>();
function parts(ms: number, tz: string): Record<string, string> {
  let f = fmt.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', timeZoneName: 'longOffset' });
    fmt.set(tz, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

export function localDate(d: Date, tz: string): string {
  const p = parts(d.getTime(), tz);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Bucket label of an instant, as the contract's series `t`. */
export function bucketLabel(d: Date, tz: string, interval: 'hour' | 'day' | 'week' | 'month', from: string): string {
  const p = parts(d.getTime(), tz);
  const date = `${p.year}-${p.month}-${p.day}`;
  if (interval === 'hour') {
    const off = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName!.replace('GMT', '');
    return `${date}T${p.hour}:00:00${off}`;
  }
  let start = date;
  if (interval === 'month') start = `${p.year}-${p.month}-01`;
  if (interval === 'week') {
    const utc = new Date(`${date}T00:00:00Z`);
    utc.setUTCDate(utc.getUTCDate() - ((utc.getUTCDay() + 6) % 7));
    start = utc.toISOString().slice(0, 10);
  }
  return start < from ? from : start;
}

const PAID = new Set(['paid', 'fulfilled', 'refunded']);

function customerKey(o: Snapshot['orders'][number]): string | null {
  if (o.customer_id !== null) return `c:${o.customer_id}`;
  if (o.visitor_id !== null) return `v:${o.visitor_id}`;
  return null;
}

export interface Query {
  currency: string;
  tz: string;
  from: string;
  to: string;
  interval: 'hour' | 'day' | 'week' | 'month';
}

export function bruteRevenue(s: Snapshot, q: Query) {
  const inRange = (d: Date) => {
    const day = localDate(d, q.tz);
    return day >= q.from && day <= q.to;
  };
  // First touch: earliest pageview per visitor (ties: lowest ingest_seq).
  const first = new Map<string, { at: number; seq: number; channel: string }>();
  for (const pv of s.pageviews) {
    const cur = first.get(pv.visitor_id);
    const at = pv.occurred_at.getTime();
    if (!cur || at < cur.at || (at === cur.at && pv.ingest_seq < cur.seq)) first.set(pv.visitor_id, { at, seq: pv.ingest_seq, channel: pv.channel });
  }
  const channelOf = (o: Snapshot['orders'][number]) => {
    const f = o.visitor_id === null ? undefined : first.get(o.visitor_id);
    return f && f.at <= o.created_at.getTime() ? f.channel : 'unknown';
  };
  const ordersById = new Map(s.orders.map((o) => [o.id, o]));
  const totals = { orders: 0, gross: 0, discounts: 0, tax: 0, shipping: 0, refunds: 0, net: 0, aov: 0, customers: 0, new_customers: 0 };
  const series = new Map<string, { orders: number; gross: number; refunds: number; net: number }>();
  const point = (label: string) => {
    let p = series.get(label);
    if (!p) series.set(label, (p = { orders: 0, gross: 0, refunds: 0, net: 0 }));
    return p;
  };
  const channels = new Map<string, { key: string; orders: number; gross: number; refunds: number; net: number }>();
  const channel = (key: string) => {
    let c = channels.get(key);
    if (!c) channels.set(key, (c = { key, orders: 0, gross: 0, refunds: 0, net: 0 }));
    return c;
  };
  const customers = new Set<string>();
  const paidInRange = s.orders.filter((o) => PAID.has(o.status) && o.currency === q.currency && inRange(o.created_at));
  for (const o of paidInRange) {
    totals.orders += 1;
    totals.gross += o.total;
    totals.discounts += o.discount;
    totals.tax += o.tax;
    totals.shipping += o.shipping;
    const p = point(bucketLabel(o.created_at, q.tz, q.interval, q.from));
    p.orders += 1;
    p.gross += o.total;
    const c = channel(channelOf(o));
    c.orders += 1;
    c.gross += o.total;
    const key = customerKey(o);
    if (key) customers.add(key);
  }
  for (const r of s.refunds) {
    if (r.currency !== q.currency || !inRange(r.created_at)) continue;
    totals.refunds += r.amount;
    point(bucketLabel(r.created_at, q.tz, q.interval, q.from)).refunds += r.amount;
    channel(channelOf(ordersById.get(r.order_id)!)).refunds += r.amount;
  }
  totals.net = totals.gross - totals.refunds;
  totals.aov = totals.orders ? Math.round(totals.gross / totals.orders) : 0;
  totals.customers = customers.size;
  // New: the customer's first paid order ever (ties by id) is in range and in this currency.
  const firstPaid = new Map<string, Snapshot['orders'][number]>();
  for (const o of s.orders) {
    const key = customerKey(o);
    if (!key || !PAID.has(o.status)) continue;
    const cur = firstPaid.get(key);
    if (!cur || o.created_at < cur.created_at || (o.created_at.getTime() === cur.created_at.getTime() && o.id < cur.id)) firstPaid.set(key, o);
  }
  for (const o of firstPaid.values()) if (o.currency === q.currency && inRange(o.created_at)) totals.new_customers += 1;
  for (const p of series.values()) p.net = p.gross - p.refunds;
  for (const c of channels.values()) c.net = c.gross - c.refunds;
  return { totals, series, by_channel: [...channels.values()].sort((a, b) => a.key.localeCompare(b.key)), products: bruteProducts(s, q) };
}

export function bruteProducts(s: Snapshot, q: Pick<Query, 'currency' | 'tz' | 'from' | 'to'>) {
  const inRange = (d: Date) => {
    const day = localDate(d, q.tz);
    return day >= q.from && day <= q.to;
  };
  const rows = new Map<string, { product_id: string; views: number; add_to_carts: number; purchases: number; units: number; revenue: number; orders: Set<string> }>();
  const row = (id: string) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { product_id: id, views: 0, add_to_carts: 0, purchases: 0, units: 0, revenue: 0, orders: new Set() }));
    return r;
  };
  // A path segment names a product by id, else by handle (name lower-cased, other runs → '-').
  const ids = new Set(s.products.map((p) => p.id));
  const byHandle = new Map<string, string>();
  for (const p of [...s.products].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const handle = p.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
    if (!byHandle.has(handle)) byHandle.set(handle, p.id);
  }
  for (const pv of s.pageviews) {
    const m = /^\/products\/([^/?#]+)/.exec(pv.path);
    if (!m || !inRange(pv.occurred_at)) continue;
    const segment = m[1]!;
    row(ids.has(segment) ? segment : (byHandle.get(segment) ?? segment)).views += 1;
  }
  for (const e of s.events) {
    const id = e.props?.product_id;
    if (e.name === 'add_to_cart' && typeof id === 'string' && id !== '' && inRange(e.occurred_at)) row(id).add_to_carts += 1;
  }
  const orders = new Map(s.orders.map((o) => [o.id, o]));
  for (const i of s.items) {
    const o = orders.get(i.order_id)!;
    if (!PAID.has(o.status) || !inRange(o.created_at)) continue;
    const r = row(i.product_id);
    r.orders.add(o.id);
    r.units += i.quantity;
    if (o.currency === q.currency) r.revenue += i.quantity * i.unit_price;
  }
  return [...rows.values()]
    .map(({ orders: set, ...r }) => ({ ...r, purchases: set.size }))
    .sort((a, b) => a.product_id.localeCompare(b.product_id));
}

/** Top products of the revenue report: items of paid orders in this currency only. */
export function bruteTopProducts(s: Snapshot, q: Pick<Query, 'currency' | 'tz' | 'from' | 'to'>, limit: number) {
  const only = { ...s, orders: s.orders.filter((o) => o.currency === q.currency), pageviews: [], events: [] };
  const orderIds = new Set(only.orders.map((o) => o.id));
  only.items = s.items.filter((i) => orderIds.has(i.order_id));
  return bruteProducts(only, q)
    .filter((r) => r.purchases > 0)
    .sort((a, b) => b.revenue - a.revenue || (a.product_id < b.product_id ? -1 : 1))
    .slice(0, limit)
    .map((r) => ({ product_id: r.product_id, purchases: r.purchases, units: r.units, revenue: r.revenue }));
}
