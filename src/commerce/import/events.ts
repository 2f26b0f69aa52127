import type pg from 'pg';
import { SaltCache } from '../../ingest/enrich/visitor.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { PartitionCache } from '../../ingest/writer/write.ts';
import type { LoadOptions, LoadStats } from './loader.ts';
import type { SourceRecord } from './records.ts';

/**
 * Historical beacons through ingestDirect: the same validation and enrichment as /collect (UA,
 * geo from the row's `ip`, source, cookieless ids, sessions), no 72 h window. `ts` is epoch ms
 * or, for convenience in files, an ISO 8601 timestamp. Bots are dropped as on /collect and
 * counted as loaded-but-skipped (`bots`), not as rejected.
 */
export async function loadEvents(pool: pg.Pool, siteId: string, records: AsyncIterable<SourceRecord>, options: LoadOptions): Promise<LoadStats & { bots: number; duplicates: number }> {
  const chunkSize = options.chunkSize ?? 5000;
  const stats = { rows: 0, loaded: 0, rejected: 0, bots: 0, duplicates: 0 };
  const partitions = new PartitionCache();
  const salts = new SaltCache(pool);
  let chunk: { line: number; value: Record<string, unknown> }[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const rows = chunk;
    chunk = [];
    const result = await ingestDirect(pool, { siteId, events: rows.map((r) => r.value) }, { partitions, salts });
    for (const r of result.rejected) {
      stats.rejected++;
      options.onRejected({ line: rows[r.index]!.line, error: r.error });
    }
    stats.loaded += result.accepted + result.bots;
    stats.bots += result.bots;
    stats.duplicates += result.duplicates;
    options.onProgress?.(stats);
  };
  for await (const record of records) {
    stats.rows++;
    if ('error' in record) {
      stats.rejected++;
      options.onRejected(record);
      continue;
    }
    const value = record.value;
    if (typeof value.ts === 'string' && !/^\d+$/.test(value.ts)) {
      const ms = Date.parse(value.ts);
      if (Number.isFinite(ms)) value.ts = ms;
    }
    chunk.push({ line: record.line, value });
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return stats;
}
