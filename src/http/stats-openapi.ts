import type { OpenApiPaths } from './openapi-types.ts';

/** OpenAPI paths of /api/v1/stats/* (stats-routes.ts); the formulas are in docs/api.md#statistics. */
const side = {
  type: 'object', required: ['n', 'sum'],
  properties: { n: { type: 'integer', minimum: 0 }, sum: { type: 'number' }, sum_squares: { type: 'number', minimum: 0, description: 'required for mean metrics' } },
};
const errors = {
  400: { description: 'bad body (the field is named in `error`)' },
  401: { description: 'missing or invalid token' },
  413: { description: 'body over 64 KiB' },
};
const security = [{ bearer: [] }];

export const statsOpenApi: OpenApiPaths = {
  '/api/v1/stats/compare': {
    post: {
      summary: 'Treatment against control on sufficient statistics, as GrowthBook computes it (any valid token)',
      security,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object', required: ['engine', 'metric', 'control', 'treatment'], additionalProperties: false,
              properties: {
                engine: { type: 'string', enum: ['frequentist', 'bayesian', 'sequential'] },
                metric: { type: 'string', enum: ['proportion', 'mean'] },
                control: side, treatment: side,
                difference: { type: 'string', enum: ['relative', 'absolute'], default: 'relative' },
                alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05 },
                sequential_tuning: { type: 'number', exclusiveMinimum: 0, default: 5000 },
                prior: { type: 'object', properties: { mean: { type: 'number' }, variance: { type: 'number', exclusiveMinimum: 0 } }, description: 'proper Gaussian prior on the relative effect; default improper flat' },
                inverse: { type: 'boolean', default: false },
              },
            },
          },
        },
      },
      responses: {
        200: { description: '{lift, ci: [lo, hi], lift_stddev, p_value? (frequentist, sequential), chance_to_win?, risk?: [control, treatment] (bayesian), warning? (why the answer is the uninformative default)}' },
        ...errors,
      },
    },
  },
  '/api/v1/stats/srm': {
    post: {
      summary: 'Sample ratio mismatch: Pearson chi-square p-value of users against weights (weight-0 variations left out)',
      security,
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['users', 'weights'], properties: { users: { type: 'array', items: { type: 'integer', minimum: 0 } }, weights: { type: 'array', items: { type: 'number', minimum: 0 } } } } } } },
      responses: { 200: { description: '{p_value}; below 0.001 is an SRM warning' }, ...errors },
    },
  },
};
