import { chiSquareSurvival } from './distributions.ts';

/** Below this `srm_p_value` an experiment's traffic split is flagged (contract §4, §7). */
export const SRM_WARNING_P = 0.001;

/**
 * Sample ratio mismatch: Pearson's chi-square of the observed users against the split the weights
 * promise, as GrowthBook's back end computes it (packages/back-end/src/util/stats.ts checkSrm):
 * variations of weight 0 (or without a count) are left out, degrees of freedom are the remaining
 * variations − 1, and with fewer than two of them or no users at all the answer is 1.
 */
export function srmPValue(users: readonly number[], weights: readonly number[]): number {
  const data: [number, number][] = [];
  let totalUsers = 0;
  let totalWeight = 0;
  weights.forEach((w, i) => {
    const u = users[i];
    if (!w || u === undefined) return;
    data.push([u, w]);
    totalUsers += u;
    totalWeight += w;
  });
  if (data.length < 2 || totalUsers === 0) return 1;
  let x = 0;
  for (const [observed, weight] of data) {
    const expected = (weight / totalWeight) * totalUsers;
    x += (observed - expected) ** 2 / expected;
  }
  return chiSquareSurvival(x, data.length - 1);
}
