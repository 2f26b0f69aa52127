import type pg from 'pg';
import { funnelCte, type FunnelQueryInput, type QueryText } from './query.ts';
import type { FunnelStep, PeopleRequest } from './schema.ts';

/**
 * Runs the funnel query (query.ts) and shapes the §4.1 response: per step `count`,
 * conversions, `dropoff`, median (percentile_cont) and mean seconds from the previous step;
 * with a breakdown, the top 25 keys by `entered` and the rest summed as `(other)` (its times
 * over the union of those units, not averaged averages); `revenue` on order steps.
 */
export const MAX_BREAKDOWN_KEYS = 25;
export const OTHER_KEY = '(other)';

export interface StepReport {
  index: number;
  label: string;
  count: number;
  conversion_from_start: number;
  conversion_from_previous: number | null;
  dropoff: number;
  median_seconds_from_previous: number | null;
  avg_seconds_from_previous: number | null;
  revenue?: { currency: string; orders: number; gross: number }[];
}

export interface FunnelReport {
  entered: number;
  completed: number;
  steps: StepReport[];
  breakdown?: { key: string; steps: StepReport[] }[];
  people?: FunnelPerson[];
}

export interface FunnelPerson {
  visitor_id: string;
  session_id?: string;
  customer_id: string | null;
  entered_at: string;
}

interface StepRow {
  key: string | null;
  i: number;
  count: number;
  median: number | null;
  avg: number | null;
}

export function stepLabel(step: FunnelStep, index: number): string {
  if (step.label) return step.label;
  if (step.type === 'pageview') return step.path;
  if (step.type === 'event') return step.name;
  return index >= 0 ? 'order' : 'order';
}

const rate = (num: number, den: number) => (den === 0 ? 0 : num / den);

function shapeSteps(steps: FunnelStep[], rows: StepRow[]): StepReport[] {
  const byIndex = new Map(rows.map((r) => [r.i, r]));
  const counts = steps.map((_, i) => byIndex.get(i)?.count ?? 0);
  return steps.map((step, i) => {
    const row = byIndex.get(i);
    return {
      index: i,
      label: stepLabel(step, i),
      count: counts[i]!,
      conversion_from_start: rate(counts[i]!, counts[0]!),
      conversion_from_previous: i === 0 ? null : rate(counts[i]!, counts[i - 1]!),
      dropoff: i === 0 ? 0 : counts[i - 1]! - counts[i]!,
      median_seconds_from_previous: i === 0 || !row || row.count === 0 ? null : row.median,
      avg_seconds_from_previous: i === 0 || !row || row.count === 0 ? null : row.avg,
    };
  });
}

export async function funnelReport(pool: pg.Pool, input: FunnelQueryInput, people?: PeopleRequest): Promise<FunnelReport> {
  const report = await reportFromWalked(pool, funnelCte(input), input);
  if (people) report.people = await funnelPeople(pool, input, people);
  return report;
}

/**
 * The §4.1 numbers from a CTE chain ending in `walked` (one row per unit: depth, hits,
 * hit_steps, gaps, bkey, ids, is_order; `$1` the site id): the ad-hoc query (query.ts) or the
 * saved funnel's state (saved-report.ts).
 */
export async function reportFromWalked(pool: pg.Pool, cte: QueryText, input: Pick<FunnelQueryInput, 'definition' | 'breakdown'>): Promise<FunnelReport> {
  const n = input.definition.steps.length;
  const keyed = input.breakdown
    ? `, ranked AS (
        SELECT bkey, row_number() OVER (ORDER BY count(*) DESC, bkey COLLATE "C") AS rn FROM walked GROUP BY bkey
      ), keyed AS (
        SELECT w.*, CASE WHEN r.rn <= ${MAX_BREAKDOWN_KEYS} THEN w.bkey ELSE '${OTHER_KEY}' END AS key
        FROM walked w JOIN ranked r USING (bkey)
      )`
    : ', keyed AS (SELECT w.*, NULL::text AS key FROM walked w)';
  const grouping = input.breakdown ? 'GROUPING SETS ((s.i), (key, s.i))' : 's.i';
  const keyExpr = input.breakdown ? 'CASE WHEN GROUPING(key) = 1 THEN NULL ELSE key END' : 'NULL::text';
  const hasOrders = input.definition.steps.some((st) => st.type === 'order');
  // One statement: `walked` is referenced twice (steps and revenue), so PostgreSQL computes it
  // once; as two queries the funnel was walked twice (measured 2 × 1.5 s, loadtest/bench-funnel.ts).
  const revenue = hasOrders
    ? `, done AS (
        SELECT DISTINCT w.hit_steps[h] AS step, w.ids[w.hits[h]] AS id
        FROM walked w CROSS JOIN LATERAL generate_subscripts(w.hits, 1) AS h
        WHERE w.is_order[w.hits[h]]
      ), revenue AS (
        SELECT d.step, o.currency::text AS currency, count(*)::int AS orders, sum(o.total)::text AS gross
        FROM done d JOIN orders o ON o.site_id = $1::bigint AND o.id = d.id
        GROUP BY d.step, o.currency
      )`
    : '';
  const result = await pool.query<StepRow & { currency: string | null; orders: number | null; gross: string | null }>({
    text: `${cte.text}${keyed}, stepped AS (
        SELECT ${keyExpr} AS key, s.i::int AS i, count(*) FILTER (WHERE depth > s.i)::int AS count,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY gaps[s.i + 1]) FILTER (WHERE depth > s.i AND s.i > 0) AS median,
          avg(gaps[s.i + 1]) FILTER (WHERE depth > s.i AND s.i > 0) AS avg
        FROM keyed CROSS JOIN generate_series(0, ${n - 1}) AS s(i)
        GROUP BY ${grouping}
      )${revenue}
      SELECT key, i, count, median, avg, NULL::text AS currency, NULL::int AS orders, NULL::text AS gross FROM stepped
      ${hasOrders ? 'UNION ALL SELECT NULL, step, NULL, NULL, NULL, currency, orders, gross FROM revenue' : ''}`,
    values: cte.values,
  });
  const stepRows = result.rows.filter((r) => r.currency === null);
  const steps = shapeSteps(input.definition.steps, stepRows.filter((r) => r.key === null));
  const report: FunnelReport = { entered: steps[0]!.count, completed: steps[n - 1]!.count, steps };

  if (hasOrders) {
    const rev = result.rows.filter((r) => r.currency !== null).sort((a, b) => a.i - b.i || (a.currency! < b.currency! ? -1 : a.currency! > b.currency! ? 1 : 0));
    input.definition.steps.forEach((step, i) => {
      if (step.type !== 'order') return;
      steps[i]!.revenue = rev.filter((r) => r.i === i).map((r) => ({ currency: r.currency!, orders: r.orders!, gross: Number(r.gross) }));
    });
  }

  if (input.breakdown) {
    const keys = new Map<string, StepRow[]>();
    for (const row of stepRows) if (row.key !== null) keys.set(row.key, [...(keys.get(row.key) ?? []), row]);
    report.breakdown = [...keys.entries()]
      .map(([key, rows]) => ({ key, steps: shapeSteps(input.definition.steps, rows) }))
      .sort((a, b) => (a.key === OTHER_KEY ? 1 : 0) - (b.key === OTHER_KEY ? 1 : 0) || b.steps[0]!.count - a.steps[0]!.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  return report;
}

/** `people`: units that reached step k (converted) or reached k−1 but not k (dropped). */
export function peopleQuery(input: FunnelQueryInput, people: PeopleRequest, limit: number | null): { text: string; values: unknown[] } {
  const cte = funnelCte(input);
  const cond = people.outcome === 'converted' ? `depth > ${people.step}` : `depth = ${people.step}`;
  return {
    text: `${cte.text}
      SELECT visitor_id, session_id, customer_id, entered_at FROM walked WHERE ${cond}
      ORDER BY entered_at, visitor_id COLLATE "C", session_id COLLATE "C"${limit === null ? '' : ` LIMIT ${limit}`}`,
    values: cte.values,
  };
}

export async function funnelPeople(pool: pg.Pool, input: FunnelQueryInput, people: PeopleRequest): Promise<FunnelPerson[]> {
  const res = await pool.query<{ visitor_id: string; session_id: string | null; customer_id: string | null; entered_at: Date }>(peopleQuery(input, people, people.limit));
  return res.rows.map((r) => ({
    visitor_id: r.visitor_id,
    ...(input.definition.unit === 'session' ? { session_id: r.session_id ?? '' } : {}),
    customer_id: r.customer_id,
    entered_at: r.entered_at.toISOString(),
  }));
}
