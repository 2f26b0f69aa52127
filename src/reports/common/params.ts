/**
 * Common report query parameters (contract §4) and the time arithmetic behind them.
 *
 * API (shared by traffic and commerce reports):
 * - `reportParamsSchema` — zod object for `from`, `to`, `tz`, `interval`, `compare`, `limit`;
 *   extend it with `.extend({...})` for report-specific params (e.g. `currency`).
 * - `loadReportRequest(c, pool, schema?)` — in a handler behind `siteReadScope(pool)`: loads the
 *   site (404 if gone), parses the query (400 naming the bad param) and resolves the range.
 *   Returns `{site, params, range}`.
 * - `resolveRange(params, siteTimezone, now?)` → `ReportRange`: the UTC half-open range
 *   [start, end) of the inclusive local dates `from`..`to` in `tz` (DST-correct: a DST day is
 *   23 or 25 hours long), the `interval`, its `buckets`, and `previous` (same length, just before)
 *   when `compare=previous`.
 * - `buckets(range)` → `[{t, start, end}]` zero-fill buckets. Day/week/month buckets start at
 *   local midnight (weeks on ISO Monday, months on the 1st), clipped to the range; hour buckets
 *   are UTC hours (so a 25-hour day has 25 of them).
 *   Label `t`: day/week/month → the local date `YYYY-MM-DD` of the bucket's (clipped) start;
 *   hour → local ISO 8601 time with offset, e.g. `2026-10-25T02:00:00+02:00` then `…+01:00`.
 * - `bucketArrays(buckets)` → `[starts, ends, labels]` to pass as `$n::timestamptz[]`,
 *   `$n::timestamptz[]`, `$n::text[]` and unnest in SQL:
 *   `FROM unnest($1::timestamptz[], $2::timestamptz[], $3::text[]) WITH ORDINALITY AS b(start, "end", t, i)`.
 * - `siteReadScope(pool)` — the route middleware for site-scoped read endpoints.
 *
 * Buckets are computed here rather than with generate_series so that the same code labels,
 * clips and tests them; each start is the local midnight converted to UTC, which is exactly what
 * `generate_series(local timestamps) AT TIME ZONE tz` yields.
 */
import type { Context } from 'hono';
import type pg from 'pg';
import { z } from 'zod';
import { badRequest, describeZodError, jsonError } from '../../http/errors.ts';
import { getSite, isValidTimeZone, type Site } from '../../sites/sites.ts';

export type Interval = 'hour' | 'day' | 'week' | 'month';

const DAY_MS = 86_400_000;
/** Hour buckets beyond this many days would be thousands of points: ask for day instead. */
export const MAX_HOUR_DAYS = 31;
export const MAX_RANGE_DAYS = 3660;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'must be a valid calendar date YYYY-MM-DD');

export const reportParamsSchema = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  tz: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris').optional(),
  interval: z.enum(['hour', 'day', 'week', 'month']).optional(),
  compare: z.enum(['previous']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(10),
});
export type ReportParams = z.infer<typeof reportParamsSchema>;

export interface Bucket {
  t: string;
  start: Date;
  end: Date;
}

export interface ReportRange {
  from: string;
  to: string;
  tz: string;
  interval: Interval;
  /** UTC start of `from` in tz (inclusive). */
  start: Date;
  /** UTC start of the day after `to` in tz (exclusive). */
  end: Date;
  days: number;
  buckets: Bucket[];
  previous?: ReportRange;
}

// ---- time-zone arithmetic (Intl; no dependency) -------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock time of `instantMs` in tz, expressed as if it were a UTC epoch (ms). */
export function wallClockMs(instantMs: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** UTC offset of tz at an instant, in ms (Paris summer: +7_200_000). */
export function offsetMs(instantMs: number, tz: string): number {
  const floored = Math.floor(instantMs / 1000) * 1000;
  return wallClockMs(floored, tz) - floored;
}

/**
 * The instant at which the wall clock of tz shows `localMs` (a wall time written as UTC epoch).
 * Ambiguous (fall-back) → the earlier instant; inside a spring-forward gap → the first instant
 * after the gap, as PostgreSQL's `timestamp AT TIME ZONE` does for midnight gaps.
 */
export function localToUtcMs(localMs: number, tz: string): number {
  const before = offsetMs(localMs - DAY_MS, tz);
  const after = offsetMs(localMs + DAY_MS, tz);
  const candidates = [localMs - before, localMs - after].filter((c) => wallClockMs(c, tz) === localMs);
  if (candidates.length) return Math.min(...candidates);
  return localMs - before; // gap: the wall clock jumped over localMs; this instant is just after it
}

export function localDateToUtc(date: string, tz: string): Date {
  return new Date(localToUtcMs(Date.parse(`${date}T00:00:00Z`), tz));
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export function todayIn(tz: string, now: Date = new Date()): string {
  return new Date(wallClockMs(now.getTime(), tz)).toISOString().slice(0, 10);
}

/** `2026-10-25T02:00:00+01:00`: local time of an instant with its offset. */
export function formatLocalIso(instant: Date, tz: string): string {
  const off = offsetMs(instant.getTime(), tz);
  const wall = new Date(instant.getTime() + off).toISOString().slice(0, 19);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off) / 60_000;
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

export function defaultInterval(days: number): Interval {
  if (days <= 2) return 'hour';
  if (days <= 92) return 'day';
  if (days <= 731) return 'week';
  return 'month';
}

// ---- buckets ---------------------------------------------------------------------------------

function nextBoundary(date: string, interval: 'day' | 'week' | 'month'): string {
  if (interval === 'day') return addDays(date, 1);
  const d = new Date(`${date}T00:00:00Z`);
  if (interval === 'week') {
    const isoDay = (d.getUTCDay() + 6) % 7; // Monday = 0
    return addDays(date, 7 - isoDay);
  }
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

export function buckets(range: Pick<ReportRange, 'from' | 'to' | 'tz' | 'interval' | 'start' | 'end'>): Bucket[] {
  const out: Bucket[] = [];
  if (range.interval === 'hour') {
    for (let t = range.start.getTime(); t < range.end.getTime(); t += 3_600_000) {
      const start = new Date(t);
      out.push({ t: formatLocalIso(start, range.tz), start, end: new Date(Math.min(t + 3_600_000, range.end.getTime())) });
    }
    return out;
  }
  const afterTo = addDays(range.to, 1);
  for (let date = range.from; date < afterTo; ) {
    const next = nextBoundary(date, range.interval);
    const stop = next < afterTo ? next : afterTo;
    out.push({ t: date, start: localDateToUtc(date, range.tz), end: localDateToUtc(stop, range.tz) });
    date = stop;
  }
  return out;
}

export function bucketArrays(list: Bucket[]): [Date[], Date[], string[]] {
  return [list.map((b) => b.start), list.map((b) => b.end), list.map((b) => b.t)];
}

// ---- ranges ----------------------------------------------------------------------------------

export class ParamError extends Error {}

function makeRange(from: string, to: string, tz: string, interval: Interval): ReportRange {
  const start = localDateToUtc(from, tz);
  const end = localDateToUtc(addDays(to, 1), tz);
  const base = { from, to, tz, interval, start, end, days: daysBetween(from, to) };
  return { ...base, buckets: buckets(base) };
}

/**
 * Defaults: `tz` = the site's zone; `to` = today in tz (or `from` when that is later);
 * `from` = 30 days ending at `to`; `interval` by length (≤ 2 days hour, ≤ 92 day, ≤ 2 years
 * week, else month). Throws ParamError naming the parameter.
 */
export function resolveRange(params: ReportParams, siteTimezone: string, now: Date = new Date()): ReportRange {
  const tz = params.tz ?? siteTimezone;
  const to = params.to ?? (params.from && params.from > todayIn(tz, now) ? params.from : todayIn(tz, now));
  const from = params.from ?? addDays(to, -29);
  if (from > to) throw new ParamError('from: must not be after to');
  const days = daysBetween(from, to);
  if (days > MAX_RANGE_DAYS) throw new ParamError(`to: the range may span at most ${MAX_RANGE_DAYS} days`);
  const interval = params.interval ?? defaultInterval(days);
  if (interval === 'hour' && days > MAX_HOUR_DAYS) {
    throw new ParamError(`interval: hour allows at most ${MAX_HOUR_DAYS} days; use day, week or month`);
  }
  const range = makeRange(from, to, tz, interval);
  if (params.compare === 'previous') {
    range.previous = makeRange(addDays(from, -days), addDays(from, -1), tz, interval);
  }
  return range;
}

// ---- HTTP helpers -----------------------------------------------------------------------------

/** Read endpoints' middleware (moved to src/http/auth.ts, re-exported for the report routes). */
export { siteReadScope } from '../../http/auth.ts';

export interface ReportRequest<P> {
  site: Site;
  params: P;
  range: ReportRange;
}

/** Loads the site of `:siteId` and parses/validates the query; 400 names the bad parameter. */
export async function loadReportRequest<S extends z.ZodType<ReportParams>>(
  c: Context,
  pool: pg.Pool,
  schema: S = reportParamsSchema as unknown as S,
): Promise<ReportRequest<z.infer<S>>> {
  const site = await getSite(pool, c.req.param('siteId') ?? '');
  if (!site) throw jsonError(404, 'site not found');
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  try {
    return { site, params: parsed.data, range: resolveRange(parsed.data, site.timezone) };
  } catch (error) {
    if (error instanceof ParamError) throw badRequest(error.message);
    throw error;
  }
}
