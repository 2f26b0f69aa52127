import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { currency, errors, int, q, security, siteId } from '../common/openapi.ts';

const nullableNumber = { type: 'number', nullable: true };
const pair = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, nullable: true };

const variantRow = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    users: { ...int, description: 'visitors whose first exposure (to this variant only) is in the range' },
    conversions: { ...int, description: 'users with at least one matching event / paid order at or after their first exposure' },
    conversion_rate: { ...nullableNumber, description: 'conversions / users (null without users)' },
    revenue_per_user: { ...nullableNumber, description: 'order metrics: (Σ total − Σ refunds) of linked paid orders / users, minor units; null for event metrics' },
    lift: { ...nullableNumber, description: 'relative lift vs the first variant (the baseline: null there), as POST /api/v1/stats/compare' },
    ci: { ...pair, description: '95 % interval of the lift' },
    p_value: { ...nullableNumber, description: 'frequentist and sequential engines' },
    chance_to_win: { ...nullableNumber, description: 'bayesian engine' },
    risk: { ...pair, description: 'bayesian engine: [control, treatment] expected loss' },
    theta: { ...nullableNumber, description: 'cuped=true only: GrowthBook θ = Cov(x, covariate) / Var(covariate) pooled over this variant and the baseline (0: no adjustment)' },
  },
};

const reportSchema = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    metric: { type: 'string' },
    statistic: { type: 'string', enum: ['conversion', 'count', 'revenue', 'orders'] },
    engine: { type: 'string', enum: ['bayesian', 'frequentist', 'sequential'] },
    srm_p_value: { type: 'number', description: 'Pearson chi-square of users against the weights, as POST /api/v1/stats/srm' },
    srm_warning: { type: 'boolean', description: 'srm_p_value < 0.001' },
    multiple_exposures: { ...int, description: 'visitors exposed to two or more variants, left out of the analysis' },
    currency: { type: 'string', description: 'beyond the contract: the ISO 4217 unit of revenue_per_user (the `currency` parameter, default the site\'s)' },
    cuped: { type: 'boolean', description: 'present (true) when cuped=true was asked' },
    variants: { type: 'array', items: variantRow },
  },
};

export const experimentReportOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/experiments/{key}/report': {
    get: {
      summary: 'Experiment report: users by first exposure and each variant against the first by the /stats/compare engine',
      security,
      parameters: [
        siteId,
        { name: 'key', in: 'path', required: true, schema: { type: 'string' } },
        q('metric', { type: 'string' }, 'a metric key of the experiment; default: the first (primary)'),
        q('engine', { type: 'string', enum: ['bayesian', 'frequentist', 'sequential'], default: 'bayesian' }, 'statistics engine'),
        q('from', { type: 'string', format: 'date' }, 'first local date of first exposures (inclusive); default: the first exposure'),
        q('to', { type: 'string', format: 'date' }, 'last local date (inclusive) of exposures and metric activity; default: today in tz'),
        q('tz', { type: 'string' }, "IANA zone of from/to; default: the site's"),
        currency,
        q('series', { type: 'string', enum: ['true', 'false'] }, 'true adds `series`: [{t, variants: [{key, users, lift}]}] per local day, cumulative (at most 92 days)'),
        q('cuped', { type: 'string', enum: ['true', 'false'] }, 'true: CUPED (GrowthBook regression adjustment) with the same metric in the 14 days before each first exposure as covariate; adds `cuped: true` and per variant `theta`'),
      ],
      responses: { 200: { description: 'experiment report', content: { 'application/json': { schema: reportSchema } } }, ...errors, 404: { description: "unknown site or experiment, or another site's token" } },
    },
  },
};
