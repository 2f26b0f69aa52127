import { describe, expect, it } from 'vitest';
import { gaussianRisk } from './bayesian.ts';
import { compare } from './compare.ts';
import { srmPValue } from './srm.ts';
import type { CompareInput, CompareResult } from './types.ts';

/**
 * GrowthBook's published test cases, reproduced to their rounding (5 decimals, np.round). From
 * the growthbook/growthbook repository at commit 8f1db44569:
 * - packages/stats/tests/frequentist/test_tests.py (TestTwoSidedTTest, TestSequentialTTest);
 * - packages/stats/tests/bayesian/test_tests.py (TestBinom, TestNorm, TestGetRiskNumericalStability);
 * - packages/back-end/test/stats.test.ts (checkSrm, to 9 decimals).
 * Their one-sided tests and the regression-adjusted / ratio / quantile statistics are not in
 * Tally's contract and are not ported.
 */
const round = (x: number, d = 5) => Math.round(x * 10 ** d) / 10 ** d;
const rounded = (r: CompareResult) => ({
  lift: round(r.lift),
  ci: r.ci.map((x) => round(x)),
  lift_stddev: round(r.lift_stddev),
  ...(r.p_value !== undefined ? { p_value: round(r.p_value) } : {}),
  ...(r.chance_to_win !== undefined ? { chance_to_win: round(r.chance_to_win) } : {}),
  ...(r.risk ? { risk: r.risk.map((x) => round(x)) } : {}),
});
const mean = (sum: number, sumSquares: number, n: number) => ({ n, sum, sum_squares: sumSquares });
const run = (i: Omit<CompareInput, 'metric'> & { metric?: CompareInput['metric'] }) => rounded(compare({ metric: 'mean', ...i }));

describe('frequentist (tests/frequentist/test_tests.py)', () => {
  const a = mean(1396.87, 52377.9767, 3407);
  const b = mean(2422.7, 134698.29, 3461);

  it('TestTwoSidedTTest.test_two_sided_ttest (relative)', () => {
    expect(run({ engine: 'frequentist', control: a, treatment: b })).toEqual({
      lift: 0.70732, ci: [-0.03526, 1.44989], lift_stddev: 0.37879, p_value: 0.06191,
    });
  });

  it('TestTwoSidedTTest.test_two_sided_ttest_absolute', () => {
    expect(run({ engine: 'frequentist', control: a, treatment: b, difference: 'absolute' })).toEqual({
      lift: round(0.7 - 0.41), ci: [0.04538, 0.53462], lift_stddev: 0.12478, p_value: 0.02016,
    });
  });

  it('TestTwoSidedTTest.test_two_sided_ttest_binom', () => {
    expect(run({ engine: 'frequentist', metric: 'proportion', control: { n: 28, sum: 14 }, treatment: { n: 30, sum: 16 } })).toEqual({
      lift: round((16 / 30 - 0.5) / 0.5), ci: [-0.47767, 0.61101], lift_stddev: 0.2717, p_value: 0.80707,
    });
  });

  it('TestTwoSidedTTest.test_two_sided_ttest_missing_variance → the default output', () => {
    const r = compare({ engine: 'frequentist', metric: 'mean', control: mean(1396.87, 52377.9767, 2), treatment: b });
    expect(r).toMatchObject({ lift: 0, ci: [0, 0], lift_stddev: 0, p_value: 1 });
    expect(r.warning).toMatch(/variance/);
  });
});

describe('sequential (tests/frequentist/test_tests.py TestSequentialTTest)', () => {
  const a = mean(1396.87, 52377.9767, 3000);
  const b = mean(2422.7, 134698.29, 3461);

  it('test_sequential_test_runs (N* = 1000)', () => {
    expect(run({ engine: 'sequential', control: a, treatment: b, sequential_tuning: 1000 })).toEqual({
      lift: 0.50336, ci: [-0.55844, 1.56516], lift_stddev: 0.33341, p_value: 1,
    });
  });

  it('test_sequential_test_runs_prop (default N* = 5000)', () => {
    expect(run({ engine: 'sequential', metric: 'proportion', control: { n: 3000, sum: 1396 }, treatment: { n: 3461, sum: 2422 } })).toEqual({
      lift: 0.50386, ci: [0.40098, 0.60675], lift_stddev: 0.03386, p_value: 0,
    });
  });

  it('test_sequential_test_tuning_as_expected: N* far from n widens the sequence', () => {
    const ci = (t: number) => compare({ engine: 'sequential', metric: 'mean', control: a, treatment: b, sequential_tuning: t }).ci;
    const [below, near, above] = [ci(10), ci(6461), ci(10000)];
    expect(below[0] < above[0] && below[1] > above[1]).toBe(true);
    expect(below[0] < near[0] && below[1] > near[1]).toBe(true);
    expect(above[0] < near[0] && above[1] > near[1]).toBe(true);
  });
});

describe('bayesian (tests/bayesian/test_tests.py)', () => {
  it('TestBinom.test_bayesian_binomial_ab_test', () => {
    expect(run({ engine: 'bayesian', metric: 'proportion', control: { n: 100, sum: 49 }, treatment: { n: 100, sum: 51 } })).toEqual({
      lift: 0.04082, ci: [-0.24779, 0.32943], lift_stddev: 0.14725, chance_to_win: 0.60918, risk: [0.0814, 0.04058],
    });
  });

  it('TestBinom.test_missing_data and TestNorm.test_missing_data → chance 0.5, lift 0', () => {
    for (const metric of ['proportion', 'mean'] as const) {
      const r = compare({ engine: 'bayesian', metric, control: { n: 0, sum: 0, sum_squares: 0 }, treatment: { n: 0, sum: 0, sum_squares: 0 } });
      expect(r).toMatchObject({ chance_to_win: 0.5, lift: 0 });
    }
  });

  const a = mean(100, 1002.25, 10);
  const b = mean(105, 1111.5, 10);

  it('TestNorm.test_bayesian_gaussian_ab_test (improper prior)', () => {
    expect(run({ engine: 'bayesian', control: a, treatment: b })).toEqual({
      lift: 0.05, ci: [-0.02, 0.12], lift_stddev: 0.03572, chance_to_win: 0.91923, risk: [0.05131, 0.00131],
    });
  });

  it('TestNorm.test_bayesian_gaussian_ab_test_informative (prior N(0.1, 0.1))', () => {
    expect(run({ engine: 'bayesian', control: a, treatment: b, prior: { mean: 0.1, variance: 0.1 } })).toEqual({
      lift: 0.05063, ci: [-0.01893, 0.12019], lift_stddev: 0.03549, chance_to_win: 0.92315, risk: [0.05186, 0.00123],
    });
  });

  it('TestGetRiskNumericalStability', () => {
    expect(gaussianRisk(0.01, 4.5e-9)).toEqual([0.01, 0]);
    expect(gaussianRisk(-0.01, 4.5e-9)).toEqual([0, 0.01]);
    expect(gaussianRisk(0.1, 0.05).map((x) => round(x, 10))).toEqual([round(0.1004245351308, 10), round(0.0004245351308414, 10)]);
  });
});

describe('SRM (packages/back-end/test/stats.test.ts)', () => {
  const p = (users: number[], weights: number[]) => +srmPValue(users, weights).toFixed(9);
  it('calculates SRM correctly', () => {
    expect(p([1000, 1200], [0.5, 0.5])).toBe(0.000020079);
    expect(p([135, 115], [0.5, 0.5])).toBe(0.205903211);
    expect(p([310, 98], [0.75, 0.25])).toBe(0.647434186);
    expect(p([1000], [0.5, 0.5])).toBe(1);
    expect(p([1000, 900, 800], [1, 0, 0])).toBe(1);
    expect(p([1000, 1200, 900], [0.5, 0.5, 0])).toBe(0.000020079);
    expect(p([0, 0, 0], [0.34, 0.33, 0.33])).toBe(1);
    expect(p([0, 10, 10], [0.34, 0.33, 0.33])).toBe(0.005790624);
    expect(p([500, 500, 600], [0.34, 0.33, 0.33])).toBe(0.000592638);
    expect(p([500, 500], [0.5, 0.5])).toBe(1);
  });
});
