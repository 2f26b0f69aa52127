import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, reportParameters, security } from '../common/openapi.ts';

const topRow = { type: 'object', properties: { key: { type: 'string' }, visitors: { type: 'integer' }, pageviews: { type: 'integer' } } };
const topList = { type: 'array', items: topRow };

/** GET …/reports/overview. */
const overviewSchema = {
  type: 'object',
  properties: {
    range: { type: 'object' },
    totals: {
      type: 'object',
      properties: {
        visitors: { type: 'integer' }, visits: { type: 'integer' }, pageviews: { type: 'integer' },
        bounce_rate: { type: 'number', description: 'fraction 0..1 of visits with one pageview' },
        avg_visit_seconds: { type: 'integer' },
      },
    },
    series: {
      type: 'array',
      items: { type: 'object', properties: { t: { type: 'string', description: 'local date, or local ISO time with offset for hour' }, visitors: { type: 'integer' }, visits: { type: 'integer' }, pageviews: { type: 'integer' } } },
    },
    top: {
      type: 'object',
      properties: Object.fromEntries(
        ['pages', 'referrers', 'channels', 'utm_sources', 'utm_mediums', 'utm_campaigns', 'countries', 'browsers', 'os', 'devices'].map((k) => [k, topList]),
      ),
    },
    previous: { type: 'object', description: 'same shape, for compare=previous' },
  },
};

export const overviewOpenApi: OpenApiPaths = {

  '/api/v1/sites/{siteId}/reports/overview': {
    get: {
      summary: 'Traffic overview: totals, zero-filled series and top lists (from rollups)',
      security, parameters: reportParameters,
      responses: { 200: { description: 'overview', content: { 'application/json': { schema: overviewSchema } } }, ...errors },
    },
  },
};
