import { describe, expect, it } from 'vitest';
import { compare } from './compare.ts';
import { normal, studentT } from './distributions.ts';
import type { CompareInput } from './types.ts';

const base: CompareInput = {
  engine: 'bayesian', metric: 'mean',
  control: { n: 100, sum: 1000, sum_squares: 200000 },
  treatment: { n: 100, sum: 1100, sum_squares: 200005 },
};

describe('compare: options', () => {
  it('inverse flips chance to win and risk, nothing else', () => {
    const a = compare(base);
    const b = compare({ ...base, inverse: true });
    expect(b.lift).toBe(a.lift);
    expect(b.ci).toEqual(a.ci);
    expect(b.chance_to_win).toBeCloseTo(1 - a.chance_to_win!, 12);
    expect(b.risk).toEqual([a.risk![1], a.risk![0]]);
  });

  it('an absolute effect is the difference of means; its interval is the relative one scaled by the baseline when the prior is flat', () => {
    const rel = compare({ ...base, engine: 'frequentist', metric: 'proportion', control: { n: 1000, sum: 100 }, treatment: { n: 1000, sum: 120 } });
    const abs = compare({ ...base, engine: 'frequentist', metric: 'proportion', control: { n: 1000, sum: 100 }, treatment: { n: 1000, sum: 120 }, difference: 'absolute' });
    expect(abs.lift).toBeCloseTo(0.02, 12);
    expect(rel.lift).toBeCloseTo(0.2, 12);
    expect(abs.p_value).toBeLessThan(0.2);
  });

  it('a relative prior is rescaled by the baseline mean for an absolute effect (chance to win stays close, as GrowthBook tests)', () => {
    const prior = { mean: 1, variance: 1 };
    const rel = compare({ ...base, prior });
    const abs = compare({ ...base, prior, difference: 'absolute' });
    expect(Math.abs(rel.chance_to_win! - abs.chance_to_win!)).toBeLessThan(0.01);
  });

  it('a baseline mean of 0 gives the uninformative default with a warning, in GrowthBook\'s order of checks', () => {
    const control = { n: 10, sum: 0, sum_squares: 10 };
    // Relative: the delta-method variance is 0 without a baseline, which GrowthBook checks first.
    const rel = compare({ ...base, engine: 'frequentist', control });
    expect(rel).toMatchObject({ lift: 0, ci: [0, 0], p_value: 1, warning: 'zero or negative variance' });
    // Absolute: the variance exists, and GrowthBook still refuses a zero baseline.
    const abs = compare({ ...base, engine: 'frequentist', control, difference: 'absolute' });
    expect(abs).toMatchObject({ lift: 0, ci: [0, 0], p_value: 1, warning: 'baseline mean is zero' });
  });

  it('the library distributions invert each other to 1e-10 (what the engines rely on)', () => {
    for (const p of [0.001, 0.025, 0.5, 0.975, 0.999]) {
      expect(Math.abs(normal.cdf(normal.quantile(p)) - p)).toBeLessThan(1e-10);
      for (const dof of [3, 30, 3000]) expect(Math.abs(studentT.cdf(studentT.quantile(p, dof), dof) - p)).toBeLessThan(1e-10);
    }
  });
});
