import gammainc from '@stdlib/math-base-special-gammainc';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalPdf from '@stdlib/stats-base-dists-normal-pdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * The distribution functions the engines need, from stdlib (the library GrowthBook's own JS back
 * end uses for its SRM check) rather than hand-written approximations. GrowthBook's Python engine
 * uses scipy; the published cases agree to their 5 decimals (growthbook-cases.test.ts).
 */
export const studentT = {
  cdf: (x: number, dof: number): number => tCdf(x, dof),
  quantile: (p: number, dof: number): number => tQuantile(p, dof),
};

export const normal = {
  cdf: (x: number, mean = 0, sd = 1): number => normalCdf(x, mean, sd),
  pdf: (x: number, mean = 0, sd = 1): number => normalPdf(x, mean, sd),
  quantile: (p: number, mean = 0, sd = 1): number => normalQuantile(p, mean, sd),
};

/**
 * Upper tail of the chi-square distribution, P(X ≥ x) with `dof` degrees of freedom: the
 * regularized upper incomplete gamma Q(dof/2, x/2), computed directly so that tiny p-values keep
 * their precision (1 − cdf would round them to 0 below ~1e-16).
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}
