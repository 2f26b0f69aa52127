import type pg from 'pg';
import { safeUpperBound } from '../common/watermark.ts';

/**
 * Keeps `experiment_exposures` (sql/062): each `$exposure` event (props.experiment, props.variant)
 * folded into one row per (site, experiment, visitor, variant) holding the earliest exposure time.
 * New events are read once by ingest_seq past the 'experiment-exposures' watermark, up to the
 * committed bound of common/watermark.ts (a brief EXCLUSIVE lock on `events`, which is the table
 * exposures are written to). The fold is LEAST(), so replaying a row, or rows arriving out of
 * time order, gives the same table as a fold of everything at once.
 */
export const EXPOSURES_WATERMARK = 'experiment-exposures';

export interface ExposureRollupOptions {
  lockTimeoutMs?: number;
  /** Sequence numbers per transaction (bounds one transaction's work on a large backlog). */
  maxRows?: number;
  signal?: AbortSignal;
}

export interface ExposureRollupOutcome {
  skipped: boolean;
  rows: number;
  batches: number;
  watermark: number;
}

export function foldExposuresSql(lo: number, hi: number) {
  return {
    text: `INSERT INTO experiment_exposures AS x (site_id, experiment, visitor_id, variant, first_exposed_at)
           SELECT site_id, props->>'experiment', visitor_id, props->>'variant', min(occurred_at)
           FROM events
           WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND name = '$exposure'
             AND props->>'experiment' IS NOT NULL AND props->>'variant' IS NOT NULL
           GROUP BY 1, 2, 3, 4
           ON CONFLICT (site_id, experiment, visitor_id, variant)
           DO UPDATE SET first_exposed_at = LEAST(x.first_exposed_at, EXCLUDED.first_exposed_at)`,
    values: [lo, hi],
  };
}

async function runBatch(pool: pg.Pool, hi: number, maxRows: number): Promise<{ skipped: boolean; rows: number; lo: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const lock = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('tally:experiment-exposures')) AS ok`);
    if (!lock.rows[0]!.ok) {
      await client.query('ROLLBACK');
      return { skipped: true, rows: 0, lo: 0, to: 0 };
    }
    const wm = await client.query<{ seq: number }>({
      text: `SELECT seq::float8 AS "seq" FROM rollup_watermarks WHERE name = $1::text FOR UPDATE`,
      values: [EXPOSURES_WATERMARK],
    });
    const lo = wm.rows[0]!.seq;
    const to = Math.min(hi, lo + maxRows);
    let rows = 0;
    if (to > lo) {
      rows = (await client.query(foldExposuresSql(lo, to))).rowCount ?? 0;
      await client.query({
        text: `UPDATE rollup_watermarks SET seq = $2::bigint, updated_at = now() WHERE name = $1::text`,
        values: [EXPOSURES_WATERMARK, to],
      });
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

/** Folds every committed `$exposure` event past the watermark, in bounded batches. */
export async function runExposureRollup(pool: pg.Pool, options: ExposureRollupOptions = {}): Promise<ExposureRollupOutcome> {
  const hi = await safeUpperBound(pool, options.lockTimeoutMs, ['events']);
  const outcome: ExposureRollupOutcome = { skipped: false, rows: 0, batches: 0, watermark: 0 };
  for (;;) {
    const b = await runBatch(pool, hi, options.maxRows ?? 5_000_000);
    if (b.skipped) return { ...outcome, skipped: true };
    outcome.rows += b.rows;
    outcome.batches += 1;
    outcome.watermark = Math.max(b.lo, b.to);
    if (b.to >= hi || options.signal?.aborted) return outcome;
  }
}

/** Empties the table and replays every `$exposure` event (manual: tally jobs run experiment-exposures-rebuild). */
export async function rebuildExposures(pool: pg.Pool, options: ExposureRollupOptions = {}): Promise<ExposureRollupOutcome> {
  await pool.query({
    text: `WITH d AS (DELETE FROM experiment_exposures RETURNING 1)
           UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = $1::text`,
    values: [EXPOSURES_WATERMARK],
  });
  return runExposureRollup(pool, options);
}
