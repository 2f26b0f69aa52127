import type pg from 'pg';
import { writeBatch } from '../batch.ts';
import { describeIssues, schemas, type CommerceKind, type ItemError, type KindTypes } from '../schemas.ts';
import type { SourceRecord } from './records.ts';

/**
 * Streams records into the commerce tables in chunks, with the API's own set-based writers:
 * each row is validated on its own first (bad rows are reported with their line and skipped),
 * then each chunk is written in one transaction. When the database refuses a chunk for some
 * rows (an over-refund, an unknown order), those rows are reported and the rest of the chunk is
 * written again; a refusal that names no row splits the chunk in halves until the bad row is
 * alone. The next chunk is parsed while the previous one is being written.
 */
export interface Rejection {
  line: number;
  error: string;
}

export interface LoadStats {
  rows: number;
  loaded: number;
  rejected: number;
}

export interface LoadOptions {
  chunkSize?: number;
  onRejected: (r: Rejection) => void;
  onProgress?: (stats: LoadStats) => void;
}

interface Row<T> {
  line: number;
  item: T;
}

async function writeRows<K extends CommerceKind>(pool: pg.Pool, siteId: string, kind: K, rows: Row<KindTypes[K]>[], reject: (r: Rejection) => void): Promise<number> {
  let remaining = rows;
  while (remaining.length > 0) {
    const result = await writeBatch(pool, siteId, kind, remaining.map((r) => r.item));
    if (result.ok) return remaining.length;
    if (result.unidentified) {
      if (remaining.length === 1) {
        reject({ line: remaining[0]!.line, error: result.errors[0]!.error });
        return 0;
      }
      const half = Math.ceil(remaining.length / 2);
      return (await writeRows(pool, siteId, kind, remaining.slice(0, half), reject)) + (await writeRows(pool, siteId, kind, remaining.slice(half), reject));
    }
    const bad = new Map<number, ItemError>(result.errors.map((e) => [e.index, e]));
    for (const [index, e] of bad) reject({ line: remaining[index]!.line, error: e.error });
    remaining = remaining.filter((_, i) => !bad.has(i));
  }
  return 0;
}

export async function loadCommerce<K extends CommerceKind>(pool: pg.Pool, siteId: string, kind: K, records: AsyncIterable<SourceRecord>, options: LoadOptions): Promise<LoadStats> {
  const chunkSize = options.chunkSize ?? 5000;
  const schema = schemas[kind];
  const stats: LoadStats = { rows: 0, loaded: 0, rejected: 0 };
  const reject = (r: Rejection) => {
    stats.rejected++;
    options.onRejected(r);
  };
  let chunk: Row<KindTypes[K]>[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const rows = chunk;
    chunk = [];
    await writing; // one chunk in flight: the order of chunks is kept (re-sent ids replace)
    writing = writeRows(pool, siteId, kind, rows, reject).then((n) => {
      stats.loaded += n;
      options.onProgress?.(stats);
    });
  };
  for await (const record of records) {
    stats.rows++;
    if ('error' in record) {
      reject(record);
      continue;
    }
    const parsed = schema.safeParse(record.value);
    if (!parsed.success) {
      reject({ line: record.line, error: describeIssues(parsed.error) });
      continue;
    }
    chunk.push({ line: record.line, item: parsed.data as KindTypes[K] });
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  await writing;
  options.onProgress?.(stats);
  return stats;
}
