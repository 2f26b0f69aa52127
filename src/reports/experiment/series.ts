import type pg from 'pg';
import { addDays, localDateToUtc, todayIn } from '../common/params.ts';
import { experimentReport, type ReportOptions } from './report.ts';

/**
 * `series=true` on the experiment report (issue #17, beyond the contract): per local day, the
 * cumulative users and lift of each variant as the report would have answered at the end of
 * that day. First version: one report query per day (each bounded by that day's end), so its
 * cost grows with the number of days; hence the cap. A per-day rollup of the metric sums would
 * make it one read.
 */
export const MAX_SERIES_DAYS = 92;

export interface SeriesPoint {
  t: string;
  variants: { key: string; users: number; lift: number | null }[];
}

export class SeriesRangeError extends Error {}

/** The local date (in tz) of the experiment's first counted exposure, or undefined without any. */
export async function firstExposureDate(pool: pg.Pool, siteId: string, key: string, variants: string[], tz: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ d: string | null }>({
    text: `SELECT to_char(min(first_exposed_at) AT TIME ZONE $4::text, 'YYYY-MM-DD') AS "d" FROM experiment_exposures
           WHERE site_id = $1::bigint AND experiment = $2::text AND variant = ANY($3::text[])`,
    values: [siteId, key, variants, tz],
  });
  return rows[0]?.d ?? undefined;
}

export async function experimentSeries(pool: pg.Pool, o: ReportOptions, range: { from?: string; to: string; tz: string }): Promise<SeriesPoint[]> {
  const from = range.from ?? (await firstExposureDate(pool, o.siteId, o.experiment.key, o.experiment.variants.map((v) => v.key), range.tz));
  if (from === undefined) return [];
  const to = range.to < todayIn(range.tz) ? range.to : todayIn(range.tz);
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  if (days.length > MAX_SERIES_DAYS) throw new SeriesRangeError(`series: at most ${MAX_SERIES_DAYS} days (pass from/to to narrow the range)`);
  const out: SeriesPoint[] = [];
  for (const t of days) {
    const r = await experimentReport(pool, { ...o, end: localDateToUtc(addDays(t, 1), range.tz) });
    out.push({ t, variants: r.variants.map((v) => ({ key: v.key, users: v.users, lift: v.lift })) });
  }
  return out;
}
