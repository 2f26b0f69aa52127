import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, int, q, reportParameters, security } from '../common/openapi.ts';

const range = reportParameters.filter((p) => ['siteId', 'from', 'to', 'tz'].includes(p.name));
const nullableNumber = { type: ['number', 'null'] };
const summary = {
  type: 'object',
  properties: {
    p75: { ...nullableNumber, description: 'percentile_cont(0.75), unrounded; null without samples' },
    samples: { ...int, description: 'beacons carrying this metric' },
    good: { type: 'number', description: 'share ≤ the good threshold (fraction in [0, 1])' },
    needs_improvement: { type: 'number' },
    poor: { type: 'number', description: 'share > the poor threshold' },
  },
};
const metric = (thresholds: string) => ({ ...summary, description: `good ≤ / poor >: ${thresholds}` });

const vitalsSchema = {
  type: 'object',
  properties: {
    metrics: {
      type: 'object',
      properties: {
        lcp: metric('2500 / 4000 ms'), inp: metric('200 / 500 ms'), cls: metric('0.1 / 0.25'), fcp: metric('1800 / 3000 ms'), ttfb: metric('800 / 1800 ms'),
      },
    },
    pages: {
      type: 'array',
      description: 'at most 50 pages, those with the most samples, ordered by lcp_p75 descending',
      items: { type: 'object', properties: { path: { type: 'string' }, samples: { ...int, description: 'beacons' }, lcp_p75: nullableNumber, inp_p75: nullableNumber, cls_p75: nullableNumber } },
    },
  },
};

export const vitalsOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/vitals': {
    get: {
      summary: "Web vitals: p75 and shares by Google's thresholds for LCP, INP, CLS, FCP, TTFB, overall and for the slowest pages (contract §4.5)",
      security,
      parameters: [
        ...range,
        q('path', { type: 'string' }, 'only beacons of this stored path (exact)'),
        q('device', { type: 'string', enum: ['desktop', 'tablet', 'mobile'] }, 'only this device type'),
      ],
      responses: { 200: { description: 'vitals report', content: { 'application/json': { schema: vitalsSchema } } }, ...errors },
    },
  },
};
