import type pg from 'pg';
import { copyRows, type CopyValue } from './copy.ts';
import { assignSessions, insertPlaceholders, visitorKeys } from './sessions.ts';
import { COMMON_COLUMNS, RAW_TABLES, TABLE_COLUMNS, type PreparedEvent, type RawTable } from './tables.ts';

/**
 * Months whose partitions are known to exist, per table ('pageviews:2026-11'). One per process,
 * passed in; a miss costs one tally_ensure_partition() call, made outside the write transaction
 * so the catalog lock is held for milliseconds, not for a COPY.
 */
export class PartitionCache {
  private readonly known = new Set<string>();

  async ensure(db: pg.Pool | pg.ClientBase, events: readonly PreparedEvent[]): Promise<void> {
    const missing = new Map<string, { table: RawTable; month: string }>();
    for (const e of events) {
      const month = new Date(e.ts).toISOString().slice(0, 7);
      const key = `${e.table}:${month}`;
      if (!this.known.has(key)) missing.set(key, { table: e.table, month });
    }
    for (const [key, { table, month }] of missing) {
      await db.query({ text: 'SELECT tally_ensure_partition($1::text, $2::date)', values: [table, `${month}-01`] });
      this.known.add(key);
    }
  }

  /** After "no partition found" (a retention job dropped one we thought existed). */
  forget(): void {
    this.known.clear();
  }
}

export interface WriteResult {
  /** Events stored by this call. */
  inserted: number;
  /** Events whose (site, id) was already stored (client retry, spool replay). */
  duplicates: number;
  /** Rows copied (heatmap events expand to one row per point). */
  rows: number;
  duplicatesByTable: Partial<Record<RawTable, number>>;
}

function countByTable(events: readonly PreparedEvent[]): Partial<Record<RawTable, number>> {
  const out: Partial<Record<RawTable, number>> = {};
  for (const e of events) out[e.table] = (out[e.table] ?? 0) + 1;
  return out;
}

/**
 * Writes one batch in the caller's open transaction, set-based whatever its size:
 *  1. idempotency keys into ingest_dedup (unnest … ON CONFLICT DO NOTHING RETURNING): only
 *     events whose key was new go further, so neither retries nor spool replays store twice;
 *  2. session ids (sessions.ts, per-visitor state rows locked in key order);
 *  3. one COPY per raw table straight into the partitioned parent.
 * Everything commits or nothing does. Resolving keys before the COPY lets the rows go once, into
 * their final table, instead of COPY into a staging table followed by INSERT … SELECT.
 */
export async function writeBatch(client: pg.ClientBase, events: readonly PreparedEvent[]): Promise<WriteResult> {
  // The first of several copies of one key in a batch wins (same as across batches).
  const unique: PreparedEvent[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const key = `${e.siteId}:${e.eventId}`;
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(e);
    }
  }
  if (unique.length === 0) return { inserted: 0, duplicates: events.length, rows: 0, duplicatesByTable: countByTable(events) };
  // One round trip for the keys and the session placeholders (sessions.ts step 1): on a busy
  // 2-core box every statement costs milliseconds of scheduling, more than its own work.
  const { sites, visitors } = visitorKeys(unique);
  const placeholders = insertPlaceholders(sites, visitors, 4);
  const fresh = await client.query<{ k: string }>({
    text: `WITH placeholders AS (${placeholders.text})
           INSERT INTO ingest_dedup (site_id, event_id, received_at)
           SELECT s, e, r FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[]) AS u(s, e, r)
           ON CONFLICT (site_id, event_id) DO NOTHING
           RETURNING site_id::text || ':' || event_id::text AS k`,
    values: [unique.map((e) => e.siteId), unique.map((e) => e.eventId), unique.map((e) => new Date(e.receivedAt).toISOString()), ...placeholders.values],
  });
  const fresher = new Set(fresh.rows.map((r) => r.k));
  const news = unique.filter((e) => fresher.has(`${e.siteId}:${e.eventId}`));
  const sessions = await assignSessions(client, news, { placeholdersInserted: true });

  let rows = 0;
  for (const table of RAW_TABLES) {
    const mine = news.filter((e) => e.table === table);
    if (!mine.length) continue;
    const data = function* (): Generator<CopyValue[]> {
      for (const e of mine) {
        const common: CopyValue[] = [e.siteId, new Date(e.ts).toISOString(), new Date(e.receivedAt).toISOString(), e.eventId, e.visitorId, sessions.get(e)!];
        for (const r of e.rows) yield [...common, ...r];
      }
    };
    rows += await copyRows(client, table, [...COMMON_COLUMNS, ...TABLE_COLUMNS[table]], data());
  }
  const newSet = new Set(news);
  return {
    inserted: news.length,
    duplicates: events.length - news.length,
    rows,
    duplicatesByTable: countByTable(events.filter((e) => !newSet.has(e))),
  };
}

/** PostgreSQL's "no partition of relation … found for row". */
export function isMissingPartition(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23514' && /no partition/i.test(String((error as Error).message));
}

/**
 * Ensures partitions, then runs writeBatch in its own transaction on a pooled client; retries
 * once after "no partition" (the cache was stale). Errors propagate (the caller spools on
 * connection failures).
 */
export async function writeTransaction(pool: pg.Pool, partitions: PartitionCache, events: readonly PreparedEvent[]): Promise<WriteResult> {
  for (let attempt = 0; ; attempt++) {
    await partitions.ensure(pool, events);
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await writeBatch(client, events);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (attempt === 0 && isMissingPartition(error)) {
        partitions.forget();
        continue;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
