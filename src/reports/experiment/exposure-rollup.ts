import type pg from 'pg';
import { runWatermarkRollup, type WatermarkRollupOptions, type WatermarkRollupOutcome } from '../common/watermark-rollup.ts';

/**
 * Keeps `experiment_exposures` (sql/062): each `$exposure` event (props.experiment, props.variant)
 * folded into one row per (site, experiment, visitor, variant) holding the earliest exposure time.
 * New events are read once by ingest_seq past the 'experiment-exposures' watermark, up to the
 * committed bound of common/watermark.ts (a brief EXCLUSIVE lock on `events`, which is the table
 * exposures are written to). The fold is LEAST(), so replaying a row, or rows arriving out of
 * time order, gives the same table as a fold of everything at once.
 */
export const EXPOSURES_WATERMARK = 'experiment-exposures';

export type ExposureRollupOptions = WatermarkRollupOptions;
export type ExposureRollupOutcome = WatermarkRollupOutcome;

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

/** Folds every committed `$exposure` event past the watermark, in bounded batches (common/watermark-rollup.ts). */
export async function runExposureRollup(pool: pg.Pool, options: ExposureRollupOptions = {}): Promise<ExposureRollupOutcome> {
  return runWatermarkRollup(
    pool,
    {
      watermark: EXPOSURES_WATERMARK,
      lock: 'tally:experiment-exposures',
      tables: ['events'],
      fold: async (client, lo, hi) => (await client.query(foldExposuresSql(lo, hi))).rowCount ?? 0,
    },
    options,
  );
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
