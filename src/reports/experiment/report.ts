import type pg from 'pg';
import type { Experiment, ExperimentMetric } from '../../experiments/definition.ts';
import { compare, compareCuped, SRM_WARNING_P, srmPValue, type CompareResult, type Engine } from '../../stats/index.ts';
import { readKeptSums } from './kept-report.ts';
import { experimentReportSql, type ReportSqlInput, type VariantSumsRow } from './report-sql.ts';

/**
 * GET …/experiments/{key}/report (contract §7): the SQL's per-variant sums shaped into the
 * contract's JSON, every statistic from the same `compare()` as POST /api/v1/stats/compare and
 * `srmPValue()` as /stats/srm.
 */
export interface VariantReport {
  key: string;
  users: number;
  conversions: number;
  conversion_rate: number | null;
  revenue_per_user: number | null;
  lift: number | null;
  ci: [number, number] | null;
  p_value: number | null;
  chance_to_win: number | null;
  risk: [number, number] | null;
  /** cuped=true only: GrowthBook's θ for this variant against the baseline (0 = no adjustment possible). */
  theta?: number | null;
}

export interface ExperimentReport {
  key: string;
  metric: string;
  statistic: string;
  engine: Engine;
  srm_p_value: number;
  srm_warning: boolean;
  multiple_exposures: number;
  variants: VariantReport[];
  /** Present (true) only when cuped=true was asked. */
  cuped?: true;
}

/** Per variant: users, users with activity, Σx, Σx², Σ revenue; the covariate's Σ, Σ² and Σ x·covariate (CUPED). */
export interface VariantSums {
  users: number;
  conversions: number;
  sum: number;
  sumSquares: number;
  revenue: number;
  preSum?: number;
  preSumSquares?: number;
  crossSum?: number;
}

const EMPTY: VariantSums = { users: 0, conversions: 0, sum: 0, sumSquares: 0, revenue: 0, preSum: 0, preSumSquares: 0, crossSum: 0 };

/** Pure: the contract's answer from each variant's sums (in the definition's order). Shared with the brute-force test. */
export function shapeReport(
  experiment: Pick<Experiment, 'key' | 'variants'>,
  metric: ExperimentMetric,
  engine: Engine,
  sums: VariantSums[],
  multipleExposures: number,
  cuped = false,
): ExperimentReport {
  const proportion = metric.statistic === 'conversion';
  const side = (s: VariantSums) => (proportion ? { n: s.users, sum: s.conversions } : { n: s.users, sum: s.sum, sum_squares: s.sumSquares });
  const cupedSide = (s: VariantSums) => ({
    ...side(s), pre_sum: s.preSum ?? 0, cross_sum: s.crossSum ?? 0, ...(proportion ? {} : { pre_sum_squares: s.preSumSquares ?? 0 }),
  });
  const base = sums[0] ?? EMPTY;
  const variants = experiment.variants.map((v, i): VariantReport => {
    const s = sums[i] ?? EMPTY;
    const row: VariantReport = {
      key: v.key,
      users: s.users,
      conversions: s.conversions,
      conversion_rate: s.users > 0 ? s.conversions / s.users : null,
      revenue_per_user: metric.type === 'order' && s.users > 0 ? s.revenue / s.users : null,
      lift: null, ci: null, p_value: null, chance_to_win: null, risk: null,
      ...(cuped ? { theta: null } : {}),
    };
    // The contract: every statistic is null on the baseline and when a side has fewer than 2 users.
    if (i === 0 || s.users < 2 || base.users < 2) return row;
    const type = proportion ? 'proportion' : 'mean';
    let r: CompareResult;
    if (cuped) {
      const adjusted = compareCuped({ engine, metric: type, control: cupedSide(base), treatment: cupedSide(s) });
      row.theta = adjusted.theta;
      r = adjusted;
    } else {
      r = compare({ engine, metric: type, control: side(base), treatment: side(s) });
    }
    row.lift = r.lift;
    row.ci = r.ci;
    if (engine === 'bayesian') {
      row.chance_to_win = r.chance_to_win ?? null;
      row.risk = r.risk ?? null;
    } else {
      row.p_value = r.p_value ?? null;
    }
    return row;
  });
  const srm = srmPValue(sums.map((s) => s.users), experiment.variants.map((v) => v.weight));
  return {
    key: experiment.key,
    metric: metric.key,
    statistic: metric.statistic,
    engine,
    srm_p_value: srm,
    srm_warning: srm < SRM_WARNING_P,
    multiple_exposures: multipleExposures,
    variants,
    ...(cuped ? { cuped: true as const } : {}),
  };
}

export interface ReportOptions {
  siteId: string;
  experiment: Pick<Experiment, 'key' | 'variants'>;
  metric: ExperimentMetric;
  engine: Engine;
  start: Date | null;
  end: Date;
  currency: string;
  cuped?: boolean;
}

/**
 * Each variant's sums: from the kept totals when they can answer (kept-report.ts: the default
 * range on a definition the job has built), else from the exact query over the raw rows.
 */
export async function experimentSums(pool: pg.Pool, o: ReportOptions): Promise<{ sums: VariantSums[]; multiple: number; source: 'kept' | 'raw' }> {
  const keys = o.experiment.variants.map((v) => v.key);
  const input: ReportSqlInput = { siteId: o.siteId, experiment: o.experiment.key, variants: keys, start: o.start, end: o.end, metric: o.metric, currency: o.currency };
  const kept = await readKeptSums(pool, input);
  if (kept) return { sums: keys.map((k) => kept.byVariant.get(k) ?? EMPTY), multiple: kept.multiple, source: 'kept' };
  const { rows } = await pool.query<VariantSumsRow & { variant: string | null }>(experimentReportSql(input));
  const byVariant = new Map(rows.filter((r) => r.variant !== null).map((r) => [r.variant, r]));
  const multiple = rows.find((r) => r.variant === null)?.users ?? 0;
  return { sums: keys.map((k) => byVariant.get(k) ?? EMPTY), multiple, source: 'raw' };
}

export async function experimentReport(pool: pg.Pool, o: ReportOptions): Promise<ExperimentReport> {
  const { sums, multiple } = await experimentSums(pool, o);
  return shapeReport(o.experiment, o.metric, o.engine, sums, multiple, o.cuped ?? false);
}
