/**
 * Splits a UTC range [start, end) for the product tables (sql/040): whole UTC days come from the
 * `*_days` table, the partial days at the edges from the quarter-hour `*_slots` table. Report
 * ranges start and end on local midnights, which are quarter-hour aligned in every zone in use,
 * so the split is exact. A 90-day report reads ≤ 90 day rows per product plus ≤ 2 × 95 slots.
 */
export interface ProductRangeSplit {
  /** Whole UTC days [dayFrom, dayTo) as YYYY-MM-DD (empty when dayFrom = dayTo). */
  dayFrom: string;
  dayTo: string;
  /** Slot ranges [headStart, headEnd) and [tailStart, tailEnd). */
  headStart: Date;
  headEnd: Date;
  tailStart: Date;
  tailEnd: Date;
}

const DAY_MS = 86_400_000;

export function splitRange(start: Date, end: Date): ProductRangeSplit {
  const a = start.getTime();
  const b = end.getTime();
  const firstDay = Math.ceil(a / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(b / DAY_MS) * DAY_MS;
  if (firstDay >= lastDay) {
    const day = new Date(firstDay).toISOString().slice(0, 10);
    return { dayFrom: day, dayTo: day, headStart: start, headEnd: end, tailStart: end, tailEnd: end };
  }
  return {
    dayFrom: new Date(firstDay).toISOString().slice(0, 10),
    dayTo: new Date(lastDay).toISOString().slice(0, 10),
    headStart: start,
    headEnd: new Date(firstDay),
    tailStart: new Date(lastDay),
    tailEnd: end,
  };
}

/** `$n` parameters for a split, in the order used by `splitWhere`. */
export function splitValues(s: ProductRangeSplit): unknown[] {
  return [s.dayFrom, s.dayTo, s.headStart, s.headEnd, s.tailStart, s.tailEnd];
}

/** WHERE clauses for the day and the slot table given the first parameter number of the split. */
export function splitWhere(first: number): { days: string; slots: string } {
  const p = (k: number) => `$${first + k}`;
  return {
    days: `day >= ${p(0)}::date AND day < ${p(1)}::date`,
    slots: `((slot >= ${p(2)}::timestamptz AND slot < ${p(3)}::timestamptz) OR (slot >= ${p(4)}::timestamptz AND slot < ${p(5)}::timestamptz))`,
  };
}
