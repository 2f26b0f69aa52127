import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { currency, errors, int, q, security, siteId } from '../common/openapi.ts';

const required = (name: string, schema: Record<string, unknown>, description: string) => ({ ...q(name, schema, description), required: true });
const rate = { type: 'number', minimum: 0, maximum: 1 };

const cohortRow = {
  type: 'object',
  properties: {
    cohort: { type: 'string', format: 'date', description: "the period's first local day" },
    segment: { type: 'string', description: 'with `segment`: the first touch value (visitors) or the first paid order attributed value (customers); `unknown` without one' },
    size: int,
    values: { type: 'array', items: { type: 'object', properties: { period: int, count: int, rate } }, description: 'k = 0 … the period containing `to`; period 0 has count = size, rate 1' },
    revenue: {
      type: 'array',
      description: 'customer cohorts: (Σ total of paid orders − Σ refunds dated in periods 0…k) / size, in minor units of `currency`, unrounded',
      items: { type: 'object', properties: { period: int, cumulative_per_member: { type: 'number' } } },
    },
  },
};

const retentionSchema = {
  type: 'object',
  properties: {
    cohort: { type: 'string' }, period: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, tz: { type: 'string' },
    currency: { type: 'string' }, segment: { type: 'string' },
    cohorts: { type: 'array', items: cohortRow },
    summary: {
      type: 'object',
      properties: {
        retention: {
          type: 'array',
          description: 'average curve weighted by cohort size: Σ count_k / Σ size over the cohorts that reach period k',
          items: { type: 'object', properties: { period: int, rate, cohorts: int, members: int } },
        },
        repeat_purchase_rate: { ...rate, description: 'customer cohorts: members with a second paid order by the end of `to` / members' },
        median_days_to_second_order: { type: ['number', 'null'], description: 'customer cohorts: percentile_cont(0.5) of the days between the first and second paid order' },
      },
    },
  },
};

export const retentionOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/retention': {
    get: {
      summary: 'Visitor or customer cohorts by first period, their retention and (customers) cumulative net revenue per member',
      security,
      parameters: [
        siteId,
        required('cohort', { type: 'string', enum: ['visitor', 'customer'] }, 'visitor: first pageview ever (needs persistent visitor ids); customer: first paid order ever'),
        required('period', { type: 'string', enum: ['day', 'week', 'month'] }, 'weeks start on Monday'),
        required('from', { type: 'string', format: 'date' }, 'cohorts whose period starts on or after this local date'),
        required('to', { type: 'string', format: 'date' }, 'last local date (inclusive); activity after it is ignored; at most 400 days after `from`'),
        q('tz', { type: 'string' }, "IANA zone; default: the site's"),
        currency,
        q('segment', { type: 'string', enum: ['channel', 'country', 'device'] }, 'split cohorts by the first touch (visitors) or the first paid order attribution (customers)'),
      ],
      responses: { 200: { description: 'retention report', content: { 'application/json': { schema: retentionSchema } } }, ...errors },
    },
  },
};
