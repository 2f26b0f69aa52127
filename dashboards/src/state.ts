/**
 * What the dashboard shows lives in the URL fragment, so a view can be bookmarked or shared
 * (the token never is): `#period=7d&from=2026-11-01&to=2026-11-07&interval=day&tz=Europe/Paris`.
 * A preset period (today, 7d, 30d, 90d) is relative: opening the link tomorrow shows the last
 * 7 days then; `period=custom` keeps its `from`/`to`. `tz` absent = the site's time zone (what
 * the API uses when it is absent); `currency` absent = the site's currency.
 */
export type Period = 'today' | '7d' | '30d' | '90d' | 'custom';
export type Interval = 'hour' | 'day' | 'week' | 'month';

export interface ViewState {
  period: Period;
  from: string;
  to: string;
  /** '' = the API's default for the range length. */
  interval: Interval | '';
  /** '' = the site's zone. */
  tz: string;
  compare: boolean;
  /** '' = the site's currency. */
  currency: string;
}

export const PERIODS: readonly Period[] = ['today', '7d', '30d', '90d', 'custom'];
export const INTERVALS: readonly Interval[] = ['hour', 'day', 'week', 'month'];
/** The API refuses hour buckets over more than 31 days (src/reports/common/params.ts MAX_HOUR_DAYS). */
export const MAX_HOUR_DAYS = 31;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export function isDate(s: string | null | undefined): s is string {
  if (!s || !DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Today's date (YYYY-MM-DD) on the wall clock of `tz`. */
export function todayIn(tz: string, now: Date = new Date()): string {
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  for (const p of f.formatToParts(now)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export function presetRange(period: Exclude<Period, 'custom'>, today: string): { from: string; to: string } {
  const back = { today: 0, '7d': 6, '30d': 29, '90d': 89 }[period];
  return { from: addDays(today, -back), to: today };
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Reads the fragment; anything missing or malformed falls back to the last 30 days. */
export function parseHash(hash: string, today: (tz: string) => string, siteTz: string): ViewState {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const tzParam = q.get('tz') ?? '';
  const tz = tzParam && isTimeZone(tzParam) ? tzParam : '';
  const periodParam = q.get('period') as Period | null;
  const from = q.get('from');
  const to = q.get('to');
  let period: Period = periodParam && PERIODS.includes(periodParam) ? periodParam : '30d';
  // A link with only from/to (no period) is a custom range.
  if (!periodParam && isDate(from) && isDate(to)) period = 'custom';
  let range: { from: string; to: string };
  if (period === 'custom' && isDate(from) && isDate(to) && from <= to) range = { from, to };
  else {
    if (period === 'custom') period = '30d';
    range = presetRange(period as Exclude<Period, 'custom'>, today(tz || siteTz));
  }
  const intervalParam = q.get('interval') as Interval | null;
  let interval: Interval | '' = intervalParam && INTERVALS.includes(intervalParam) ? intervalParam : '';
  if (interval === 'hour' && daysBetween(range.from, range.to) > MAX_HOUR_DAYS) interval = '';
  const currency = (q.get('currency') ?? '').toUpperCase();
  return {
    period,
    ...range,
    interval,
    tz,
    compare: q.get('compare') !== 'off',
    currency: /^[A-Z]{3}$/.test(currency) ? currency : '',
  };
}

export function toHash(s: ViewState): string {
  const q = new URLSearchParams({ period: s.period, from: s.from, to: s.to });
  if (s.interval) q.set('interval', s.interval);
  if (s.tz) q.set('tz', s.tz);
  if (!s.compare) q.set('compare', 'off');
  if (s.currency) q.set('currency', s.currency);
  return `#${q.toString()}`;
}

/** The report query of a view: explicit dates always, tz/interval only when chosen. */
export function reportQuery(s: ViewState, extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams({ from: s.from, to: s.to });
  if (s.tz) q.set('tz', s.tz);
  if (s.interval) q.set('interval', s.interval);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}
