import pg from 'pg';

/**
 * The erased visitors' raw rows (sql/001: pageviews, events, heatmap_points, errors, vitals, each
 * partitioned by month) and what keys them at ingestion (ingest_dedup, visitor_sessions).
 *
 * Finding the rows: there is no index on visitor_id (one per raw table would slow every COPY),
 * so `site_id = $1 AND visitor_id = ANY($2)` walks the site's rows through the (site_id,
 * occurred_at) index or a scan of the partitions (measured in docs/benchmarks.md "Erase"). That
 * read takes only ACCESS SHARE: it blocks nothing. The rows are copied with their partition and
 * ctid into temp tables `er_pv`, `er_ev`, `er_hm`, `er_err`, `er_vt`, which the rollup
 * corrections read, and deleted at the very end of the transaction by ctid, one TID scan per
 * partition, so the ROW EXCLUSIVE lock the delete takes (which a rollup job's brief EXCLUSIVE
 * lock, and the writers queued behind that, would wait for) is held for milliseconds, not for
 * the scan. COPY into the same partitions is never blocked (ROW EXCLUSIVE does not conflict
 * with itself).
 */
export const RAW_TABLES = [
  { table: 'pageviews', temp: 'er_pv' },
  { table: 'events', temp: 'er_ev' },
  { table: 'heatmap_points', temp: 'er_hm' },
  { table: 'errors', temp: 'er_err' },
  { table: 'vitals', temp: 'er_vt' },
] as const;

export type RawTable = (typeof RAW_TABLES)[number]['table'];

/** Copies the visitors' rows of every raw table into its temp table; answers the row counts. */
export async function collectRawRows(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<Record<RawTable, number>> {
  const counts = {} as Record<RawTable, number>;
  for (const { table, temp } of RAW_TABLES) {
    const r = await client.query({
      text: `CREATE TEMP TABLE ${temp} ON COMMIT DROP AS
             SELECT tableoid::regclass::text AS er_part, ctid AS er_tid, t.* FROM ${pg.escapeIdentifier(table)} t
             WHERE t.site_id = $1::bigint AND t.visitor_id = ANY ($2::text[])`,
      values: [siteId, visitorIds],
    });
    counts[table] = r.rowCount ?? 0;
  }
  return counts;
}

/** Visitor ids that sent `uid` = the customer id (the funnel's uid → visitor link, sql/080 indexes). */
export async function visitorsOfUid(client: pg.ClientBase, siteId: string, customerId: string): Promise<string[]> {
  const { rows } = await client.query<{ v: string }>({
    text: `SELECT visitor_id AS v FROM pageviews WHERE site_id = $1::bigint AND user_id = $2::text
           UNION SELECT visitor_id FROM events WHERE site_id = $1::bigint AND user_id = $2::text`,
    values: [siteId, customerId],
  });
  return rows.map((r) => r.v);
}

const PARTITION_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Deletes the collected rows (by partition and ctid, rechecked by site and visitor) and their
 * idempotency keys, so the same event ids sent again are stored as new; and the visitors'
 * server-side session state.
 */
export async function deleteRawRows(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<{ idempotencyKeys: number; visitorSessions: number }> {
  for (const { temp } of RAW_TABLES) {
    const parts = await client.query<{ part: string; tids: string[] }>(`SELECT er_part AS part, array_agg(er_tid::text) AS tids FROM ${temp} GROUP BY 1`);
    for (const { part, tids } of parts.rows) {
      if (!PARTITION_NAME.test(part)) throw new Error(`unexpected partition name ${part}`);
      await client.query({
        text: `DELETE FROM ${pg.escapeIdentifier(part)} WHERE ctid = ANY ($1::tid[]) AND site_id = $2::bigint AND visitor_id = ANY ($3::text[])`,
        values: [tids, siteId, visitorIds],
      });
    }
  }
  const keys = await client.query({
    text: `DELETE FROM ingest_dedup WHERE site_id = $1::bigint AND event_id IN (
             ${RAW_TABLES.map(({ temp }) => `SELECT event_id FROM ${temp}`).join(' UNION ')})`,
    values: [siteId],
  });
  const sessions = await client.query({
    text: `DELETE FROM visitor_sessions WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`,
    values: [siteId, visitorIds],
  });
  return { idempotencyKeys: keys.rowCount ?? 0, visitorSessions: sessions.rowCount ?? 0 };
}
