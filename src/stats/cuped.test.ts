import { describe, expect, it } from 'vitest';
import { compare } from './compare.ts';
import { compareCuped, cupedTheta, type CupedSide } from './cuped.ts';

/**
 * CUPED against GrowthBook's published regression-adjustment cases (growthbook/growthbook at
 * commit 8f1db44569), to their rounding:
 * - tests/frequentist/test_tests.py TestSequentialTTest.test_sequential_test_runs_ra (5 decimals);
 * - tests/test_gbstats.py TestAnalyzeMetricDfFrequentist.test_analyze_metric_df_ra and
 *   test_analyze_metric_df_ra_proportion on RA_STATISTICS_DF (9 decimals: round_ there).
 */
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

describe('CUPED (GrowthBook regression adjustment)', () => {
  it('test_sequential_test_runs_ra', () => {
    const a: CupedSide = { n: 3000, sum: 1396.87, sum_squares: 52377.9767, pre_sum: 16.87, pre_sum_squares: 527.9767, cross_sum: 1 };
    const b: CupedSide = { n: 3461, sum: 2422.7, sum_squares: 134698.29, pre_sum: 22.7, pre_sum_squares: 1348.29, cross_sum: 1 };
    const r = compareCuped({ engine: 'sequential', metric: 'mean', control: a, treatment: b });
    expect(round(r.lift, 5)).toBe(0.50338);
    expect(r.ci.map((x) => round(x, 5))).toEqual([-0.50969, 1.51646]);
    expect(round(r.lift_stddev, 5)).toBe(0.33341);
    expect(round(r.p_value!, 5)).toBe(1);
  });

  // RA_STATISTICS_DF: baseline "zero", treatment "one".
  const zero = { n: 3001, sum: 300, sum_squares: 600, pre_sum: 210, pre_sum_squares: 415, cross_sum: -20 };
  const one = { n: 3000, sum: 222, sum_squares: 555, pre_sum: 120, pre_sum_squares: 405, cross_sum: -10 };

  it('test_analyze_metric_df_ra (count metric, frequentist)', () => {
    const r = compareCuped({ engine: 'frequentist', metric: 'mean', control: zero, treatment: one });
    expect(round(r.lift, 9)).toBe(-0.281707154);
    expect(round(r.p_value!, 9)).toBe(0.003732549);
    // Not the unadjusted difference of means over the adjusted baseline (GrowthBook's own check).
    expect(round(r.lift, 3)).not.toBe(round((0.074 - 0.110963012) / 0.110963012, 3));
  });

  it('test_analyze_metric_df_ra_proportion (binomial metric and covariate, frequentist)', () => {
    const p = (s: CupedSide): CupedSide => ({ n: s.n, sum: s.sum, pre_sum: s.pre_sum, cross_sum: s.cross_sum });
    const r = compareCuped({ engine: 'frequentist', metric: 'proportion', control: p(zero), treatment: p(one) });
    expect(round(r.lift, 9)).toBe(-0.31620216);
    expect(round(r.p_value!, 9)).toBe(0.000000353);
  });

  it('θ = 0 (no covariate variance) is exactly the unadjusted compare()', () => {
    const a: CupedSide = { n: 500, sum: 60, sum_squares: 200, pre_sum: 0, pre_sum_squares: 0, cross_sum: 0 };
    const b: CupedSide = { n: 480, sum: 75, sum_squares: 260, pre_sum: 0, pre_sum_squares: 0, cross_sum: 0 };
    expect(cupedTheta('mean', a, b)).toBe(0);
    for (const engine of ['bayesian', 'frequentist', 'sequential'] as const) {
      const { theta, ...rest } = compareCuped({ engine, metric: 'mean', control: a, treatment: b });
      expect(theta).toBe(0);
      expect(rest).toEqual(compare({ engine, metric: 'mean', control: a, treatment: b }));
    }
  });

  it('θ = Cov(y, x) / Var(x) pooled over both variations, by hand on per-user data', () => {
    const users: [number, number][] = [[3, 1], [0, 0], [5, 2], [1, 1], [2, 0], [4, 3], [0, 1], [6, 2]];
    const side = (rows: [number, number][]): CupedSide => ({
      n: rows.length, sum: rows.reduce((s, [y]) => s + y, 0), sum_squares: rows.reduce((s, [y]) => s + y * y, 0),
      pre_sum: rows.reduce((s, [, x]) => s + x, 0), pre_sum_squares: rows.reduce((s, [, x]) => s + x * x, 0), cross_sum: rows.reduce((s, [y, x]) => s + y * x, 0),
    });
    const ys = users.map(([y]) => y);
    const xs = users.map(([, x]) => x);
    const my = ys.reduce((a, b) => a + b) / 8;
    const mx = xs.reduce((a, b) => a + b) / 8;
    const cov = users.reduce((s, [y, x]) => s + (y - my) * (x - mx), 0) / 7;
    const varX = xs.reduce((s, x) => s + (x - mx) ** 2, 0) / 7;
    expect(cupedTheta('mean', side(users.slice(0, 4)), side(users.slice(4)))).toBeCloseTo(cov / varX, 12);
  });
});
