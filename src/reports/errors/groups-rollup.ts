import type pg from 'pg';
import { runWatermarkRollup, type WatermarkRollupOptions } from '../common/watermark-rollup.ts';
import { firstFrame } from './fingerprint.ts';

/**
 * Incremental error groups (contract §4.4, sql/070) from the raw `errors` table.
 *
 * Raw rows are append-only and carry their fingerprint from ingest, so each row is folded exactly
 * once by ingest_seq with the watermark method of common/watermark.ts (a brief EXCLUSIVE lock on
 * `errors` waits for in-flight writers; every number at or below the sequence position read
 * under it is committed). Rows in (watermark, bound] are folded and the watermark moves to the
 * bound in one transaction: an interrupted run rolls back whole and is redone.
 *
 * Per batch: one upsert of the batch's groups (first/last seen widened, the latest occurrence's
 * message, first-frame file/line and stack when it is newer than the stored one, and the
 * regression rule: a resolved group whose batch holds an occurrence with ts later than
 * resolved_at is open again with regressed = true; ignored groups keep their status), then the
 * per (quarter-hour slot, group, browser) counts, incremented, and the slot's (visitor, session)
 * pairs, inserted once, with the chains of the pairs they touch re-linked (sql/074).
 */

export const ERROR_GROUPS_WATERMARK = 'error-groups';

export type ErrorGroupRollupOptions = WatermarkRollupOptions;

export interface ErrorGroupRollupOutcome {
  skipped: boolean;
  /** Raw error rows folded. */
  rows: number;
  /** Groups inserted or updated. */
  groups: number;
  batches: number;
  watermark: number;
}

interface LatestRow {
  siteId: string;
  fingerprint: string;
  stack: string | null;
  file: string | null;
  line: number | null;
}

const BATCH = `ingest_seq > $1::bigint AND ingest_seq <= $2::bigint`;
/** In the upsert: the batch's latest occurrence is newer than the stored one (ts, then ingest order). */
const NEWER = `(EXCLUDED.last_seen, EXCLUDED.latest_seq) > (g.last_seen, g.latest_seq)`;
/** The batch has an occurrence whose ts is later than the group's resolution (contract §4.4). */
const REGRESSES = `(g.status = 'resolved' AND EXCLUDED.last_seen > g.resolved_at)`;

/**
 * Re-links the visitor and session chains (sql/074) of every (group, visitor) and (group,
 * session) pair in `touched` (a table with site_id, group_id, visitor_key, session_key): each row's
 * prev_*_slot becomes the slot of the row before it in its chain, so rows folded late (before
 * rows already linked) and rows erased leave every chain exact. Only changed rows are written.
 */
export function relinkErrorPeopleSql(touched: string): string[] {
  const relink = (key: 'visitor_key' | 'session_key', other: 'visitor_key' | 'session_key', col: string) =>
    `UPDATE error_group_visitors t SET ${col} = c.prev
     FROM (SELECT v.site_id, v.slot, v.group_id, v.visitor_key, v.session_key,
                  lag(v.slot) OVER (PARTITION BY v.site_id, v.group_id, v.${key} ORDER BY v.slot, v.${other}) AS prev
           FROM error_group_visitors v
           JOIN (SELECT DISTINCT site_id, group_id, ${key} FROM ${touched}) k
             ON k.site_id = v.site_id AND k.group_id = v.group_id AND k.${key} = v.${key}) c
     WHERE t.site_id = c.site_id AND t.slot = c.slot AND t.group_id = c.group_id
       AND t.visitor_key = c.visitor_key AND t.session_key = c.session_key
       AND t.${col} IS DISTINCT FROM c.prev`;
  return [relink('visitor_key', 'session_key', 'prev_visitor_slot'), relink('session_key', 'visitor_key', 'prev_session_slot')];
}

/** One batch (lo, hi] on a client inside a transaction. */
async function foldBatch(client: pg.PoolClient, lo: number, hi: number): Promise<{ rows: number; groups: number }> {
  const batch = await client.query({
    text: `CREATE TEMP TABLE eg_batch ON COMMIT DROP AS
           WITH b AS (SELECT site_id, fingerprint, min(occurred_at) AS first_seen, max(occurred_at) AS last_seen, count(*) AS n
                      FROM errors WHERE ${BATCH} GROUP BY site_id, fingerprint)
           SELECT DISTINCT ON (e.site_id, e.fingerprint) e.site_id, e.fingerprint, e.kind, e.message, e.stack, e.file, e.line,
                  e.ingest_seq AS seq, b.first_seen, b.last_seen, b.n
           FROM errors e JOIN b ON b.site_id = e.site_id AND b.fingerprint = e.fingerprint
           WHERE e.${BATCH}
           ORDER BY e.site_id, e.fingerprint, e.occurred_at DESC, e.ingest_seq DESC`,
    values: [lo, hi],
  });
  if (!batch.rowCount) return { rows: 0, groups: 0 };
  // The first frame is parsed in TypeScript (the same parser as the fingerprint), once per group
  // of the batch, not per occurrence: only the latest occurrence's location is kept.
  const latest = await client.query<LatestRow>(
    `SELECT site_id::text AS "siteId", fingerprint, stack, file, line FROM eg_batch`,
  );
  const frames = latest.rows.map((r) => firstFrame(r.stack, r.file, r.line));
  const upsert = await client.query({
    text: `INSERT INTO error_groups AS g (site_id, fingerprint, kind, first_seen, last_seen, message, file, line, stack, latest_seq)
           SELECT b.site_id, b.fingerprint, b.kind, b.first_seen, b.last_seen, b.message, f.file, f.line, b.stack, b.seq
           FROM eg_batch b
           JOIN unnest($1::bigint[], $2::text[], $3::text[], $4::int[]) AS f(site_id, fingerprint, file, line)
             ON f.site_id = b.site_id AND f.fingerprint = b.fingerprint
           ON CONFLICT (site_id, fingerprint) DO UPDATE SET
             first_seen = least(g.first_seen, EXCLUDED.first_seen),
             last_seen = greatest(g.last_seen, EXCLUDED.last_seen),
             message = CASE WHEN ${NEWER} THEN EXCLUDED.message ELSE g.message END,
             file = CASE WHEN ${NEWER} THEN EXCLUDED.file ELSE g.file END,
             line = CASE WHEN ${NEWER} THEN EXCLUDED.line ELSE g.line END,
             stack = CASE WHEN ${NEWER} THEN EXCLUDED.stack ELSE g.stack END,
             latest_seq = CASE WHEN ${NEWER} THEN EXCLUDED.latest_seq ELSE g.latest_seq END,
             status = CASE WHEN ${REGRESSES} THEN 'open' ELSE g.status END,
             regressed = g.regressed OR ${REGRESSES},
             updated_at = now()`,
    values: [
      latest.rows.map((r) => r.siteId), latest.rows.map((r) => r.fingerprint),
      frames.map((f) => f.file), frames.map((f) => f.line),
    ],
  });
  await client.query({
    text: `INSERT INTO error_group_slots AS s (site_id, group_id, slot, browser, occurrences)
           SELECT e.site_id, g.id, tally_slot(e.occurred_at), coalesce(e.browser, 'unknown'), count(*)
           FROM errors e JOIN error_groups g ON g.site_id = e.site_id AND g.fingerprint = e.fingerprint
           WHERE e.${BATCH}
           GROUP BY 1, 2, 3, 4
           ON CONFLICT (site_id, slot, group_id, browser) DO UPDATE SET occurrences = s.occurrences + EXCLUDED.occurrences`,
    values: [lo, hi],
  });
  await client.query({
    text: `CREATE TEMP TABLE eg_people ON COMMIT DROP AS
           SELECT DISTINCT e.site_id, tally_slot(e.occurred_at) AS slot, g.id AS group_id,
                  hashtextextended(e.visitor_id, 0) AS visitor_key, hashtextextended(e.session_id, 0) AS session_key
           FROM errors e JOIN error_groups g ON g.site_id = e.site_id AND g.fingerprint = e.fingerprint
           WHERE e.${BATCH}`,
    values: [lo, hi],
  });
  await client.query(`INSERT INTO error_group_visitors (site_id, slot, group_id, visitor_key, session_key)
                      SELECT site_id, slot, group_id, visitor_key, session_key FROM eg_people ON CONFLICT DO NOTHING`);
  for (const text of relinkErrorPeopleSql('eg_people')) await client.query(text);
  const rows = await client.query<{ n: number }>(`SELECT coalesce(sum(n), 0)::float8 AS "n" FROM eg_batch`);
  return { rows: rows.rows[0]!.n, groups: upsert.rowCount ?? 0 };
}

/** Folds every committed error row past the watermark, in bounded batches (common/watermark-rollup.ts). */
export async function runErrorGroupRollup(pool: pg.Pool, options: ErrorGroupRollupOptions = {}): Promise<ErrorGroupRollupOutcome> {
  let groups = 0;
  const outcome = await runWatermarkRollup(
    pool,
    {
      watermark: ERROR_GROUPS_WATERMARK,
      lock: 'tally:error-groups',
      tables: ['errors'],
      fold: async (client, lo, hi) => {
        const out = await foldBatch(client, lo, hi);
        groups += out.groups;
        return out.rows;
      },
    },
    options,
  );
  return { ...outcome, groups };
}

/** Empties the groups' counts and replays every raw row (statuses are kept: they are people's). */
export async function rebuildErrorGroupCounts(pool: pg.Pool, options: ErrorGroupRollupOptions = {}): Promise<ErrorGroupRollupOutcome> {
  await pool.query({
    text: `WITH s AS (DELETE FROM error_group_slots RETURNING 1), v AS (DELETE FROM error_group_visitors RETURNING 1)
           UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = $1::text`,
    values: [ERROR_GROUPS_WATERMARK],
  });
  return runErrorGroupRollup(pool, options);
}
