import type pg from 'pg';

/**
 * Keeping search_searcher_days (sql/113) exact: the day rows of a (query, visitor) pair depend on
 * its whole chain of slots (a late search between two folded slots changes the next slot's
 * "previous slot"), so a change to a pair's slot rows is applied as: subtract the pair's day rows
 * computed from its slots before the change, make the change, add them computed after. Both passes
 * read only the touched pairs' slot rows (by the (site_id, visitor_id, slot) index of sql/111).
 * Used by the job's batches (rollup.ts) and by erase (erase-visitor.ts: subtract, then delete).
 */
export const UTC_DAY = `date_bin('1 day', slot, timestamptz '1970-01-01 00:00:00+00')`;

/** The pairs' day rows × sign, added into search_searcher_days; `pairs` is a FROM item with site_id, visitor_id, query. */
function applySql(pairs: string, sign: 1 | -1): string {
  return `WITH k AS (SELECT DISTINCT site_id, visitor_id, query FROM ${pairs}),
    r AS (
      SELECT s.site_id, s.visitor_id, s.query, s.slot, s.zero FROM search_visitor_slots s
      JOIN k ON s.site_id = k.site_id AND s.visitor_id = k.visitor_id AND s.query = k.query
    ), chain AS (
      SELECT site_id, query, ${UTC_DAY} AS day, false AS zero_only, lag(slot) OVER (PARTITION BY site_id, visitor_id, query ORDER BY slot) AS prev FROM r
      UNION ALL
      SELECT site_id, query, ${UTC_DAY}, true, lag(slot) OVER (PARTITION BY site_id, visitor_id, query ORDER BY slot) FROM r WHERE zero > 0
    )
    INSERT INTO search_searcher_days AS t (site_id, day, zero_only, query, prev_slot, visitors)
    SELECT site_id, day, zero_only, query, coalesce(prev, '-infinity'), ${sign} * count(*) FROM chain
    WHERE prev IS NULL OR prev < day
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (site_id, day, zero_only, query, prev_slot) DO UPDATE SET visitors = t.visitors + EXCLUDED.visitors`;
}

const UNNEST = `unnest($1::bigint[], $2::text[], $3::text[]) AS p(site_id, visitor_id, query)`;

export interface SearchPair { siteId: string; visitorId: string; query: string }

/**
 * Runs `change` (the upsert of the pairs' slot rows) between the subtract and add passes. A day row
 * left at 0 visitors is deleted, so a rebuild and an incremental history hold the same rows.
 */
export async function withSearcherDays(client: pg.ClientBase, pairs: readonly SearchPair[], change: () => Promise<void>): Promise<void> {
  if (pairs.length === 0) return change();
  const values = [pairs.map((p) => p.siteId), pairs.map((p) => p.visitorId), pairs.map((p) => p.query)];
  await client.query({ text: applySql(UNNEST, -1), values });
  await change();
  await client.query({ text: applySql(UNNEST, 1), values });
  await deleteEmpty(client, [...new Set(pairs.map((p) => p.siteId))]);
}

/** Erase: subtracts every pair of these visitors (their slot rows are deleted right after). */
export async function subtractVisitorsFromSearcherDays(client: pg.ClientBase, siteId: string, visitorIds: readonly string[]): Promise<void> {
  const pairs = `(SELECT site_id, visitor_id, query FROM search_visitor_slots WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])) p`;
  await client.query({ text: applySql(pairs, -1), values: [siteId, visitorIds] });
  await deleteEmpty(client, [siteId]);
}

// The table holds a few thousand rows per site (3,568 + 531 over the 3M demo's 90 days): a scan is cheap.
const deleteEmpty = (client: pg.ClientBase, siteIds: string[]) =>
  client.query({ text: `DELETE FROM search_searcher_days WHERE site_id = ANY ($1::bigint[]) AND visitors = 0`, values: [siteIds] });
