import { compare, compareFromMoments } from './compare.ts';
import { effectVariance, sideMoments, type SideMoments } from './moments.ts';
import type { CompareInput, CompareResult, MetricType, Moments, SideStats } from './types.ts';

/**
 * CUPED (regression adjustment with a pre-exposure covariate) as GrowthBook's gbstats does it,
 * at commit 8f1db44569 of growthbook/growthbook:
 * - gbstats/models/statistics.py RegressionAdjustedStatistic (mean = ȳ − θ·x̄, variance =
 *   Var(y) + θ²·Var(x) − 2θ·Cov(y, x)), compute_covariance, compute_theta (θ = Cov/Var(x) of the
 *   two variations pooled, 0 when either pooled variance is 0) and create_theta_adjusted_statistics
 *   (θ = 0 → the plain, unadjusted statistics);
 * - gbstats/models/tests.py EffectMoments (relative lift over the baseline's *unadjusted* mean)
 *   and frequentist_variance_relative_cuped (the relative effect's delta-method variance).
 * Proportions use p(1 − p) variances and Cov = Σxy/n − Σx·Σy/n²; means the sample (n − 1) forms.
 */
export interface CupedSide extends SideStats {
  /** Σ of the covariate (the same metric before exposure) and, for means, Σ of its squares. */
  pre_sum: number;
  pre_sum_squares?: number;
  /** Σ over users of metric × covariate. */
  cross_sum: number;
}

export interface CupedInput extends Omit<CompareInput, 'control' | 'treatment'> {
  control: CupedSide;
  treatment: CupedSide;
}

export type CupedResult = CompareResult & { theta: number };

function covariance(metric: MetricType, n: number, sumA: number, sumB: number, products: number): number {
  if (n <= 1) return 0;
  if (metric === 'proportion') return products / n - (sumA * sumB) / n ** 2;
  return (products - (sumA * sumB) / n) / (n - 1);
}

const preStats = (s: CupedSide): SideStats => ({ n: s.n, sum: s.pre_sum, sum_squares: s.pre_sum_squares });

/** θ from both variations pooled (compute_theta). */
export function cupedTheta(metric: MetricType, a: CupedSide, b: CupedSide): number {
  const n = a.n + b.n;
  const post = sideMoments(metric, { n, sum: a.sum + b.sum, sum_squares: (a.sum_squares ?? 0) + (b.sum_squares ?? 0) });
  const pre = sideMoments(metric, { n, sum: a.pre_sum + b.pre_sum, sum_squares: (a.pre_sum_squares ?? 0) + (b.pre_sum_squares ?? 0) });
  if (pre.variance === 0 || post.variance === 0) return 0;
  return covariance(metric, n, a.sum + b.sum, a.pre_sum + b.pre_sum, a.cross_sum + b.cross_sum) / pre.variance;
}

interface AdjustedSide extends SideMoments {
  unadjustedMean: number;
  post: SideMoments;
  pre: SideMoments;
  covariance: number;
}

function adjust(metric: MetricType, s: CupedSide, theta: number): AdjustedSide {
  const post = sideMoments(metric, s);
  const pre = sideMoments(metric, preStats(s));
  const cov = covariance(metric, s.n, s.sum, s.pre_sum, s.cross_sum);
  const variance = s.n <= 1 ? 0 : post.variance + theta ** 2 * pre.variance - 2 * theta * cov;
  return { n: s.n, mean: post.mean - theta * pre.mean, variance, unadjustedMean: post.mean, post, pre, covariance: cov };
}

/** frequentist_variance_relative_cuped: Var of (m_b − m_a)/|ȳ_a| with both means adjusted by θ. */
function relativeVariance(a: AdjustedSide, b: AdjustedSide, theta: number): number {
  const denTreatment = b.n * a.unadjustedMean ** 2;
  const denControl = a.n * a.unadjustedMean ** 2;
  if (denTreatment === 0 || denControl === 0) return 0;
  const vTreatment = (b.post.variance + theta ** 2 * b.pre.variance - 2 * theta * b.covariance) / denTreatment;
  const c = -b.post.mean;
  const numA = (a.post.variance * c ** 2) / a.post.mean ** 2;
  const numB = (2 * theta * a.covariance * c) / a.post.mean;
  const numC = theta ** 2 * a.pre.variance;
  return vTreatment + (numA + numB + numC) / denControl;
}

/** EffectMoments.compute_result on the adjusted sides. */
function adjustedMoments(a: AdjustedSide, b: AdjustedSide, theta: number, relative: boolean): Moments {
  const variance = relative ? relativeVariance(a, b, theta) : effectVariance(a, b, false);
  if (a.variance <= 0 || b.variance <= 0 || !(variance > 0)) return { ok: false, reason: 'zero or negative variance' };
  if (a.mean === 0 || a.unadjustedMean === 0) return { ok: false, reason: 'baseline mean is zero' };
  const estimate = relative ? (b.mean - a.mean) / Math.abs(a.unadjustedMean) : b.mean - a.mean;
  return { ok: true, estimate, standardError: Math.sqrt(variance), n: a.n + b.n };
}

/** The comparison of `compare()` on CUPED-adjusted statistics; θ = 0 gives exactly `compare()` on the post-exposure sums. */
export function compareCuped(input: CupedInput): CupedResult {
  const relative = (input.difference ?? 'relative') === 'relative';
  const theta = cupedTheta(input.metric, input.control, input.treatment);
  if (theta === 0) {
    // create_theta_adjusted_statistics: no variance to regress on → the unadjusted statistics.
    const side = (s: CupedSide): SideStats => ({ n: s.n, sum: s.sum, sum_squares: s.sum_squares });
    return { ...compare({ ...input, control: side(input.control), treatment: side(input.treatment) }), theta };
  }
  const a = adjust(input.metric, input.control, theta);
  const b = adjust(input.metric, input.treatment, theta);
  return { ...compareFromMoments(input, a, b, adjustedMoments(a, b, theta, relative), a.unadjustedMean), theta };
}
