import type pg from 'pg';
import { safeUpperBound } from './watermark.ts';

/**
 * The loop every rollup of raw rows runs (errors, heatmaps, experiment exposures): fold the rows
 * with `ingest_seq` in (watermark, safe upper bound] in bounded batches, each batch ONE
 * transaction that also moves the watermark, so a run killed halfway leaves the rollup exactly as
 * before that batch and the next run redoes it. An advisory lock (try, not wait) keeps two
 * instances off the same rollup: the loser skips and the scheduler runs it again later.
 */
export interface WatermarkRollup {
  /** rollup_watermarks.name of this rollup. */
  watermark: string;
  /** Advisory-lock key (hashed): one run at a time across instances. */
  lock: string;
  /** Raw tables whose writers must have committed below the upper bound (safeUpperBound). */
  tables: readonly string[];
  /** Folds the rows in (lo, hi] inside the batch's transaction; answers how many it read. */
  fold(client: pg.PoolClient, lo: number, hi: number): Promise<number>;
}

export interface WatermarkRollupOptions {
  signal?: AbortSignal;
  /** Sequence numbers per batch (the sequence is shared by all raw tables). */
  maxRows?: number;
  lockTimeoutMs?: number;
}

export interface WatermarkRollupOutcome {
  /** Another instance held the lock. */
  skipped: boolean;
  rows: number;
  batches: number;
  watermark: number;
}

const DEFAULT_MAX_ROWS = 5_000_000;

async function runBatch(pool: pg.Pool, r: WatermarkRollup, hi: number, maxRows: number): Promise<{ skipped: boolean; rows: number; lo: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>({ text: `SELECT pg_try_advisory_xact_lock(hashtext($1::text)) AS ok`, values: [r.lock] });
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { skipped: true, rows: 0, lo: 0, to: 0 };
    }
    await client.query({ text: `INSERT INTO rollup_watermarks (name, seq) VALUES ($1::text, 0) ON CONFLICT (name) DO NOTHING`, values: [r.watermark] });
    const wm = await client.query<{ seq: number }>({
      text: `SELECT seq::float8 AS "seq" FROM rollup_watermarks WHERE name = $1::text FOR UPDATE`,
      values: [r.watermark],
    });
    const lo = wm.rows[0]!.seq;
    const to = Math.min(hi, lo + maxRows);
    let rows = 0;
    if (to > lo) {
      rows = await r.fold(client, lo, to);
      await client.query({ text: `UPDATE rollup_watermarks SET seq = $2::bigint, updated_at = now() WHERE name = $1::text`, values: [r.watermark, to] });
    }
    await client.query('COMMIT');
    return { skipped: false, rows, lo, to };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Folds every committed row past the watermark, in bounded batches. */
export async function runWatermarkRollup(pool: pg.Pool, r: WatermarkRollup, options: WatermarkRollupOptions = {}): Promise<WatermarkRollupOutcome> {
  const hi = await safeUpperBound(pool, options.lockTimeoutMs, r.tables);
  const outcome: WatermarkRollupOutcome = { skipped: false, rows: 0, batches: 0, watermark: 0 };
  for (;;) {
    const b = await runBatch(pool, r, hi, options.maxRows ?? DEFAULT_MAX_ROWS);
    if (b.skipped) return { ...outcome, skipped: true };
    outcome.rows += b.rows;
    outcome.batches += 1;
    outcome.watermark = Math.max(b.lo, b.to);
    if (b.to >= hi || options.signal?.aborted) return outcome;
  }
}
