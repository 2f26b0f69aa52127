/**
 * Splits a UTC range [start, end) for the product tables (sql/040, sql/051): whole UTC months
 * from the `*_months` table (when the table has one), the whole UTC days before and after them
 * from the `*_days` table, and the partial days at the edges from the quarter-hour `*_slots`
 * table. Report ranges start and end on local midnights, which are quarter-hour aligned in every
 * zone in use, so the split is exact. A 90-day report reads ≤ ~60 day rows and 1–3 month rows per
 * product plus ≤ 2 × 95 slots (90 day rows × 2,000 products took ~60 ms of the 119 ms p95 of
 * the products report, bench 2026-11-22).
 */
export interface ProductRangeSplit {
  /** Whole UTC days [dayFrom, headDayTo) and [tailDayFrom, dayTo) as YYYY-MM-DD (empty when equal). */
  dayFrom: string;
  headDayTo: string;
  tailDayFrom: string;
  dayTo: string;
  /** Whole UTC months [monthFrom, monthTo) as YYYY-MM-01 (empty when equal). */
  monthFrom: string;
  monthTo: string;
  /** Slot ranges [headStart, headEnd) and [tailStart, tailEnd). */
  headStart: Date;
  headEnd: Date;
  tailStart: Date;
  tailEnd: Date;
}

const DAY_MS = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** First UTC month start at or after `ms` (ms a UTC midnight). */
function monthCeil(ms: number): number {
  const d = new Date(ms);
  return d.getUTCDate() === 1 ? ms : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
const monthFloor = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1);

/** `months: false` for tables without a month copy (all whole days then come from `*_days`). */
export function splitRange(start: Date, end: Date, options: { months?: boolean } = {}): ProductRangeSplit {
  const a = start.getTime();
  const b = end.getTime();
  const firstDay = Math.ceil(a / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(b / DAY_MS) * DAY_MS;
  if (firstDay >= lastDay) {
    const day = ymd(firstDay);
    return { dayFrom: day, headDayTo: day, tailDayFrom: day, dayTo: day, monthFrom: day, monthTo: day, headStart: start, headEnd: end, tailStart: end, tailEnd: end };
  }
  const m1 = monthCeil(firstDay);
  const m2 = monthFloor(lastDay);
  const months = options.months === true && m1 < m2;
  return {
    dayFrom: ymd(firstDay),
    headDayTo: ymd(months ? m1 : lastDay),
    tailDayFrom: ymd(months ? m2 : lastDay),
    dayTo: ymd(lastDay),
    monthFrom: ymd(months ? m1 : firstDay),
    monthTo: ymd(months ? m2 : firstDay),
    headStart: start,
    headEnd: new Date(firstDay),
    tailStart: new Date(lastDay),
    tailEnd: end,
  };
}

/** `$n` parameters for a split, in the order used by `splitWhere` (the last two only for a query reading `months`). */
export function splitValues(s: ProductRangeSplit, months = false): unknown[] {
  const v = [s.dayFrom, s.headDayTo, s.tailDayFrom, s.dayTo, s.headStart, s.headEnd, s.tailStart, s.tailEnd];
  return months ? [...v, s.monthFrom, s.monthTo] : v;
}

/** WHERE clauses for the day, slot and month tables given the first parameter number of the split. */
export function splitWhere(first: number): { days: string; slots: string; months: string } {
  const p = (k: number) => `$${first + k}`;
  return {
    days: `((day >= ${p(0)}::date AND day < ${p(1)}::date) OR (day >= ${p(2)}::date AND day < ${p(3)}::date))`,
    slots: `((slot >= ${p(4)}::timestamptz AND slot < ${p(5)}::timestamptz) OR (slot >= ${p(6)}::timestamptz AND slot < ${p(7)}::timestamptz))`,
    months: `month >= ${p(8)}::date AND month < ${p(9)}::date`,
  };
}
