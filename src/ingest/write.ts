import type pg from 'pg';
import { copyRows, copyStatement, copyText, type CopyValue } from './copy.ts';
import { CopyScript, inlineParams } from './pipeline.ts';
import { advanceSessions, assignSessions, insertPlaceholders, lockStatesQuery, visitorKeys, type LockedState } from './sessions.ts';
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

/** The first of several copies of one key in a batch wins (same as across batches). */
function firstOfEachKey(events: readonly PreparedEvent[]): PreparedEvent[] {
  const unique: PreparedEvent[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const key = `${e.siteId}:${e.eventId}`;
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(e);
    }
  }
  return unique;
}

/**
 * Step 1 as one statement: the idempotency keys (only events whose key was new go further, so
 * neither retries nor spool replays store twice) and the session placeholders (sessions.ts).
 */
function keysQuery(unique: readonly PreparedEvent[]): { text: string; values: unknown[] } {
  const { sites, visitors } = visitorKeys(unique);
  const placeholders = insertPlaceholders(sites, visitors, 4);
  return {
    text: `WITH placeholders AS (${placeholders.text})
           INSERT INTO ingest_dedup (site_id, event_id, received_at)
           SELECT s, e, r FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[]) AS u(s, e, r)
           ON CONFLICT (site_id, event_id) DO NOTHING
           RETURNING site_id::text || ':' || event_id::text AS k`,
    values: [unique.map((e) => e.siteId), unique.map((e) => e.eventId), unique.map((e) => new Date(e.receivedAt).toISOString()), ...placeholders.values],
  };
}

function newEvents(unique: readonly PreparedEvent[], freshKeys: readonly { k: string }[]): PreparedEvent[] {
  const fresh = new Set(freshKeys.map((r) => r.k));
  return unique.filter((e) => fresh.has(`${e.siteId}:${e.eventId}`));
}

/** Each raw table's COPY rows for `news` (heatmap events expand to one row per point). */
function* tableRows(news: readonly PreparedEvent[], sessions: Map<PreparedEvent, string>): Generator<{ table: RawTable; rows: () => Generator<CopyValue[]> }> {
  for (const table of RAW_TABLES) {
    const mine = news.filter((e) => e.table === table);
    if (!mine.length) continue;
    yield {
      table,
      rows: function* () {
        for (const e of mine) {
          const common: CopyValue[] = [e.siteId, new Date(e.ts).toISOString(), new Date(e.receivedAt).toISOString(), e.eventId, e.visitorId, sessions.get(e)!];
          for (const r of e.rows) yield [...common, ...r];
        }
      },
    };
  }
}

function result(events: readonly PreparedEvent[], news: readonly PreparedEvent[], rows: number): WriteResult {
  const newSet = new Set(news);
  return {
    inserted: news.length,
    duplicates: events.length - news.length,
    rows,
    duplicatesByTable: countByTable(events.filter((e) => !newSet.has(e))),
  };
}

/**
 * Writes one batch in the caller's open transaction, set-based whatever its size:
 *  1. idempotency keys and session placeholders (`keysQuery`);
 *  2. session ids (sessions.ts, per-visitor state rows locked in key order);
 *  3. one COPY per raw table straight into the partitioned parent.
 * Everything commits or nothing does. Resolving keys before the COPY lets the rows go once, into
 * their final table, instead of COPY into a staging table followed by INSERT … SELECT.
 * `writeTransaction` runs the same statements in two round trips.
 */
export async function writeBatch(client: pg.ClientBase, events: readonly PreparedEvent[]): Promise<WriteResult> {
  const unique = firstOfEachKey(events);
  if (unique.length === 0) return result(events, [], 0);
  const fresh = await client.query<{ k: string }>(keysQuery(unique));
  const news = newEvents(unique, fresh.rows);
  const sessions = await assignSessions(client, news, { placeholdersInserted: true });
  let rows = 0;
  for (const { table, rows: data } of tableRows(news, sessions)) {
    rows += await copyRows(client, table, [...COMMON_COLUMNS, ...TABLE_COLUMNS[table]], data());
  }
  return result(events, news, rows);
}

/**
 * writeBatch's statements in a transaction of two round trips (pipeline.ts):
 *  1. `BEGIN; keys + placeholders; lock the visitors' state rows` — one simple query;
 *  2. `state upsert; COPY …; COPY …; COMMIT` with every COPY's data in the same write.
 * Session ids are computed in between, from the locked rows. On any error the caller rolls back.
 */
async function writePipelined(client: pg.ClientBase, events: readonly PreparedEvent[]): Promise<WriteResult> {
  const unique = firstOfEachKey(events);
  if (unique.length === 0) return result(events, [], 0);
  const { sites, visitors } = visitorKeys(unique);
  const first = ['BEGIN', inlineParams(keysQuery(unique))];
  if (sites.length) first.push(inlineParams(lockStatesQuery(sites, visitors)));
  // A multi-statement simple query answers with one result per statement.
  const replies = (await client.query(first.join(';\n'))) as unknown as pg.QueryResult[];
  const news = newEvents(unique, replies[1]!.rows as { k: string }[]);
  const locked = (replies[2]?.rows ?? []) as LockedState[];
  const newKeys = new Set(news.map((e) => `${e.siteId}\u0000${e.visitorId}`));
  const { sessions, upsert } = advanceSessions(news, locked.filter((r) => newKeys.has(`${r.siteId}\u0000${r.visitorId}`)));

  const second: string[] = [];
  const payloads: Buffer[] = [];
  if (upsert) second.push(inlineParams(upsert));
  const ident = (name: string) => client.escapeIdentifier(name);
  for (const { table, rows } of tableRows(news, sessions)) {
    second.push(copyStatement(ident, table, [...COMMON_COLUMNS, ...TABLE_COLUMNS[table]]));
    payloads.push(Buffer.from(copyText(rows()), 'utf8'));
  }
  second.push('COMMIT');
  const tags = await client.query(new CopyScript(second.join(';\n'), payloads)).done;
  let rows = 0;
  for (const tag of tags) if (tag.startsWith('COPY ')) rows += Number(tag.slice(5));
  return result(events, news, rows);
}

/** PostgreSQL's "no partition of relation … found for row". */
export function isMissingPartition(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23514' && /no partition/i.test(String((error as Error).message));
}

/**
 * Ensures partitions, then writes the batch in its own transaction (writePipelined) on a pooled client; retries
 * once after "no partition" (the cache was stale). Errors propagate (the caller spools on
 * connection failures).
 */
export async function writeTransaction(pool: pg.Pool, partitions: PartitionCache, events: readonly PreparedEvent[]): Promise<WriteResult> {
  for (let attempt = 0; ; attempt++) {
    await partitions.ensure(pool, events);
    const client = await pool.connect();
    let broken = false;
    try {
      return await writePipelined(client, events);
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
