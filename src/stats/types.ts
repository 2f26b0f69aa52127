/**
 * The shapes of `POST /api/v1/stats/compare` (contract §4), shared by the experiment report: each
 * side as sufficient statistics, the options, and the answer. Field names are the contract's
 * (snake_case) so the route passes bodies through unchanged.
 */
export type Engine = 'frequentist' | 'bayesian' | 'sequential';
export type MetricType = 'proportion' | 'mean';
export type Difference = 'relative' | 'absolute';

/** One variation: users `n`, Σx (conversions for a proportion) and Σx² (means only). */
export interface SideStats {
  n: number;
  sum: number;
  sum_squares?: number;
}

export interface CompareInput {
  engine: Engine;
  metric: MetricType;
  control: SideStats;
  treatment: SideStats;
  difference?: Difference;
  /** Default 0.05: a 95 % interval. */
  alpha?: number;
  /** N* of the sequential engine's confidence sequence; default 5000 (GrowthBook's). */
  sequential_tuning?: number;
  /** A proper Gaussian prior on the effect, on the relative scale (GrowthBook's default prior type). */
  prior?: { mean: number; variance: number };
  /** Lower is better: chance to win and risk are flipped (GrowthBook's `inverse`). */
  inverse?: boolean;
}

export interface CompareResult {
  lift: number;
  ci: [number, number];
  lift_stddev: number;
  p_value?: number;
  chance_to_win?: number;
  /** [control, treatment]: the expected loss of choosing each. */
  risk?: [number, number];
  /** Why the answer is GrowthBook's uninformative default (zero variance, baseline mean 0, …). */
  warning?: string;
}

/** Point estimate and standard error of the effect (GrowthBook's EffectMomentsResult). */
export type Moments = { ok: true; estimate: number; standardError: number; n: number } | { ok: false; reason: string };
