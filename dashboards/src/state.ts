/**
 * What the dashboard shows lives in the URL fragment, so a view can be bookmarked or shared
 * (the token never is): `#view=revenue&period=7d&from=2026-11-01&to=2026-11-07&interval=day&tz=Europe/Paris`.
 * `view` picks the view (contract §9; unknown → overview); the shared controls below are the same
 * for every view; every other parameter is the view's own (`funnel=ID`, `experiment=KEY`, `url=…`,
 * `grain=…` where the view's API has a `period` of its own).
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

/** The views of contract §9, plus site search and discount codes (issue #19), in navigation order. */
export const VIEW_NAMES = [
  'overview', 'revenue', 'products', 'funnels', 'retention', 'experiments', 'heatmaps', 'errors', 'vitals', 'search', 'discounts', 'realtime',
] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

/** Which view, and that view's own parameters (never the shared ones). */
export interface Route {
  view: ViewName;
  params: URLSearchParams;
}

/** Fragment keys owned by the shell: the view, the shared controls, and a share link's token. */
export const SHARED_KEYS: readonly string[] = ['view', 'period', 'from', 'to', 'interval', 'tz', 'compare', 'currency', 'share'];

export function isViewName(v: string | null): v is ViewName {
  return v !== null && (VIEW_NAMES as readonly string[]).includes(v);
}

/** The view of the fragment (unknown or absent → overview) and its own parameters. */
export function parseRoute(hash: string): Route {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const v = q.get('view');
  const params = new URLSearchParams();
  for (const [k, value] of q) if (!SHARED_KEYS.includes(k)) params.append(k, value);
  return { view: isViewName(v) ? v : 'overview', params };
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

/** The fragment of a state (and view): `view` first, the shared controls, then the view's own parameters. */
export function toHash(s: ViewState, route?: Route): string {
  const q = new URLSearchParams(route ? { view: route.view } : {});
  q.set('period', s.period);
  q.set('from', s.from);
  q.set('to', s.to);
  if (s.interval) q.set('interval', s.interval);
  if (s.tz) q.set('tz', s.tz);
  if (!s.compare) q.set('compare', 'off');
  if (s.currency) q.set('currency', s.currency);
  if (route) for (const [k, v] of route.params) if (!SHARED_KEYS.includes(k)) q.append(k, v);
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
