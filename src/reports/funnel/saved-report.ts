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

export type SavedReportSource = 'state' | 'raw';

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

export async function savedFunnelReport(pool: pg.Pool, input: SavedReportInput): Promise<{ report: FunnelReport; source: SavedReportSource }> {
  const definition = input.funnel;
  const built = await pool.query({
    text: 'SELECT 1 FROM funnel_state WHERE site_id = $1::bigint AND funnel_id = $2::bigint',
    values: [input.siteId, input.funnel.id],
  });
  if (built.rowCount === 0 || !aligned(input.start) || !aligned(input.end)) {
    const report = await funnelReport(pool, { siteId: input.siteId, start: input.start, end: input.end, definition, breakdown: input.breakdown });
    return { report, source: 'raw' };
  }
  const report = await reportFromWalked(pool, stateWalkedCte(input), { definition, breakdown: input.breakdown });
  return { report, source: 'state' };
}
