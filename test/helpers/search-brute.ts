import type pg from 'pg';
import { normalizeQuery } from '../../src/reports/search/normalize.ts';

/**
 * Independent brute force of the site-search report (contract §4.6) over the RAW rows (events,
 * pageviews, orders) read back from the database: no rollup, no slot, no session state — every
 * search is checked against every click and every order directly. Only the query normalization is
 * shared with the product (it has its own unit test, normalize.test.ts).
 */
interface RawEvent { name: string; visitorId: string; sessionId: string; userId: string | null; at: number; props: Record<string, unknown> | null }
interface RawPageview { visitorId: string; sessionId: string; userId: string | null; at: number; url: string }
interface RawOrder { id: string; visitorId: string | null; customerId: string | null; status: string; currency: string; total: number; at: number }

export interface BruteData { events: RawEvent[]; pageviews: RawPageview[]; orders: RawOrder[]; searchParams: string[] }

export async function loadBruteData(pool: pg.Pool, siteId: string): Promise<BruteData> {
  const events = await pool.query<RawEvent & { at: Date }>({
    text: `SELECT name, visitor_id AS "visitorId", session_id AS "sessionId", user_id AS "userId", occurred_at AS "at", props FROM events WHERE site_id = $1::bigint`,
    values: [siteId],
  });
  const pageviews = await pool.query<RawPageview & { at: Date }>({
    text: `SELECT visitor_id AS "visitorId", session_id AS "sessionId", user_id AS "userId", occurred_at AS "at", url FROM pageviews WHERE site_id = $1::bigint`,
    values: [siteId],
  });
  const orders = await pool.query<RawOrder & { at: Date; total: string }>({
    text: `SELECT id, visitor_id AS "visitorId", customer_id AS "customerId", status, currency, total, created_at AS "at" FROM orders WHERE site_id = $1::bigint`,
    values: [siteId],
  });
  const site = await pool.query<{ params: string[] }>({ text: `SELECT search_params AS "params" FROM sites WHERE id = $1::bigint`, values: [siteId] });
  return {
    events: events.rows.map((e) => ({ ...e, at: new Date(e.at).getTime() })),
    pageviews: pageviews.rows.map((p) => ({ ...p, at: new Date(p.at).getTime() })),
    orders: orders.rows.map((o) => ({ ...o, total: Number(o.total), at: new Date(o.at).getTime() })),
    searchParams: site.rows[0]!.params,
  };
}

function pageviewQuery(url: string, params: string[]): string | null {
  const sp = new URL(url).searchParams;
  for (const p of params) for (const v of sp.getAll(p)) { const q = normalizeQuery(v); if (q) return q; }
  return null;
}

const WEEK = 7 * 86_400_000;

export function bruteSearchReport(d: BruteData, start: number, end: number, currency: string) {
  type S = { q: string; v: string; sess: string; at: number; results: number | null };
  const all: S[] = [];
  for (const e of d.events) {
    if (e.name !== 'search') continue;
    const q = normalizeQuery(e.props?.q);
    if (!q) continue;
    const r = e.props?.results;
    all.push({ q, v: e.visitorId, sess: e.sessionId, at: e.at, results: typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : null });
  }
  for (const p of d.pageviews) {
    const q = pageviewQuery(p.url, d.searchParams);
    if (q) all.push({ q, v: p.visitorId, sess: p.sessionId, at: p.at, results: null });
  }
  const clicks = d.events.filter((e) => e.name === 'search_click').map((e) => ({ q: normalizeQuery(e.props?.q), sess: e.sessionId, at: e.at, pos: e.props?.position }));
  const searches = all.filter((s) => s.at >= start && s.at < end);
  const uids = new Map<string, Set<string>>();
  for (const x of [...d.events, ...d.pageviews]) if (x.userId) { if (!uids.has(x.visitorId)) uids.set(x.visitorId, new Set()); uids.get(x.visitorId)!.add(x.userId); }
  const paid = d.orders.filter((o) => ['paid', 'fulfilled', 'refunded'].includes(o.status) && o.currency === currency);
  const linked = (o: RawOrder, v: string) => o.visitorId === v || (o.customerId !== null && (uids.get(v)?.has(o.customerId) ?? false));

  const byQuery = new Map<string, S[]>();
  for (const s of searches) { if (!byQuery.has(s.q)) byQuery.set(s.q, []); byQuery.get(s.q)!.push(s); }
  const converters = new Set<string>();
  let clickedTotal = 0;
  const rows = [...byQuery.entries()].map(([q, list]) => {
    const clicked = list.filter((s) => clicks.some((c) => c.q === q && c.sess === s.sess && c.at >= s.at)).length;
    clickedTotal += clicked;
    const pos = clicks.filter((c) => c.q === q && c.at >= start && c.at < end && typeof c.pos === 'number').map((c) => c.pos as number);
    const orders = paid.filter((o) => list.some((s) => linked(o, s.v) && o.at >= s.at && o.at <= s.at + WEEK));
    for (const s of list) if (paid.some((o) => linked(o, s.v) && o.at >= s.at && o.at <= s.at + WEEK)) converters.add(s.v);
    const zero = list.filter((s) => s.results === 0);
    return {
      query: q, searches: list.length, searchers: new Set(list.map((s) => s.v)).size, zero_results: zero.length, clicks: clicked,
      avg_click_position: pos.length ? pos.reduce((a, b) => a + b, 0) / pos.length : null,
      orders: orders.length, revenue: orders.reduce((a, o) => a + o.total, 0),
      zeroSearchers: new Set(zero.map((s) => s.v)).size, known: list.filter((s) => s.results !== null).length,
    };
  });
  const cmp = (a: { n: number; q: string }, b: { n: number; q: string }) => b.n - a.n || (a.q < b.q ? -1 : a.q > b.q ? 1 : 0);
  rows.sort((a, b) => cmp({ n: a.searches, q: a.query }, { n: b.searches, q: b.query }));
  const searchers = new Set(searches.map((s) => s.v)).size;
  const zero = rows.reduce((a, r) => a + r.zero_results, 0);
  const known = rows.reduce((a, r) => a + r.known, 0);
  return {
    totals: {
      searches: searches.length, searchers,
      zero_result_rate: known ? zero / known : 0,
      click_rate: searches.length ? clickedTotal / searches.length : 0,
      conversion_rate: searchers ? converters.size / searchers : 0,
    },
    queries: rows.slice(0, 100).map(({ zeroSearchers: _z, known: _k, ...r }) => r),
    zero_result_queries: rows.filter((r) => r.zero_results > 0).sort((a, b) => cmp({ n: a.zero_results, q: a.query }, { n: b.zero_results, q: b.query }))
      .slice(0, 100).map((r) => ({ query: r.query, searches: r.zero_results, searchers: r.zeroSearchers })),
  };
}
