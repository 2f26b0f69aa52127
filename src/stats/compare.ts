import { effectBayesian } from './bayesian.ts';
import { twoSidedTTest, welchDegreesOfFreedom } from './frequentist.ts';
import { effectMoments, sideMoments, type SideMoments } from './moments.ts';
import { sequentialTest } from './sequential.ts';
import type { CompareInput, CompareResult, Moments } from './types.ts';

export const DEFAULT_ALPHA = 0.05;
export const DEFAULT_SEQUENTIAL_TUNING = 5000;

/**
 * `POST /api/v1/stats/compare`: treatment against control on sufficient statistics, by the engine
 * asked for. Frequentist and sequential answer `p_value`, Bayesian `chance_to_win` and `risk`.
 * When the effect cannot be estimated (a side without variance, a baseline mean of 0) the answer
 * is GrowthBook's uninformative default — lift 0, ci [0, 0], p 1 or chance 0.5, risk [0, 0] — with
 * `warning` saying why.
 */
export function compare(input: CompareInput): CompareResult {
  const relative = (input.difference ?? 'relative') === 'relative';
  const a = sideMoments(input.metric, input.control);
  const b = sideMoments(input.metric, input.treatment);
  return compareFromMoments(input, a, b, effectMoments(a, b, relative), a.mean);
}

/**
 * The engines on the effect's moments: shared by `compare` and the CUPED comparison (cuped.ts),
 * which passes regression-adjusted sides and effect moments and the baseline's unadjusted mean
 * (GrowthBook scales a prior by `stat_a.unadjusted_mean`).
 */
export function compareFromMoments(
  input: Pick<CompareInput, 'engine' | 'difference' | 'alpha' | 'sequential_tuning' | 'prior' | 'inverse'>,
  a: SideMoments,
  b: SideMoments,
  moments: Moments,
  baselineMean: number,
): CompareResult {
  const relative = (input.difference ?? 'relative') === 'relative';
  const alpha = input.alpha ?? DEFAULT_ALPHA;
  if (input.engine === 'bayesian') {
    const est = moments.ok ? moments : undefined;
    const r = est
      ? effectBayesian(est.estimate, est.standardError, { alpha, inverse: input.inverse ?? false, relative, baselineMean, prior: input.prior })
      : undefined;
    if (!r?.ok) {
      const reason = !moments.ok ? moments.reason : r && !r.ok ? r.reason : 'no estimate';
      return { lift: 0, ci: [0, 0], lift_stddev: 0, chance_to_win: 0.5, risk: [0, 0], warning: reason };
    }
    return { lift: r.mean, ci: r.ci, lift_stddev: r.stddev, chance_to_win: r.chanceToWin, risk: r.risk };
  }
  if (!moments.ok) return { lift: 0, ci: [0, 0], lift_stddev: 0, p_value: 1, warning: moments.reason };
  const { estimate, standardError } = moments;
  const test =
    input.engine === 'sequential'
      ? sequentialTest(estimate, standardError, moments.n, alpha, input.sequential_tuning ?? DEFAULT_SEQUENTIAL_TUNING)
      : twoSidedTTest(estimate, standardError, welchDegreesOfFreedom(a, b), alpha);
  return { lift: estimate, ci: test.ci, lift_stddev: standardError, p_value: test.pValue };
}
