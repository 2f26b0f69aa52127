import type pg from 'pg';
import type { QueryText } from './query.ts';
import { funnelReport, reportFromWalked, type FunnelReport } from './report.ts';
import { BREAKDOWNS } from './schema.ts';
import type { SavedFunnel } from './saved.ts';
import { BUCKET_US } from './state-sql.ts';

/**
 * A saved funnel's report from its precomputed attempts (sql/081, kept by state-job.ts).
 *
 * For a range [start, end): the attempts starting in it (and, for an order-first session
 * attempt, anchored in it) are those of the ad-hoc report; each one's depth clipped at `end`
 * is the number of its hits before `end` (its hits are in time order and clipping keeps a
 * prefix); per unit the deepest, earliest (start time, then id as text) attempt wins — the
 * §4.1 rule. Its times and breakdown value come from that attempt's stored row.
 *
 * A preset range (last 7/30/90 days in the site's zone, no breakdown) is answered from the
 * report cache (sql/083) while that holds the current state's report.
 *
 * Falls back to the ad-hoc query (same numbers, read from raw rows) when the job has not built
 * the funnel yet, or when a range end is not on a quarter hour (no IANA zone today has such a
 * midnight, but the state's pruning buckets assume it).
 */
export interface SavedReportInput {
  siteId: string;
  funnel: SavedFunnel;
  start: Date;
  end: Date;
  breakdown?: string | undefined;
}

/** cache: a preset range's finished report (report-cache.ts), equal to what state would answer. */
export type SavedReportSource = 'cache' | 'state' | 'raw';

export function stateWalkedCte(input: SavedReportInput): QueryText {
  const startUs = BigInt(input.start.getTime()) * 1000n;
  const endUs = BigInt(input.end.getTime()) * 1000n;
  const bindex = input.breakdown ? BREAKDOWNS.indexOf(input.breakdown as (typeof BREAKDOWNS)[number]) + 1 : 0;
  const values: unknown[] = [input.siteId, input.funnel.id, startUs.toString(), endUs.toString()];
  const text = `WITH
  attempts AS (
    SELECT visitor_id, session_id, start_us, start_id, hits_us, hit_steps, order_hits, bvals,
      -- the usual case: the whole attempt is before the end (no unnest per row)
      CASE WHEN hits_us[cardinality(hits_us)] < $4::bigint THEN cardinality(hits_us)
        ELSE (SELECT count(*) FROM unnest(hits_us) AS h WHERE h < $4::bigint)::int END AS depth
    FROM funnel_attempts
    WHERE site_id = $1::bigint AND funnel_id = $2::bigint
      AND start_us >= $3::bigint AND start_us < $4::bigint AND anchor_us >= $3::bigint
  ),
  best AS (
    -- byte order: sorting ids under the database's collation cost most of this sort
    SELECT DISTINCT ON (visitor_id COLLATE "C", session_id COLLATE "C") *
    FROM attempts ORDER BY visitor_id COLLATE "C", session_id COLLATE "C", depth DESC, start_us, start_id COLLATE "C"
  ),
  walked AS (
    SELECT visitor_id, nullif(session_id, '') AS session_id, depth,
      ARRAY(SELECT generate_series(1, depth)) AS hits,
      hit_steps[1:depth]::int[] AS hit_steps,
      ARRAY[NULL::double precision] || ARRAY(SELECT (hits_us[k] - hits_us[k - 1])::double precision / 1000000 FROM generate_series(2, depth) AS k ORDER BY k) AS gaps,
      coalesce(bvals[${bindex}], '(none)') AS bkey,
      to_timestamp(start_us::double precision / 1000000) AS entered_at,
      order_hits AS ids,
      ARRAY(SELECT x IS NOT NULL FROM unnest(order_hits) WITH ORDINALITY AS u(x, o) ORDER BY o) AS is_order,
      NULL::text AS customer_id
    FROM best
  )`;
  return { text, values };
}

const aligned = (d: Date) => (d.getTime() * 1000) % BUCKET_US === 0;
const toUs = (d: Date) => (BigInt(d.getTime()) * 1000n).toString();

/**
 * Whether the funnel's state is built, and its cached report of exactly [start, end) if one is
 * current (sql/083, report-cache.ts): same state version, same max(orders.updated_at) of the
 * site. One round trip either way.
 */
export function stateAndCacheSql(siteId: string, funnelId: string, start: Date, end: Date): QueryText {
  return {
    text: `SELECT s.version::text AS version, (SELECT max(updated_at) FROM orders WHERE site_id = $1::bigint)::text AS "ordersAt",
        (SELECT c.report FROM funnel_report_cache c
         WHERE c.site_id = $1::bigint AND c.funnel_id = $2::bigint AND c.start_us = $3::bigint AND c.end_us = $4::bigint
           AND c.version = s.version
           AND c.orders_at IS NOT DISTINCT FROM (SELECT max(updated_at) FROM orders WHERE site_id = $1::bigint)) AS report
      FROM funnel_state s WHERE s.site_id = $1::bigint AND s.funnel_id = $2::bigint`,
    values: [siteId, funnelId, toUs(start), toUs(end)],
  };
}

export interface StateAndCache {
  version: string;
  /** As text: a Date would drop the microseconds the guard compares. */
  ordersAt: string | null;
  report: FunnelReport | null;
}

/** The exact state path alone (also what the cache job stores). */
export async function stateReport(pool: pg.Pool, input: SavedReportInput): Promise<FunnelReport> {
  return reportFromWalked(pool, stateWalkedCte(input), { definition: input.funnel, breakdown: input.breakdown });
}

export async function savedFunnelReport(pool: pg.Pool, input: SavedReportInput): Promise<{ report: FunnelReport; source: SavedReportSource }> {
  const definition = input.funnel;
  const state = await pool.query<StateAndCache>(stateAndCacheSql(input.siteId, input.funnel.id, input.start, input.end));
  if (state.rowCount === 0 || !aligned(input.start) || !aligned(input.end)) {
    const report = await funnelReport(pool, { siteId: input.siteId, start: input.start, end: input.end, definition, breakdown: input.breakdown });
    return { report, source: 'raw' };
  }
  const cached = state.rows[0]!.report;
  if (cached && !input.breakdown) return { report: cached, source: 'cache' };
  return { report: await stateReport(pool, input), source: 'state' };
}
