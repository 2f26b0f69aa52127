import type pg from 'pg';
import {
  addPageviewCounts, collapseNewPageviews, applySessionDeltas, selectNewPageviews, snapshotOldSessions, upsertSessions, type Sql,
} from './traffic-rollup-sql.ts';
import { addVisitorCounts, addVisitorLinks, collectVisitorDays, collectVisitorKeys } from './visitor-rollup-sql.ts';
import { safeUpperBound } from '../common/watermark.ts';

export interface RollupOptions {
  signal?: AbortSignal;
  /** Sequence numbers per transaction (the sequence is shared by all raw tables). */
  batchSpan?: number;
  lockTimeoutMs?: number;
  /** Tests: throw after this many statements of an increment, to prove the rollback. */
  failAfterStep?: number;
}

export interface RollupOutcome {
  rows: number;
  batches: number;
  watermark: number;
  /** Milliseconds spent in each step, summed over batches (recorded with the job run). */
  stepMs: Record<string, number>;
}

const DEFAULT_SPAN = 250_000;

/**
 * Folds pageviews above the watermark into sessions, traffic_rollups, visitor_days and visitor_day_links.
 * Each batch (lo, hi] is ONE transaction that also moves the watermark to hi, and the watermark
 * row is locked FOR UPDATE first, so concurrent runs serialise and a run killed halfway leaves
 * the counters exactly as before it (run again → counted once). hi never passes the safe upper
 * bound (see ../common/watermark.ts), so a late-committing writer's rows are picked up next time.
 */
export async function runTrafficRollup(pool: pg.Pool, options: RollupOptions = {}): Promise<RollupOutcome> {
  const safeHi = await safeUpperBound(pool, options.lockTimeoutMs);
  const span = options.batchSpan ?? DEFAULT_SPAN;
  let rows = 0;
  let batches = 0;
  let watermark = 0;
  const stepMs: Record<string, number> = {};
  for (;;) {
    if (options.signal?.aborted) break;
    const step = await rollupBatch(pool, safeHi, span, stepMs, options.failAfterStep);
    watermark = step.hi;
    rows += step.rows;
    if (step.hi === step.lo) break;
    batches += 1;
    if (step.hi >= safeHi) break;
  }
  return { rows, batches, watermark, stepMs };
}

async function rollupBatch(pool: pg.Pool, safeHi: number, span: number, stepMs: Record<string, number>, failAfterStep?: number) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: wm } = await client.query<{ seq: number }>(
      `SELECT seq FROM rollup_watermarks WHERE name = 'traffic' FOR UPDATE`,
    );
    const lo = wm[0]?.seq ?? 0;
    const hi = Math.min(safeHi, lo + span);
    if (hi <= lo) {
      await client.query('COMMIT');
      return { lo, hi: lo, rows: 0 };
    }
    // Hash aggregates over ~22 dimension rows per pageview spill to disk at the default 4 MB.
    await client.query(`SET LOCAL work_mem = '256MB'`);
    const steps: [string, Sql][] = [
      ['select', selectNewPageviews(lo, hi)], ['collapse', collapseNewPageviews()], ['pageviews', addPageviewCounts()],
      ['visitorKeys', collectVisitorKeys()], ['visitorDays', collectVisitorDays()], ['visitorCounts', addVisitorCounts()],
      ['visitorLinks', addVisitorLinks()],
      ['oldSessions', snapshotOldSessions()], ['sessions', upsertSessions()], ['sessionDeltas', applySessionDeltas()],
    ];
    let rows = 0;
    for (const [i, [name, sql]] of steps.entries()) {
      if (failAfterStep !== undefined && i >= failAfterStep) throw new Error(`rollup interrupted after step ${i} (test)`);
      const t = performance.now();
      const result = await client.query(sql);
      stepMs[name] = Math.round((stepMs[name] ?? 0) + performance.now() - t);
      if (i === 0) rows = result.rowCount ?? 0;
      // Temp tables are never auto-analyzed; without statistics the planner guesses 1,000 rows.
      const temp = ({ select: 'new_pv', collapse: 'new_agg', visitorKeys: 'new_vk', visitorDays: 'new_vd', sessions: 'new_s' } as Record<string, string>)[name];
      if (temp) await client.query(`ANALYZE ${temp}`);
    }
    await client.query(`UPDATE rollup_watermarks SET seq = $1::bigint, updated_at = now() WHERE name = 'traffic'`, [hi]);
    await client.query('COMMIT');
    return { lo, hi, rows };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Drops every traffic rollup and rebuilds from the raw rows (e.g. after a site changed zone). */
export async function rebuildTrafficRollups(pool: pg.Pool, options: RollupOptions = {}): Promise<RollupOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT seq FROM rollup_watermarks WHERE name = 'traffic' FOR UPDATE`);
    await client.query('TRUNCATE traffic_rollups, visitor_days, visitor_day_links, sessions');
    await client.query(`UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = 'traffic'`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return runTrafficRollup(pool, { batchSpan: 1_000_000, ...options });
}
