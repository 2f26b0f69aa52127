import type pg from 'pg';
import { runWatermarkRollup, type WatermarkRollupOptions, type WatermarkRollupOutcome } from '../common/watermark-rollup.ts';
import { EXPERIMENT_LOCK, foldMetricsBatch, runMetricPasses } from './metrics-rollup.ts';

/**
 * Keeps `experiment_exposures` (sql/062): each `$exposure` event (props.experiment, props.variant)
 * folded into one row per (site, experiment, visitor, variant) holding the earliest exposure time.
 * New events are read once by ingest_seq past the 'experiment-exposures' watermark, up to the
 * committed bound of common/watermark.ts (a brief EXCLUSIVE lock on `events`, which is the table
 * exposures are written to). The fold is LEAST(), so replaying a row, or rows arriving out of
 * time order, gives the same table as a fold of everything at once.
 *
 * The same batch transaction then folds the metric sums (metrics-rollup.ts, sql/063) for those
 * rows, and after the batches the changed orders, changed definitions and per-variant totals.
 * `pageviews` is locked for the bound too: its uids link orders to visitors.
 */
export const EXPOSURES_WATERMARK = 'experiment-exposures';

export type ExposureRollupOptions = WatermarkRollupOptions;
export type ExposureRollupOutcome = WatermarkRollupOutcome & { metrics?: Awaited<ReturnType<typeof runMetricPasses>> };

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
  const outcome = await runWatermarkRollup(
    pool,
    {
      watermark: EXPOSURES_WATERMARK,
      lock: EXPERIMENT_LOCK,
      tables: ['events', 'pageviews'],
      fold: async (client, lo, hi) => {
        const exposures = (await client.query(foldExposuresSql(lo, hi))).rowCount ?? 0;
        await foldMetricsBatch(client, lo, hi);
        return exposures;
      },
    },
    options,
  );
  if (outcome.skipped) return outcome;
  return { ...outcome, metrics: await runMetricPasses(pool) };
}

/** Empties the tables and replays every row (manual: tally jobs run experiment-exposures-rebuild). */
export async function rebuildExposures(pool: pg.Pool, options: ExposureRollupOptions = {}): Promise<ExposureRollupOutcome> {
  // One simple-protocol string: one implicit transaction, so a run cannot see the tables empty with the old watermark.
  await pool.query(`TRUNCATE experiment_exposures, experiment_visitors, experiment_visitor_metrics, experiment_uid_links, experiment_order_links,
                      experiment_metric_state, experiment_totals, experiment_dirty;
                    UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = '${EXPOSURES_WATERMARK}';
                    UPDATE commerce_rollup_watermarks SET changed_since = '-infinity', updated_at = now() WHERE name = 'experiment-metrics'`);
  return runExposureRollup(pool, options);
}
