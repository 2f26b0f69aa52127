import { describe, expect, it } from 'vitest';
import { gaussianRisk } from './bayesian.ts';
import { compare } from './compare.ts';
import { effectEstimate, sideMoments } from './moments.ts';
import { srmPValue } from './srm.ts';
import type { CompareInput, CompareResult } from './types.ts';

/**
 * GrowthBook's published test cases, reproduced to their rounding (5 decimals, np.round). From
 * the growthbook/growthbook repository at commit 8f1db44569:
 * - packages/stats/tests/frequentist/test_tests.py (TestTwoSidedTTest, TestSequentialTTest);
 * - packages/stats/tests/bayesian/test_tests.py (TestBinom, TestNorm, TestGetRiskNumericalStability,
 *   TestGaussianEffectRelativeAbsolutePriors);
 * - packages/stats/tests/test_gbstats.py (TestAnalyzeMetricDfBayesian, TestAnalyzeMetricDfFrequentist,
 *   TestAnalyzeMetricDfSequential on its count-metric rows, to 9 decimals);
 * - packages/stats/tests/test_shared_models.py (TestSampleMeanStatistic, TestProportionStatistic,
 *   TestEffectMomentsNegativeBaseline);
 * - packages/stats/tests/test_utils.py (TestFrequentistDiff);
 * - packages/back-end/test/stats.test.ts (checkSrm, to 9 decimals), and the Python check_srm case
 *   that packages/stats/tests/test_gbstats.py had until commit 44baa67c7e.
 * Their one-sided tests, the regression-adjusted / ratio / quantile / post-stratified statistics
 * and bandits are not in Tally's contract and are not ported; nor is test_utils.py
 * TestTruncatedNormalMean, whose cases compare against scipy at |β| ≥ 10 or its Mills-ratio branch
 * at |β| ≥ 1e3, which get_risk never reaches (it takes the analytic limit past |μ/σ| > 37).
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

describe('analyze_metric_df on count-metric rows (tests/test_gbstats.py, 9 decimals)', () => {
  // QUERY_OUTPUT, dimension "one": baseline "zero" and variation "one"; COUNT_METRIC is a mean.
  const zero = mean(270, 848.79, 100);
  const one = mean(300, 869, 120);
  const r9 = (x: number | undefined) => round(x ?? NaN, 9);

  it('TestAnalyzeMetricDfBayesian.test_get_metric_dfs_new', () => {
    const r = compare({ engine: 'bayesian', metric: 'mean', control: zero, treatment: one });
    expect(r9(r.risk?.[1])).toBe(0.075691131);
    expect(r9(r.lift)).toBe(-0.074074074);
    expect(r9(r.chance_to_win)).toBe(0.071834168);
  });

  it('TestAnalyzeMetricDfBayesian.test_get_metric_dfs_inverse', () => {
    const r = compare({ engine: 'bayesian', metric: 'mean', control: zero, treatment: one, inverse: true });
    expect(r9(r.risk?.[1])).toBe(0.001617057);
    expect(r9(r.lift)).toBe(-0.074074074);
    expect(r9(r.chance_to_win)).toBe(round(1 - 0.071834168, 9));
  });

  // ONE_USER_DF: the variation has a single user, so no variance → the default output.
  const oneUserBaseline = mean(20, 443, 3);
  const oneUser = mean(1, 1, 1);

  it('TestAnalyzeMetricDfBayesian.test_get_metric_dfs_zero_val', () => {
    const r = compare({ engine: 'bayesian', metric: 'mean', control: oneUserBaseline, treatment: oneUser, inverse: true });
    expect(r9(r.risk?.[1])).toBe(0);
    expect(r9(r.lift)).toBe(0);
    expect(r9(r.chance_to_win)).toBe(0.5);
  });

  it('TestAnalyzeMetricDfFrequentist.test_get_metric_dfs_frequentist', () => {
    const r = compare({ engine: 'frequentist', metric: 'mean', control: zero, treatment: one });
    expect(r9(r.lift)).toBe(-0.074074074);
    expect(r9(r.p_value)).toBe(0.145219005);
  });

  it('TestAnalyzeMetricDfFrequentist.test_get_metric_dfs_zero_val', () => {
    const r = compare({ engine: 'frequentist', metric: 'mean', control: oneUserBaseline, treatment: oneUser });
    expect(r9(r.lift)).toBe(0);
    expect(r9(r.p_value)).toBe(1);
  });

  it('TestAnalyzeMetricDfSequential.test_analyze_metric_df_sequential (N* = 600, then N* = 1 is wider)', () => {
    const r = compare({ engine: 'sequential', metric: 'mean', control: zero, treatment: one, sequential_tuning: 600 });
    expect(r9(r.lift)).toBe(-0.074074074);
    expect(r9(r.p_value)).toBe(0.892332229);
    expect(r9(r.ci[0])).toBe(-0.233322085);
    const badTuning = compare({ engine: 'sequential', metric: 'mean', control: zero, treatment: one, sequential_tuning: 1 });
    expect(r.ci[0] > badTuning.ci[0]).toBe(true);
  });
});

describe('priors (tests/bayesian/test_tests.py TestGaussianEffectRelativeAbsolutePriors)', () => {
  it('test_bayesian_effect_relative_effect: a relative prior rescaled for an absolute effect keeps chance to win (places=2)', () => {
    const control = mean(1000, 200000, 100);
    const treatment = mean(1100, 200005, 100);
    const prior = { mean: 1, variance: 1 };
    const abs = compare({ engine: 'bayesian', metric: 'mean', control, treatment, prior, difference: 'absolute' });
    const rel = compare({ engine: 'bayesian', metric: 'mean', control, treatment, prior });
    // unittest's assertAlmostEqual(places=2) is |a − b| < 0.005, as toBeCloseTo(…, 2).
    expect(abs.chance_to_win).toBeCloseTo(rel.chance_to_win ?? NaN, 2);
  });
});

describe('statistics (tests/test_shared_models.py)', () => {
  const METRIC_1 = [0.3, 0.5, 0.9, 22];
  const METRIC_2 = [1, 1, 1];
  const N = 4;
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const npVarDdof1 = (xs: number[]) => {
    const m = sum(xs) / xs.length;
    return sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1);
  };

  it('TestSampleMeanStatistic.test_sample_mean_statistic (np.mean, np.var ddof=1)', () => {
    const s = sideMoments('mean', { n: N, sum: sum(METRIC_1), sum_squares: sum(METRIC_1.map((x) => x * x)) });
    expect(s.mean).toBeCloseTo(sum(METRIC_1) / N, 12);
    expect(s.variance).toBeCloseTo(npVarDdof1(METRIC_1), 12);
  });

  it('TestSampleMeanStatistic.test_sample_mean_statistic_low_n', () => {
    expect(sideMoments('mean', { n: 1, sum: sum(METRIC_1), sum_squares: sum(METRIC_1.map((x) => x * x)) }).variance).toBe(0);
  });

  it('TestProportionStatistic.test_proportion_statistic', () => {
    const s = sideMoments('proportion', { n: N, sum: sum(METRIC_2) });
    expect(s.mean).toBe(3 / 4);
    expect(s.variance).toBe((3 / 4) * (1 - 3 / 4));
  });

  // Same spread on both sides (Σx² = (μ² + 4)·n), only the means differ.
  const side = (m: number) => ({ n: 1000, sum: m * 1000, sum_squares: (m ** 2 + 4) * 1000 });
  const effect = (a: number, b: number, difference: 'relative' | 'absolute') =>
    compare({ engine: 'frequentist', metric: 'mean', control: side(a), treatment: side(b), difference });

  it('TestEffectMomentsNegativeBaseline.test_relative_sign_matches_absolute_sign', () => {
    for (const [a, b] of [[-10, -5], [-10, -15], [-2, 3], [10, 15], [10, 5]] as const) {
      const abs = effect(a, b, 'absolute');
      const rel = effect(a, b, 'relative');
      expect(abs.warning).toBeUndefined();
      expect(rel.warning).toBeUndefined();
      expect(Math.sign(rel.lift)).toBe(Math.sign(abs.lift));
    }
  });

  it('TestEffectMomentsNegativeBaseline.test_relative_magnitude_scaled_by_baseline_magnitude', () => {
    const rel = effect(-10, -5, 'relative');
    expect(rel.lift).toBeCloseTo(0.5, 7);
    expect(rel.lift_stddev).toBeGreaterThan(0);
  });
});

describe('frequentist_diff (tests/test_utils.py TestFrequentistDiff)', () => {
  const at = (m: number) => ({ n: 1, mean: m, variance: 0 });
  const diff = (a: number, b: number, relative: boolean) => effectEstimate(at(a), at(b), relative);

  it('test_absolute_is_plain_difference', () => {
    expect(diff(-10, -5, false)).toBe(5);
    expect(diff(10, 15, false)).toBe(5);
  });

  it('test_relative_positive_baseline', () => {
    expect(diff(10, 15, true)).toBeCloseTo(0.5, 7);
    expect(diff(10, 5, true)).toBeCloseTo(-0.5, 7);
  });

  it('test_relative_negative_baseline_keeps_direction', () => {
    expect(diff(-10, -5, true)).toBeCloseTo(0.5, 7);
    expect(diff(-10, -15, true)).toBeCloseTo(-0.5, 7);
    expect(diff(-2, 3, true)).toBeCloseTo(2.5, 7);
  });
});

describe('SRM (packages/stats/tests/test_gbstats.py TestHelpers.test_srm, before commit 44baa67c7e)', () => {
  it('test_srm (9 decimals)', () => {
    expect(round(srmPValue([1000, 1200], [0.5, 0.5]), 9)).toBe(0.000020079);
  });
});
