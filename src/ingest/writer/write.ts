import type pg from 'pg';
import { abandonAfter, type Deadline } from '../../db/deadline.ts';
import { copyField, copyStatement } from './copy.ts';
import { CopyScript, inlineParams } from './pipeline.ts';
import { mergeStatesQuery, reconcileSessions, type MergedState } from './sessions.ts';
import { COMMON_COLUMNS, RAW_TABLES, TABLE_COLUMNS, type PreparedEvent, type RawTable } from '../tables.ts';

const DAY_MS = 86_400_000;

/**
 * Months whose partitions are known to exist, per table. One per process, passed in; a miss
 * costs one tally_ensure_partition() call, made outside the write transaction so the catalog
 * lock is held for milliseconds, not for a COPY. The check runs for every event of every batch,
 * so a UTC day maps to its month through a memo instead of formatting a date per event.
 */
export class PartitionCache {
  private readonly known = new Map<RawTable, Set<string>>();
  private readonly monthOfDay = new Map<number, string>();

  private month(ts: number): string {
    const day = Math.floor(ts / DAY_MS);
    let month = this.monthOfDay.get(day);
    if (month === undefined) {
      month = new Date(day * DAY_MS).toISOString().slice(0, 7);
      if (this.monthOfDay.size > 4096) this.monthOfDay.clear();
      this.monthOfDay.set(day, month);
    }
    return month;
  }

  async ensure(db: pg.Pool | pg.ClientBase, events: readonly PreparedEvent[]): Promise<void> {
    let missing: Map<string, { table: RawTable; month: string }> | undefined;
    for (const e of events) {
      const month = this.month(e.ts);
      if (this.known.get(e.table)?.has(month)) continue;
      (missing ??= new Map()).set(`${e.table}:${month}`, { table: e.table, month });
    }
    for (const { table, month } of missing?.values() ?? []) {
      await db.query({ text: 'SELECT tally_ensure_partition($1::text, $2::date)', values: [table, `${month}-01`] });
      let months = this.known.get(table);
      if (!months) this.known.set(table, (months = new Set()));
      months.add(month);
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

/** ISO strings of epoch ms, memoised per batch: a batch's events share a few timestamps. */
function isoMemo(): (ms: number) => string {
  const iso = new Map<number, string>();
  return (ms) => {
    let s = iso.get(ms);
    if (s === undefined) iso.set(ms, (s = new Date(ms).toISOString()));
    return s;
  };
}

/**
 * Step 1: the idempotency keys; only events whose key was new go further, so neither retries nor
 * spool replays store twice. A key's `received_at` is when it was stored (the transaction's
 * `now()`), which is all the salts job needs to drop keys past DEDUP_KEEP_DAYS: it keeps a
 * replayed event's key from its replay on, and keeps the BRIN index on it in step with the heap.
 * An array of receipt times cost this statement ~1.5 µs of PostgreSQL CPU per event more (parsing
 * 300 timestamps per batch; two runs), lost in the noise of a whole transaction (`tx-cost.ts`).
 */
export function keysQuery(unique: readonly PreparedEvent[]): { text: string; values: unknown[] } {
  return {
    text: `INSERT INTO ingest_dedup (site_id, event_id, received_at)
           SELECT s, e, now() FROM unnest($1::bigint[], $2::uuid[]) AS u(s, e)
           ON CONFLICT (site_id, event_id) DO NOTHING
           RETURNING site_id::text || ':' || event_id::text AS k`,
    values: [unique.map((e) => e.siteId), unique.map((e) => e.eventId)],
  };
}

function newEvents(unique: readonly PreparedEvent[], freshKeys: readonly { k: string }[]): PreparedEvent[] {
  const fresh = new Set(freshKeys.map((r) => r.k));
  return unique.filter((e) => fresh.has(`${e.siteId}:${e.eventId}`));
}

/** `news` by raw table, in RAW_TABLES order. */
function byTable(news: readonly PreparedEvent[]): [RawTable, PreparedEvent[]][] {
  const groups = new Map<RawTable, PreparedEvent[]>();
  for (const e of news) {
    const list = groups.get(e.table);
    if (list) list.push(e);
    else groups.set(e.table, [e]);
  }
  return RAW_TABLES.filter((t) => groups.has(t)).map((t) => [t, groups.get(t)!]);
}

/** A growing byte buffer of COPY lines; it makes room before each write, since buf.write truncates silently. */
class ByteSink {
  buf: Buffer;
  at = 0;

  constructor(estimate: number) {
    this.buf = Buffer.allocUnsafe(Math.max(estimate, 4096));
  }

  /** Writes `s` and a newline. A UTF-16 code unit takes at most 3 bytes in UTF-8. */
  line(s: string): void {
    const need = this.at + s.length * 3 + 1;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.at);
      this.buf = next;
    }
    this.at += this.buf.write(s, this.at, 'utf8');
    this.buf[this.at++] = 10;
  }
}

/**
 * COPY data of one table's events. Each row is one short string (its cells joined), encoded
 * straight into a buffer: concatenating a batch into one string and encoding that cost 6.4 µs per
 * event, 4 of them in flattening the string (most events carry a non-Latin-1 character, so the
 * flat string is two bytes per character), against 2.0 µs this way (300-event batches of
 * bench:ingest's mix, in-process).
 */
export function eventsCopyData(events: readonly PreparedEvent[], sessions: Map<PreparedEvent, string>): Buffer {
  const isoOf = isoMemo();
  const sink = new ByteSink(events.length * 512);
  for (const e of events) {
    const prefix = `${e.siteId}\t${isoOf(e.ts)}\t${isoOf(e.receivedAt)}\t${e.eventId}\t${copyField(e.visitorId)}\t${copyField(sessions.get(e)!)}\t`;
    for (const row of e.rows) sink.line(prefix + row.map(copyField).join('\t'));
  }
  return sink.buf.subarray(0, sink.at);
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
 * Writes one batch in one transaction of two round trips (pipeline.ts), set-based whatever its size:
 *  1. `BEGIN; idempotency keys; MERGE of the visitors' session states` — one simple query (the
 *     MERGE locks the state rows in key order, so instances agree; sessions.ts);
 *  2. `corrections of guessed states, if any; COPY …; COPY …; COMMIT`, every COPY's data in the
 *     same write, straight into the partitioned parents (no staging table, no INSERT … SELECT).
 * Session ids are computed in between from the states the MERGE replaced. Everything commits or
 * nothing does; on any error the caller rolls back.
 */
async function writePipelined(client: pg.ClientBase, events: readonly PreparedEvent[]): Promise<WriteResult> {
  const unique = firstOfEachKey(events);
  if (unique.length === 0) return result(events, [], 0);
  const merge = mergeStatesQuery(unique);
  const first = ['BEGIN', inlineParams(keysQuery(unique))];
  // The nested loop over visitor_sessions' primary key is what locks rows in the source's order.
  if (merge) first.push('SET LOCAL enable_hashjoin = off', 'SET LOCAL enable_mergejoin = off', inlineParams(merge));
  // A multi-statement simple query answers with one result per statement.
  const replies = (await client.query(first.join(';\n'))) as unknown as pg.QueryResult[];
  const news = newEvents(unique, replies[1]!.rows as { k: string }[]);
  const { sessions, correction } = reconcileSessions(news, (replies[4]?.rows ?? []) as MergedState[]);

  const second: string[] = [];
  const payloads: Buffer[] = [];
  if (correction) second.push(inlineParams(correction));
  const ident = (name: string) => client.escapeIdentifier(name);
  for (const [table, mine] of byTable(news)) {
    second.push(copyStatement(ident, table, [...COMMON_COLUMNS, ...TABLE_COLUMNS[table]]));
    payloads.push(eventsCopyData(mine, sessions));
  }
  second.push('COMMIT');
  const tags = await client.query(new CopyScript(second.join(';\n'), payloads)).done;
  let rows = 0;
  for (const tag of tags) if (tag.startsWith('COPY ')) rows += Number(tag.slice(5));
  return result(events, news, rows);
}

/**
 * Two instances inserting the same new visitor's state row at once: the MERGE of the later one
 * fails with a unique violation once the first commits (MERGE has no ON CONFLICT). Retrying the
 * transaction finds the row.
 */
function isStateInsertRace(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string } | undefined;
  return e?.code === '23505' && e.constraint === 'visitor_sessions_pkey';
}

/** PostgreSQL's "no partition of relation … found for row". */
export function isMissingPartition(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23514' && /no partition/i.test(String((error as Error).message));
}

/**
 * Ensures partitions (on the transaction's client, before BEGIN), then writes the batch in its own transaction (writePipelined); retries
 * once after "no partition" (the cache was stale) and up to three times after a state insert race. Errors propagate (the caller spools on
 * connection failures). Past `deadline` the connection is closed and the write fails (abandonAfter).
 */
export async function writeTransaction(pool: pg.Pool, partitions: PartitionCache, events: readonly PreparedEvent[], deadline?: Deadline): Promise<WriteResult> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    const disarm = abandonAfter(client, deadline);
    let broken = false;
    try {
      await partitions.ensure(client, events); // on this client: under the deadline too
      return await writePipelined(client, events);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (attempt === 0 && isMissingPartition(error)) {
        partitions.forget();
        continue;
      }
      if (attempt < 3 && isStateInsertRace(error)) continue;
      throw error;
    } finally {
      disarm();
      client.release(broken);
    }
  }
}
