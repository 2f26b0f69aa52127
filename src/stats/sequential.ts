/**
 * Asymptotic confidence sequences (Waudby-Smith et al., arXiv 2103.06476v7), as GrowthBook's
 * SequentialTwoSidedTTest (gbstats/frequentist/tests.py): valid at every peek, tuned by N*, the
 * sample size at which the sequence is tightest.
 */

/** ρ from α and N* (eq. 161). */
export function sequentialRho(alpha: number, tuning: number): number {
  return Math.sqrt((-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / tuning);
}

/** Half-width of the two-sided sequence at n units with per-unit variance s² (eq. 9). */
export function sequentialHalfwidth(s2: number, n: number, rho: number, alpha: number): number {
  const nr2 = n * rho ** 2;
  return Math.sqrt(s2) * Math.sqrt((2 * (nr2 + 1) * Math.log(Math.sqrt(nr2 + 1) / alpha)) / (n * rho) ** 2);
}

export interface SequentialResult {
  pValue: number;
  ci: [number, number];
}

/**
 * GrowthBook's parameterisation: n = both variations' users, s² = se² · n; the always-valid
 * p-value is 1 / e-value (eq. 155), capped at 1.
 */
export function sequentialTest(estimate: number, standardError: number, n: number, alpha: number, tuning: number): SequentialResult {
  const rho = sequentialRho(alpha, tuning);
  const s2 = standardError ** 2 * n;
  const halfwidth = sequentialHalfwidth(s2, n, rho, alpha);
  const st2 = (estimate ** 2 * n) / standardError ** 2;
  const tr2p1 = n * rho ** 2 + 1;
  const evalue = Math.exp((rho ** 2 * st2) / (2 * tr2p1)) / Math.sqrt(tr2p1);
  return { pValue: Math.min(1 / evalue, 1), ci: [estimate - halfwidth, estimate + halfwidth] };
}
