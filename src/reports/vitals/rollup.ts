import type pg from 'pg';
import { runWatermarkRollup, type WatermarkRollupOptions, type WatermarkRollupOutcome } from '../common/watermark-rollup.ts';

/**
 * Incremental web-vitals rollups (contract §4.5, sql/073) from the raw `vitals` rows: the
 * site-wide and per-page bucket counts (quarter-hour slots, UTC days, UTC months) and the exact
 * samples (`vitals_values`) the report reads bucket by bucket (report.ts says how).
 *
 * Raw rows are append-only, so each row is folded exactly once by ingest_seq with the watermark
 * loop of common/watermark-rollup.ts: rows in (watermark, bound] are folded and the watermark
 * moves in the same transaction, so a report reading the rollups and the raw rows past the
 * watermark in one statement counts every sample once. Per batch the rows are unpivoted once
 * into a temp table (one row per sample), then each table is one set-based statement.
 */

export const VITALS_WATERMARK = 'vitals';
export const VITALS_LOCK = 'tally:vitals-rollups';
/** Buckets per e-fold of the value (sql/073): site-wide 2.5 % wide, per page 10 %. */
export const SITE_PER_E = 40;
export const PAGE_PER_E = 10;

export type VitalsRollupOptions = WatermarkRollupOptions;
export type VitalsRollupOutcome = WatermarkRollupOutcome;

export const PAGE_METRICS = `('lcp', 'inp', 'cls')`;

/**
 * One row per (raw row, metric it carries) of `source`, with both buckets; `extra` more columns.
 * Shared with the report's fresh rows and the erase correction, so all three bucket alike.
 */
export function vitalsSamplesSelect(source: string, where: string, extra = ''): string {
  return `SELECT s.site_id, s.path, coalesce(s.device, '') AS device, s.occurred_at AS at, m.metric, m.value,
                 tally_vital_bucket(m.metric, m.value, ${SITE_PER_E}) AS bucket,
                 tally_vital_bucket(m.metric, m.value, ${PAGE_PER_E}) AS pbucket${extra}
          FROM ${source} s
          CROSS JOIN LATERAL (VALUES ('lcp', s.lcp), ('inp', s.inp), ('cls', s.cls), ('fcp', s.fcp), ('ttfb', s.ttfb)) m (metric, value)
          WHERE m.value IS NOT NULL AND ${where}`;
}

const GRAINS = [
  { table: 'slots', col: 'slot', expr: 'tally_slot(at)' },
  { table: 'days', col: 'day', expr: `(at AT TIME ZONE 'UTC')::date` },
  { table: 'months', col: 'month', expr: `date_trunc('month', at AT TIME ZONE 'UTC')::date` },
] as const;

/**
 * The counts of the samples in `batch` (a table or subquery of vitalsSamplesSelect rows plus
 * one row per beacon with a path as metric 'n', bucket 0 for the page ranking) per table and
 * grain, as (table, grain column, SELECT of key columns + samples).
 */
export function vitalsCountSelects(batch: string, beacons: string): { table: string; keys: string[]; select: string }[] {
  const out: { table: string; keys: string[]; select: string }[] = [];
  for (const g of GRAINS) {
    out.push({
      table: `vitals_bucket_${g.table}`,
      keys: ['site_id', g.col, 'metric', 'device', 'bucket'],
      select: `SELECT site_id, ${g.expr} AS ${g.col}, metric, device, bucket, count(*) AS samples FROM ${batch} GROUP BY 1, 2, 3, 4, 5`,
    });
    out.push({
      table: `vitals_page_bucket_${g.table}`,
      keys: ['site_id', g.col, 'path', 'metric', 'device', 'bucket'],
      select: `SELECT site_id, ${g.expr} AS ${g.col}, path, metric, device, bucket, count(*) AS samples
               FROM (SELECT site_id, at, path, metric, device, pbucket AS bucket FROM ${batch} WHERE path IS NOT NULL AND metric IN ${PAGE_METRICS}
                     UNION ALL SELECT site_id, at, path, 'n', device, 0 FROM ${beacons} WHERE path IS NOT NULL) b
               GROUP BY 1, 2, 3, 4, 5, 6`,
    });
  }
  return out;
}

/** The statements of one batch, reading the temp tables `vt_batch` (samples) and `vt_beacons`. */
export function vitalsFoldSteps(): string[] {
  const counts = vitalsCountSelects('vt_batch', 'vt_beacons').map(
    (c) => `INSERT INTO ${c.table} AS t (${c.keys.join(', ')}, samples) ${c.select}
            ON CONFLICT (${c.keys.join(', ')}) DO UPDATE SET samples = t.samples + EXCLUDED.samples`,
  );
  return [
    ...counts,
    `INSERT INTO vitals_values (site_id, metric, bucket, pbucket, path, device, at, value, seq)
     SELECT site_id, metric, bucket, pbucket, path, device, at, value, seq FROM vt_batch ORDER BY seq`,
  ];
}

async function foldBatch(client: pg.PoolClient, lo: number, hi: number): Promise<number> {
  const beacons = await client.query({
    text: `CREATE TEMP TABLE vt_beacons ON COMMIT DROP AS
           SELECT site_id, path, coalesce(device, '') AS device, occurred_at AS at, ingest_seq, lcp, inp, cls, fcp, ttfb
           FROM vitals WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint`,
    values: [lo, hi],
  });
  if (!beacons.rowCount) return 0;
  await client.query(`CREATE TEMP TABLE vt_batch ON COMMIT DROP AS
    ${vitalsSamplesSelect(`(SELECT *, at AS occurred_at FROM vt_beacons)`, 'true', ', s.ingest_seq AS seq')}`);
  for (const text of vitalsFoldSteps()) await client.query(text);
  return beacons.rowCount;
}

/** Folds every committed vitals row past the watermark, in bounded batches. */
export function runVitalsRollup(pool: pg.Pool, options: VitalsRollupOptions = {}): Promise<VitalsRollupOutcome> {
  return runWatermarkRollup(pool, { watermark: VITALS_WATERMARK, lock: VITALS_LOCK, tables: ['vitals'], fold: foldBatch }, options);
}

/** Empties every vitals rollup and replays the raw rows (`tally jobs run vitals-rollups-rebuild`). */
export async function rebuildVitalsRollups(pool: pg.Pool, options: VitalsRollupOptions = {}): Promise<VitalsRollupOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${VITALS_LOCK}'))`);
    await client.query(`TRUNCATE vitals_bucket_slots, vitals_bucket_days, vitals_bucket_months, vitals_page_bucket_slots, vitals_page_bucket_days, vitals_page_bucket_months, vitals_values`);
    await client.query({ text: `UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = $1::text`, values: [VITALS_WATERMARK] });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return runVitalsRollup(pool, options);
}
