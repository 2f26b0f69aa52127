import { addDays, localDateToUtc } from '../common/params.ts';

/**
 * The periods of a retention report (contract §4.2): cohorts are the periods starting within
 * [from, to] (days; weeks from Monday; months from the 1st, in tz), and activity is counted in
 * those same periods up to the end of `to` (so the last one may be partial). Shared by the
 * report and its brute force.
 */
export type RetentionPeriod = 'day' | 'week' | 'month';

export interface RetentionPeriods {
  /** Local first day of each period, `YYYY-MM-DD`. */
  labels: string[];
  /** UTC instant of each period's start (local midnight, DST-correct). */
  starts: Date[];
  /** UTC end of `to` (the local midnight after it): activity at or after it is ignored. */
  end: Date;
}

function isPeriodStart(date: string, period: RetentionPeriod): boolean {
  if (period === 'day') return true;
  const d = new Date(`${date}T00:00:00Z`);
  return period === 'week' ? d.getUTCDay() === 1 : d.getUTCDate() === 1;
}

export function nextPeriodStart(date: string, period: RetentionPeriod): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (period === 'day') return addDays(date, 1);
  if (period === 'week') return addDays(date, 7 - ((d.getUTCDay() + 6) % 7));
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

export function retentionPeriods(from: string, to: string, tz: string, period: RetentionPeriod): RetentionPeriods {
  const labels: string[] = [];
  for (let date = isPeriodStart(from, period) ? from : nextPeriodStart(from, period); date <= to; date = nextPeriodStart(date, period)) {
    labels.push(date);
  }
  return { labels, starts: labels.map((d) => localDateToUtc(d, tz)), end: localDateToUtc(addDays(to, 1), tz) };
}

const DAY_MS = 86_400_000;

/**
 * Which period each UTC day's instants fall in, for the visitor grain (sql/090: first and last
 * instant per UTC day): `before` is the 1-based period holding the day's start (0 before the
 * first period), `boundary` the one period boundary strictly inside the day (or null) and
 * `after` the period from it on (n + 1 past the end). A hash join on this small table replaces
 * a `width_bucket` over an array per row (report.ts: the measurement). Null when
 * some UTC day holds two boundaries (never in today's tz database: periods.test.ts); the caller
 * then uses `width_bucket`.
 */
export function utcDayMap(p: RetentionPeriods): { days: string[]; before: number[]; boundaries: (Date | null)[]; after: number[] } | null {
  const edges = [...p.starts.map((d) => d.getTime()), p.end.getTime()];
  const days: string[] = [];
  const before: number[] = [];
  const boundaries: (Date | null)[] = [];
  const after: number[] = [];
  let j = 0; // edges[j] is the first edge > the current day start
  for (let day = Math.floor(edges[0]! / DAY_MS) * DAY_MS; day < edges.at(-1)!; day += DAY_MS) {
    while (j < edges.length && edges[j]! <= day) j++;
    const inside = [];
    for (let i = j; i < edges.length && edges[i]! < day + DAY_MS; i++) inside.push(i);
    if (inside.length > 1) return null;
    days.push(new Date(day).toISOString().slice(0, 10));
    before.push(j);
    boundaries.push(inside.length ? new Date(edges[inside[0]!]!) : null);
    after.push(inside.length ? inside[0]! + 1 : j);
  }
  return { days, before, boundaries, after };
}
