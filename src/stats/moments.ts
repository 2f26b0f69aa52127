import type { MetricType, Moments, SideStats } from './types.ts';

/**
 * Per-variation moments and the effect's delta-method moments, as GrowthBook's gbstats computes
 * them (gbstats/models/statistics.py ProportionStatistic / SampleMeanStatistic,
 * gbstats/models/tests.py EffectMoments, gbstats/utils.py frequentist_diff, frequentist_variance,
 * variance_of_ratios).
 */
export interface SideMoments {
  n: number;
  mean: number;
  /** Per-user variance: p(1 − p) for a proportion, (Σx² − (Σx)²/n)/(n − 1) for a mean. */
  variance: number;
}

export function sideMoments(metric: MetricType, s: SideStats): SideMoments {
  const mean = s.n === 0 ? 0 : s.sum / s.n;
  if (metric === 'proportion') return { n: s.n, mean, variance: mean * (1 - mean) };
  const sumSquares = s.sum_squares ?? 0;
  const variance = s.n <= 1 ? 0 : (sumSquares - (s.sum * s.sum) / s.n) / (s.n - 1);
  return { n: s.n, mean, variance };
}

/** Var(M / D) by the delta method, M and D independent here (covariance 0). */
export function varianceOfRatio(meanM: number, varM: number, meanD: number, varD: number, covMD = 0): number {
  if (meanD === 0) return 0;
  return varM / meanD ** 2 + (varD * meanM ** 2) / meanD ** 4 - (2 * covMD * meanM) / meanD ** 3;
}

/** Relative lift (mean_b − mean_a) / |mean_a| or absolute difference mean_b − mean_a. */
export function effectEstimate(a: SideMoments, b: SideMoments, relative: boolean): number {
  return relative ? (b.mean - a.mean) / Math.abs(a.mean) : b.mean - a.mean;
}

export function effectVariance(a: SideMoments, b: SideMoments, relative: boolean): number {
  if (relative) return varianceOfRatio(b.mean, b.variance / b.n, a.mean, a.variance / a.n);
  return b.variance / b.n + a.variance / a.n;
}

/**
 * GrowthBook's EffectMoments.compute_result: the uninformative default when either side has no
 * variance (which covers n ≤ 1 and all-or-nothing conversions), the effect's variance is not
 * positive, or the baseline mean is 0 (no relative lift exists).
 */
export function effectMoments(a: SideMoments, b: SideMoments, relative: boolean): Moments {
  if (a.variance <= 0 || b.variance <= 0) return { ok: false, reason: 'zero or negative variance' };
  const variance = effectVariance(a, b, relative);
  if (!(variance > 0)) return { ok: false, reason: 'zero or negative variance' };
  if (a.mean === 0) return { ok: false, reason: 'baseline mean is zero' };
  return { ok: true, estimate: effectEstimate(a, b, relative), standardError: Math.sqrt(variance), n: a.n + b.n };
}
