import { normal } from './distributions.ts';

/**
 * GrowthBook's EffectBayesianABTest (gbstats/bayesian/tests.py): the effect's likelihood is
 * Gaussian with the delta-method mean and variance; with an improper flat prior (the default) the
 * posterior is that Gaussian, with a proper N(m, v) prior the precision-weighted mix. Chance to
 * win = P(effect > 0); risk = the expected loss of shipping each side; the credible interval is
 * the posterior's central 1 − α.
 */
export interface Prior {
  mean: number;
  variance: number;
}

export type BayesianResult =
  | { ok: true; mean: number; stddev: number; chanceToWin: number; ci: [number, number]; risk: [number, number] }
  | { ok: false; reason: string };

/**
 * `prior` is on the relative scale (GrowthBook's default `prior_type`); for an absolute effect it is
 * rescaled by the baseline mean, as GrowthBook does.
 */
export function effectBayesian(
  estimate: number,
  standardError: number,
  options: { alpha: number; inverse: boolean; relative: boolean; baselineMean: number; prior?: Prior },
): BayesianResult {
  let prior = options.prior;
  if (prior && !options.relative) {
    if (options.baselineMean === 0) return { ok: false, reason: 'baseline mean is zero' };
    prior = { mean: prior.mean * Math.abs(options.baselineMean), variance: prior.variance * options.baselineMean ** 2 };
  }
  const dataVariance = standardError ** 2;
  let precision: number;
  let mean: number;
  if (dataVariance) {
    precision = 1 / dataVariance + (prior ? 1 / prior.variance : 0);
    mean = prior ? (estimate / dataVariance + prior.mean / prior.variance) / precision : estimate;
  } else {
    precision = prior ? 1 / prior.variance : 0;
    mean = prior ? prior.mean : 0;
  }
  if (precision === 0) return { ok: false, reason: 'baseline mean is zero' };
  const stddev = Math.sqrt(1 / precision);
  // P(effect > 0) = Φ(μ/σ): scipy's norm.sf(0, μ, σ), which GrowthBook calls, without the
  // 1 − cdf cancellation that would round a chance far in the tail to 0 or 1.
  const win = normal.cdf(mean / stddev);
  const risk = gaussianRisk(mean, stddev);
  return {
    ok: true,
    mean,
    stddev,
    chanceToWin: options.inverse ? normal.cdf(-mean / stddev) : win,
    ci: [normal.quantile(options.alpha / 2, mean, stddev), normal.quantile(1 - options.alpha / 2, mean, stddev)],
    risk: options.inverse ? [risk[1], risk[0]] : risk,
  };
}

/**
 * [risk of control, risk of treatment] for an effect ~ N(μ, σ²) (GrowthBook's get_risk):
 * P(effect > 0) · E[effect | effect > 0] and −P(effect < 0) · E[effect | effect < 0], with the
 * truncated-normal means written out (σ φ(z) / Φ(z) forms, each tail computed on its own side so
 * it keeps its precision). Past |μ/σ| > 37 one probability is 0 in doubles: the analytic limit.
 */
export function gaussianRisk(mu: number, sigma: number): [number, number] {
  if (sigma > 0 && Math.abs(mu / sigma) > 37) return [Math.max(mu, 0), Math.max(-mu, 0)];
  const z = -mu / sigma;
  const pNeg = normal.cdf(z);
  const pPos = normal.cdf(-z);
  const meanNeg = mu - (sigma * normal.pdf(z)) / pNeg;
  const meanPos = mu + (sigma * normal.pdf(z)) / pPos;
  return [pPos * meanPos, -pNeg * meanNeg];
}
