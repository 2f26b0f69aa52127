import type pg from 'pg';
import { withTransaction } from '../../db/pool.ts';
import type { ReportRange } from '../common/params.ts';

/**
 * GET …/reports/search (contract §4.6) from the search rollups (sql/111) and the orders table.
 *
 * Over the range's quarter-hour slots (every local midnight is on one, so the range is exact):
 * - `searches`, `searchers` (distinct visitors), `zero_results` (searches with results 0) from
 *   search_visitor_slots; `zero_result_rate` = zero / searches with known results (0 when none).
 * - `clicks` = searches followed by a search_click of the same query in the same session (at or
 *   after the search); `click_rate` = clicks / searches; `avg_click_position` = the mean
 *   `position` of the query's search_click events in the range (null without one).
 * - `orders`, `revenue`: paid orders (paid, fulfilled, refunded) in `currency` linked to a visitor
 *   (the order's visitor_id, or its customer_id = a uid the visitor sent) who searched the query
 *   in the range at s with s ≤ created_at ≤ s + 7 days (elapsed time, both bounds inclusive; the
 *   order may fall after `to`). Each order counts once per query however many searches or linked
 *   visitors lead to it; revenue = Σ total (refunds are not subtracted: the revenue report
 *   counts refunds on their own days). `conversion_rate` = searchers with such an order for any
 *   of their queries / searchers.
 * Orders are read from `orders` at request time (not rolled up), so an order upserted after the
 * search — late, re-sent, cancelled — changes the report at once.
 */
export interface SearchQueryRow {
  query: string;
  searches: number;
  searchers: number;
  zero_results: number;
  clicks: number;
  avg_click_position: number | null;
  orders: number;
  revenue: number;
}
export interface SearchReport {
  currency: string;
  from: string;
  to: string;
  tz: string;
  totals: { searches: number; searchers: number; zero_result_rate: number; click_rate: number; conversion_rate: number };
  queries: SearchQueryRow[];
  zero_result_queries: { query: string; searches: number; searchers: number }[];
}

export const MAX_QUERIES = 100;
const WINDOW = `interval '168 hours'`;
const WINDOW_MS = 168 * 3_600_000; // 7 days of elapsed time, whatever the session's zone and DST

const DAY_MS = 86_400_000;
/** The whole UTC days inside [start, end) as [dayStart, dayEnd); none (both = end) when the range holds no whole UTC day. */
export function wholeUtcDays(start: Date, end: Date): [Date, Date] {
  const first = Math.ceil(start.getTime() / DAY_MS) * DAY_MS;
  const last = Math.floor(end.getTime() / DAY_MS) * DAY_MS;
  return first < last ? [new Date(first), new Date(last)] : [end, end];
}

export function searchReportSql(siteId: string, currency: string, start: Date, end: Date, limit = MAX_QUERIES) {
  const text = `WITH v AS (
      SELECT query, visitor_id, searches, known, zero, first_at, last_at FROM search_visitor_slots
      WHERE site_id = $1::bigint AND slot >= $2::timestamptz AND slot < $3::timestamptz
    ), c AS (
      SELECT query, sum(clicked) AS clicked, sum(clicks) AS clicks, sum(position_sum) AS position_sum, sum(positions) AS positions
      FROM search_click_slots WHERE site_id = $1::bigint AND slot >= $2::timestamptz AND slot < $3::timestamptz GROUP BY query
    ), paid AS (
      SELECT id, visitor_id, customer_id, total, created_at FROM orders
      WHERE site_id = $1::bigint AND status IN ('paid', 'fulfilled', 'refunded') AND currency = $4::bpchar
        AND created_at >= $2::timestamptz AND created_at < $6::timestamptz
    ), sv AS (
      -- Per searching visitor: the envelope of their search times in the range. An order can only
      -- be attributed to one of their (query, slot) rows when it falls in [first_at, last_at + 7 d],
      -- so this exact pre-filter keeps the join below to the searchers' orders.
      SELECT visitor_id, min(first_at) AS first_at, max(last_at) AS last_at FROM v GROUP BY visitor_id
    ), links AS (
      -- Joined from the searchers' side by hash: probing search_visitor_uids once per order of the
      -- window (29 583 index probes, 118 332 buffers, ≈ 200 ms of 880 on the 3M demo, 2026-12-04)
      -- was the largest single cost of the statement.
      SELECT p.id, p.total, p.created_at, sv.visitor_id FROM paid p JOIN sv ON sv.visitor_id = p.visitor_id
      WHERE sv.first_at <= p.created_at AND sv.last_at >= p.created_at - ${WINDOW}
      UNION ALL -- att is DISTINCT: deduplicating here too cost a hash aggregate over every order
      SELECT p.id, p.total, p.created_at, sv.visitor_id FROM sv
      JOIN search_visitor_uids u ON u.site_id = $1::bigint AND u.visitor_id = sv.visitor_id
      JOIN paid p ON p.customer_id = u.user_id
      WHERE sv.first_at <= p.created_at AND sv.last_at >= p.created_at - ${WINDOW}
    ), att AS (
      SELECT DISTINCT v.query, v.visitor_id, l.id, l.total FROM links l
      JOIN v ON v.visitor_id = l.visitor_id AND v.first_at <= l.created_at AND v.last_at >= l.created_at - ${WINDOW}
    ), att_q AS (
      SELECT query, count(*) AS orders, sum(total) AS revenue FROM (SELECT DISTINCT query, id, total FROM att) o GROUP BY query
    ), s_parts AS (
      -- Distinct searchers per query (zero_only: with a zero-result search), sql/113: the whole UTC
      -- days [$7, $8) from the day rows, pairs whose previous slot is before the range; the partial
      -- days at the edges from the slot rows: every pair of [$2, $7), and the pairs of [$8, $3) with
      -- no slot in [$2, $8). Grouping every slot row by (query, visitor) instead cost ≈ 200 of 880 ms.
      SELECT zero_only, query, sum(visitors) AS n FROM search_searcher_days
      WHERE site_id = $1::bigint AND day >= $7::timestamptz AND day < $8::timestamptz AND prev_slot < $2::timestamptz
      GROUP BY 1, 2
      UNION ALL
      SELECT z.zero_only, e.query, count(DISTINCT e.visitor_id) FROM search_visitor_slots e CROSS JOIN (VALUES (false), (true)) z(zero_only)
      WHERE e.site_id = $1::bigint AND e.slot >= $2::timestamptz AND e.slot < $7::timestamptz AND (NOT z.zero_only OR e.zero > 0)
      GROUP BY 1, 2
      UNION ALL
      SELECT z.zero_only, e.query, count(*) FROM (
          SELECT query, visitor_id, bool_or(zero > 0) AS has_zero FROM search_visitor_slots
          WHERE site_id = $1::bigint AND slot >= $8::timestamptz AND slot < $3::timestamptz GROUP BY 1, 2
        ) e CROSS JOIN (VALUES (false), (true)) z(zero_only)
      WHERE (NOT z.zero_only OR e.has_zero) AND NOT EXISTS (
        SELECT 1 FROM search_visitor_slots s WHERE s.site_id = $1::bigint AND s.visitor_id = e.visitor_id AND s.query = e.query
          AND s.slot >= $2::timestamptz AND s.slot < $8::timestamptz AND (NOT z.zero_only OR s.zero > 0))
      GROUP BY 1, 2
    ), sq AS (
      SELECT query, sum(n) FILTER (WHERE NOT zero_only) AS searchers, sum(n) FILTER (WHERE zero_only) AS zero_searchers FROM s_parts GROUP BY query
    ), q AS (
      SELECT s.query, s.searches, s.zero, s.known, coalesce(sq.searchers, 0) AS searchers, coalesce(sq.zero_searchers, 0) AS zero_searchers
      FROM (SELECT query, sum(searches) AS searches, sum(zero) AS zero, sum(known) AS known FROM v GROUP BY query) s
      LEFT JOIN sq ON sq.query = s.query
    ), top AS (
      SELECT q.query, q.searches, q.searchers, q.zero, coalesce(c.clicked, 0) AS clicked,
        CASE WHEN c.positions > 0 THEN c.position_sum / c.positions END AS avg_position,
        coalesce(a.orders, 0) AS orders, coalesce(a.revenue, 0) AS revenue
      FROM q LEFT JOIN c ON c.query = q.query LEFT JOIN att_q a ON a.query = q.query
      ORDER BY q.searches DESC, q.query COLLATE "C" LIMIT $5::int
    ), zq AS (
      SELECT query, zero, zero_searchers FROM q WHERE zero > 0 ORDER BY zero DESC, query COLLATE "C" LIMIT $5::int
    )
    SELECT
      (SELECT coalesce(sum(searches), 0) FROM q)::float8 AS "searches",
      (SELECT count(*) FROM sv)::float8 AS "searchers",
      (SELECT coalesce(sum(zero), 0) FROM q)::float8 AS "zero",
      (SELECT coalesce(sum(known), 0) FROM q)::float8 AS "known",
      (SELECT coalesce(sum(c.clicked), 0) FROM c JOIN q ON q.query = c.query)::float8 AS "clicked",
      (SELECT count(*) FROM (SELECT DISTINCT visitor_id FROM att) d)::float8 AS "converters",
      (SELECT coalesce(json_agg(json_build_object('query', query, 'searches', searches, 'searchers', searchers, 'zero_results', zero,
          'clicks', clicked, 'avg_click_position', avg_position, 'orders', orders, 'revenue', revenue)
          ORDER BY searches DESC, query COLLATE "C"), '[]') FROM top) AS "queries",
      (SELECT coalesce(json_agg(json_build_object('query', query, 'searches', zero, 'searchers', zero_searchers)
          ORDER BY zero DESC, query COLLATE "C"), '[]') FROM zq) AS "zeroQueries"`;
    // $6 = end + 7 days, computed here: `$3 + interval` is not immutable, so the planner guessed 294 paid
  // orders for 43 529 and chose an index probe per order (3M demo, 2026-12-04).
  const [dayStart, dayEnd] = wholeUtcDays(start, end);
  return { text, values: [siteId, start, end, currency, limit, new Date(end.getTime() + WINDOW_MS), dayStart, dayEnd] };
}

interface Row {
  searches: number; searchers: number; zero: number; known: number; clicked: number; converters: number;
  queries: { query: string; searches: number | string; searchers: number | string; zero_results: number | string; clicks: number | string; avg_click_position: number | null; orders: number | string; revenue: number | string }[];
  zeroQueries: { query: string; searches: number | string; searchers: number | string }[];
}

const rate = (n: number, d: number) => (d > 0 ? n / d : 0);

/**
 * work_mem for the one statement: a 90-day range groups one row per (query, visitor, slot); with
 * the default 4 MB the materialized slot rows and the per-query sort spilled to disk (measured:
 * 75 000 slot rows, an external merge sort of 4 MB and a 5 MB on-disk CTE, 2026-12-04).
 */
const WORK_MEM = '64MB';

export async function searchReport(pool: pg.Pool, siteId: string, currency: string, range: ReportRange): Promise<SearchReport> {
  const { rows } = await withTransaction(pool, async (client) => {
    await client.query(`SET LOCAL work_mem = '${WORK_MEM}'`);
    return client.query<Row>(searchReportSql(siteId, currency, range.start, range.end));
  });
  const r = rows[0]!;
  return {
    currency, from: range.from, to: range.to, tz: range.tz,
    totals: {
      searches: r.searches,
      searchers: r.searchers,
      zero_result_rate: rate(r.zero, r.known),
      click_rate: rate(r.clicked, r.searches),
      conversion_rate: rate(r.converters, r.searchers),
    },
    queries: r.queries.map((q) => ({
      query: q.query, searches: Number(q.searches), searchers: Number(q.searchers), zero_results: Number(q.zero_results), clicks: Number(q.clicks),
      avg_click_position: q.avg_click_position === null ? null : Number(q.avg_click_position), orders: Number(q.orders), revenue: Number(q.revenue),
    })),
    zero_result_queries: r.zeroQueries.map((z) => ({ query: z.query, searches: Number(z.searches), searchers: Number(z.searchers) })),
  };
}
