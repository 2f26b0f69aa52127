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
