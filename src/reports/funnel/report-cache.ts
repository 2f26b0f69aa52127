import type pg from 'pg';
import { addDays, localDateToUtc, todayIn } from '../common/params.ts';
import type { SavedFunnel } from './saved.ts';
import { stateAndCacheSql, stateReport, type StateAndCache } from './saved-report.ts';

/**
 * The saved funnels' report cache (sql/083): finished reports of the dashboard's preset ranges —
 * the last 7, 30 and 90 days up to today in the site's zone, no breakdown — kept by the
 * `funnel-report-cache` job, each computed by the exact state path (saved-report.ts), so a
 * cached answer is one primary-key row instead of a read of every attempt of the range (3M demo,
 * 90 days: 174k attempts, 1.8–4 s).
 *
 * A cached report is served only while it belongs to the funnel's current state: its `version`
 * equals funnel_state.version (bumped by a trigger on every write to funnel_attempts) and the
 * site's max(orders.updated_at) is the one it saw (the state path reads order totals live).
 * The write is guarded by the same two checks, taken again when it lands, with the state row
 * FOR SHARE SKIP LOCKED: a state write in flight (its trigger holds the row) means no cache row,
 * and one that commits later deletes the row in its own transaction. So a cached report never
 * differs from what the state path would answer at that moment.
 */
export const PRESET_DAYS = [7, 30, 90] as const;

const toUs = (d: Date) => (BigInt(d.getTime()) * 1000n).toString();

export interface PresetRange {
  days: number;
  start: Date;
  end: Date;
}

/** The preset ranges of a zone on `now`'s local date: [today − (days − 1), today + 1). */
export function presetRanges(tz: string, now: Date = new Date()): PresetRange[] {
  const today = todayIn(tz, now);
  const end = localDateToUtc(addDays(today, 1), tz);
  return PRESET_DAYS.map((days) => ({ days, start: localDateToUtc(addDays(today, -(days - 1)), tz), end }));
}

interface CacheFunnelRow extends SavedFunnel {
  site_id: string;
  timezone: string;
}

export interface ReportCacheOutcome {
  funnels: number;
  /** Reports computed and stored. */
  computed: number;
  /** Reports already current. */
  current: number;
  /** Computed but not stored: the state or the orders changed meanwhile (next run again). */
  raced: number;
}

/** One preset of one funnel: computes and stores it unless a current row exists. */
async function refreshOne(pool: pg.Pool, f: CacheFunnelRow, range: PresetRange): Promise<'computed' | 'current' | 'raced'> {
  const seen = (await pool.query<StateAndCache>(stateAndCacheSql(f.site_id, f.id, range.start, range.end))).rows[0];
  if (!seen) return 'raced';
  if (seen.report) return 'current';
  const report = await stateReport(pool, { siteId: f.site_id, funnel: f, start: range.start, end: range.end });
  const stored = await pool.query({
    text: `INSERT INTO funnel_report_cache (site_id, funnel_id, start_us, end_us, version, orders_at, report)
      SELECT s.site_id, s.funnel_id, $3::bigint, $4::bigint, s.version, $6::timestamptz, $7::jsonb
      FROM (SELECT site_id, funnel_id, version FROM funnel_state WHERE site_id = $1::bigint AND funnel_id = $2::bigint
            FOR SHARE SKIP LOCKED) s
      WHERE s.version = $5::bigint
        AND (SELECT max(updated_at) FROM orders WHERE site_id = $1::bigint) IS NOT DISTINCT FROM $6::timestamptz
      ON CONFLICT (site_id, funnel_id, start_us, end_us) DO UPDATE
        SET version = EXCLUDED.version, orders_at = EXCLUDED.orders_at, report = EXCLUDED.report, computed_at = now()`,
    values: [f.site_id, f.id, toUs(range.start), toUs(range.end), seen.version, seen.ordersAt, JSON.stringify(report)],
  });
  return (stored.rowCount ?? 0) > 0 ? 'computed' : 'raced';
}

/**
 * The `funnel-report-cache` job: every built saved funnel's presets for its site's zone today;
 * rows of other ranges (yesterday's presets) are deleted. Recomputes only what is not current,
 * so a run after no state change reads a few rows.
 */
export async function refreshFunnelReportCache(pool: pg.Pool, options: { now?: Date; signal?: AbortSignal } = {}): Promise<ReportCacheOutcome> {
  const funnels = await pool.query<CacheFunnelRow>(`SELECT f.id::text AS id, f.site_id::text AS site_id, f.name, f.steps, f.window_seconds,
      f."order", f.unit, f.created_at, st.timezone
    FROM funnels f JOIN funnel_state s ON s.site_id = f.site_id AND s.funnel_id = f.id JOIN sites st ON st.id = f.site_id
    ORDER BY f.site_id, f.id`);
  const out: ReportCacheOutcome = { funnels: funnels.rows.length, computed: 0, current: 0, raced: 0 };
  for (const f of funnels.rows) {
    const ranges = presetRanges(f.timezone, options.now);
    await pool.query({
      text: `DELETE FROM funnel_report_cache WHERE site_id = $1::bigint AND funnel_id = $2::bigint
        AND (start_us, end_us) NOT IN (SELECT * FROM unnest($3::bigint[], $4::bigint[]))`,
      values: [f.site_id, f.id, ranges.map((r) => toUs(r.start)), ranges.map((r) => toUs(r.end))],
    });
    for (const range of ranges) {
      if (options.signal?.aborted) return out;
      out[await refreshOne(pool, f, range)]++;
    }
  }
  return out;
}
