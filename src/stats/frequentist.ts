import { studentT } from './distributions.ts';
import type { SideMoments } from './moments.ts';

/**
 * Two-sided Welch t-test on the effect (gbstats/frequentist/tests.py TwoSidedTTest): the
 * statistic is estimate / standard error, the degrees of freedom Welch–Satterthwaite's from the
 * per-user variances, p = 2 (1 − F_t(|t|)), and the interval estimate ± t_{1−α/2} · se.
 */
export function welchDegreesOfFreedom(a: SideMoments, b: SideMoments): number {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  return (va + vb) ** 2 / (b.variance ** 2 / (b.n ** 2 * (b.n - 1)) + a.variance ** 2 / (a.n ** 2 * (a.n - 1)));
}

export interface TTestResult {
  pValue: number;
  ci: [number, number];
}

export function twoSidedTTest(estimate: number, standardError: number, dof: number, alpha: number): TTestResult {
  const t = estimate / standardError;
  const pValue = 2 * (1 - studentT.cdf(Math.abs(t), dof));
  const halfwidth = studentT.quantile(1 - alpha / 2, dof) * standardError;
  return { pValue, ci: [estimate - halfwidth, estimate + halfwidth] };
}
