import type pg from 'pg';
import { runWatermarkRollup, type WatermarkRollupOptions, type WatermarkRollupOutcome } from '../common/watermark-rollup.ts';

/**
 * Incremental heatmap rollups (contract §4.3, sql/071) from the raw `heatmap_points` table.
 *
 * Raw rows are append-only, so each row is folded exactly once by ingest_seq with the watermark
 * method of common/watermark.ts (a brief EXCLUSIVE lock on `heatmap_points` waits for in-flight
 * writers; every number at or below the sequence position read under it is committed). Rows in
 * (watermark, bound] are folded and the watermark moves to the bound in one transaction: an
 * interrupted run rolls back whole and is redone, and nothing is counted twice.
 *
 * Per batch the rows are read once into a temp table, then every rollup (cells, selectors,
 * scroll; each at slot and UTC-day grain, cells and selectors also per UTC month, sql/072) is one
 * set-based upsert from it: counts are added,
 * scroll depths take the greater.
 */

export const HEATMAP_WATERMARK = 'heatmap';
const LOCK = 'tally:heatmap-rollups';

export type HeatmapRollupOptions = WatermarkRollupOptions;
export type HeatmapRollupOutcome = WatermarkRollupOutcome;

const DAY = `(slot AT TIME ZONE 'UTC')::date`;
const MONTH = `date_trunc('month', slot AT TIME ZONE 'UTC')::date`;
const PAGE = 'site_id, host, path, device';

/** The upserts of one batch, all reading `hm_batch`. Exported for the rebuild test. */
export function heatmapFoldSteps(): string[] {
  const counts = (table: string, grain: 'slot' | 'day' | 'month', keys: string, source: string, where: string) => {
    const g = grain === 'slot' ? 'slot' : grain === 'day' ? DAY : MONTH;
    return `INSERT INTO ${table} AS t (${PAGE}, kind, ${grain}, ${keys}, points)
            SELECT ${PAGE}, kind, ${g}, ${source}, count(*) FROM hm_batch WHERE ${where}
            GROUP BY ${PAGE}, kind, ${g}, ${source}
            ON CONFLICT (${PAGE}, kind, ${grain}, ${keys}) DO UPDATE SET points = t.points + EXCLUDED.points`;
  };
  const scroll = (table: string, grain: 'slot' | 'day') => {
    const g = grain === 'slot' ? 'slot' : DAY;
    return `INSERT INTO ${table} AS t (${PAGE}, ${grain}, visitor_id, depth)
            SELECT ${PAGE}, ${g}, visitor_id, max(scroll_depth) FROM hm_batch WHERE scroll_depth IS NOT NULL
            GROUP BY ${PAGE}, ${g}, visitor_id
            ON CONFLICT (${PAGE}, ${grain}, visitor_id) DO UPDATE SET depth = greatest(t.depth, EXCLUDED.depth)`;
  };
  // x, y are non-negative integers (validated at ingest), so integer division floors them.
  const cell = `(x / 16) * 16, (y / 16) * 16`;
  return [
    counts('heatmap_cell_slots', 'slot', 'cx, cy', cell, `kind <> 'scroll'`),
    counts('heatmap_cell_days', 'day', 'cx, cy', cell, `kind <> 'scroll'`),
    counts('heatmap_cell_months', 'month', 'cx, cy', cell, `kind <> 'scroll'`),
    counts('heatmap_selector_slots', 'slot', 'selector', `coalesce(selector, '')`, 'true'),
    counts('heatmap_selector_days', 'day', 'selector', `coalesce(selector, '')`, 'true'),
    counts('heatmap_selector_months', 'month', 'selector', `coalesce(selector, '')`, 'true'),
    scroll('heatmap_scroll_slots', 'slot'),
    scroll('heatmap_scroll_days', 'day'),
  ];
}

/** One batch (lo, hi] on a client inside a transaction; returns the points folded. */
async function foldBatch(client: pg.PoolClient, lo: number, hi: number): Promise<number> {
  const batch = await client.query({
    text: `CREATE TEMP TABLE hm_batch ON COMMIT DROP AS
           SELECT site_id, lower(host) AS host, path, device, kind, tally_slot(occurred_at) AS slot,
                  x, y, selector, visitor_id, scroll_depth
           FROM heatmap_points WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint`,
    values: [lo, hi],
  });
  if (!batch.rowCount) return 0;
  for (const text of heatmapFoldSteps()) await client.query(text);
  return batch.rowCount;
}

/** Folds every committed heatmap point past the watermark, in bounded batches (common/watermark-rollup.ts). */
export function runHeatmapRollup(pool: pg.Pool, options: HeatmapRollupOptions = {}): Promise<HeatmapRollupOutcome> {
  return runWatermarkRollup(pool, { watermark: HEATMAP_WATERMARK, lock: LOCK, tables: ['heatmap_points'], fold: foldBatch }, options);
}

/** Empties every heatmap rollup and replays the raw rows (`tally jobs run heatmap-rollups-rebuild`). */
export async function rebuildHeatmapRollups(pool: pg.Pool, options: HeatmapRollupOptions = {}): Promise<HeatmapRollupOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${LOCK}'))`);
    await client.query(`TRUNCATE heatmap_cell_slots, heatmap_cell_days, heatmap_cell_months, heatmap_selector_slots, heatmap_selector_days, heatmap_selector_months, heatmap_scroll_slots, heatmap_scroll_days`);
    await client.query({ text: `UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = $1::text`, values: [HEATMAP_WATERMARK] });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return runHeatmapRollup(pool, options);
}
