import type pg from 'pg';
import { SaltCache, utcDay } from '../enrich/visitor.ts';
import { prepareEvent } from '../enrich/prepare.ts';
import { validateEvent } from '../validate/validate.ts';
import type { PreparedEvent } from '../tables.ts';
import { PartitionCache, writeTransaction } from './write.ts';

/**
 * Server-side ingestion for imports and the demo (`tally import events`, `tally demo`): the same validation,
 * enrichment and set-based COPY + dedup path as /collect, written synchronously (no spool, no
 * batching with other callers). Differences from /collect: `ts` is required and may be any time
 * (no 72 h window; history creates its month's partition); `site` may be omitted; each event may
 * carry `ip` and `ua` (the original visitor's, for geo/device and the cookieless visitor id —
 * then derived with the salt of the event's own UTC day).
 */
export interface DirectOptions {
  /** Reuse across calls (a long import) to skip partition checks already made. */
  partitions?: PartitionCache;
  salts?: SaltCache;
}

export interface DirectResult {
  /** Valid, non-bot events (stored now or already stored before: ids are idempotency keys). */
  accepted: number;
  /** Of `accepted`, how many were already stored. */
  duplicates: number;
  /** Bots (by `ua`) are dropped, as on /collect. */
  bots: number;
  rejected: { index: number; error: string }[];
}

export class DirectIngestError extends Error {}

export async function ingestDirect(
  pool: pg.Pool,
  input: { siteId: string | number; events: readonly unknown[] },
  options: DirectOptions = {},
): Promise<DirectResult> {
  const siteId = String(input.siteId);
  const site = await pool.query<{ publicKey: string; mode: 'auto' | 'cookieless' }>({
    text: 'SELECT public_key AS "publicKey", visitor_id_mode AS "mode" FROM sites WHERE id = $1::bigint',
    values: [siteId],
  });
  if (!site.rows[0]) throw new DirectIngestError(`site ${siteId} not found`);
  const { publicKey, mode } = site.rows[0];
  const salts = options.salts ?? new SaltCache(pool);
  const partitions = options.partitions ?? new PartitionCache();
  const receivedAt = Date.now();

  const rejected: DirectResult['rejected'] = [];
  const prepared: PreparedEvent[] = [];
  let bots = 0;
  for (let index = 0; index < input.events.length; index++) {
    const raw = input.events[index];
    const withSite = raw && typeof raw === 'object' && !Array.isArray(raw) ? { site: publicKey, ...(raw as object) } : raw;
    const v = validateEvent(withSite);
    if (!v.ok) {
      rejected.push({ index, error: v.error });
      continue;
    }
    if (v.event.site !== publicKey) {
      rejected.push({ index, error: 'site: does not match the site being imported into' });
      continue;
    }
    if (v.event.ts === undefined) {
      rejected.push({ index, error: 'ts: required (epoch ms)' });
      continue;
    }
    const needsSalt = mode === 'cookieless' || !v.event.vid;
    const salt = needsSalt ? await salts.get(utcDay(v.event.ts)) : Buffer.alloc(0);
    const p = prepareEvent(v.event, { siteId, visitorIdMode: mode, ip: null, ua: '', receivedAt, salt });
    if (p.bot) bots++;
    else prepared.push(p.prepared);
  }
  let duplicates = 0;
  if (prepared.length) duplicates = (await writeTransaction(pool, partitions, prepared)).duplicates;
  return { accepted: prepared.length, duplicates, bots, rejected };
}
