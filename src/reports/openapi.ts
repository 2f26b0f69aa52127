import type { OpenApiPaths } from '../http/openapi.ts';

/**
 * OpenAPI paths of the reports endpoints (merged into /openapi.json). Commerce reports (helper
 * C2) add theirs by spreading into `reportsOpenApi` below, reusing `reportParameters`.
 */
const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };
export const q = (name: string, schema: Record<string, unknown>, description: string) => ({ name, in: 'query', required: false, schema, description });

/** from, to, tz, interval, compare, limit — shared by every dashboard report. */
export const reportParameters = [
  siteId,
  q('from', { type: 'string', format: 'date' }, 'first local date (inclusive); default: 30 days ending at `to`'),
  q('to', { type: 'string', format: 'date' }, 'last local date (inclusive); default: today in tz'),
  q('tz', { type: 'string' }, "IANA zone; default: the site's"),
  q('interval', { type: 'string', enum: ['hour', 'day', 'week', 'month'] }, 'default: hour ≤ 2 days, day ≤ 92, week ≤ 731, else month; hour allows ≤ 31 days'),
  q('compare', { type: 'string', enum: ['previous'] }, 'adds `previous`: the same report for the equally long period just before'),
  q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 10 }, 'rows per top list'),
];

/** Error answers every site-scoped report shares. */
export const errors = {
  400: { description: 'bad parameter (named in `error`)' },
  401: { description: 'missing or invalid token' },
  403: { description: 'token lacks read scope' },
  404: { description: "unknown site or another site's token" },
  503: { description: 'database unavailable (Retry-After)' },
};
export const security = [{ bearer: [] }];
const topRow = { type: 'object', properties: { key: { type: 'string' }, visitors: { type: 'integer' }, pageviews: { type: 'integer' } } };
const topList = { type: 'array', items: topRow };

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

export const reportsOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/overview': {
    get: {
      summary: 'Traffic overview: totals, zero-filled series and top lists (from rollups)',
      security, parameters: reportParameters,
      responses: { 200: { description: 'overview', content: { 'application/json': { schema: overviewSchema } } }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/reports/realtime': {
    get: {
      summary: 'Active visitors in the last 5 minutes and current top pages (newest raw rows)',
      security, parameters: [siteId, q('limit', { type: 'integer', default: 10 }, 'rows per top list')],
      responses: { 200: { description: '{active_visitors, pageviews, window_seconds, top_pages, top_referrers, series}' }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/export/{table}.csv': {
    get: {
      summary: "Streams one table's rows of this site as CSV (constant memory)",
      security,
      parameters: [
        siteId,
        { name: 'table', in: 'path', required: true, schema: { type: 'string', enum: ['pageviews', 'events', 'heatmap_points', 'errors', 'vitals', 'sessions', 'customers', 'products', 'orders', 'order_items', 'refunds'] } },
        q('from', { type: 'string', format: 'date' }, 'optional; first local date by the time column'),
        q('to', { type: 'string', format: 'date' }, 'optional; last local date'),
        q('tz', { type: 'string' }, "default: the site's"),
      ],
      responses: { 200: { description: 'text/csv, RFC 4180, header row first', content: { 'text/csv': {} } }, ...errors },
    },
  },
  '/api/v1/admin/jobs': {
    get: {
      summary: 'Scheduled jobs and their recent runs (admin token of any site)',
      security,
      parameters: [q('job', { type: 'string' }, 'only this job'), q('limit', { type: 'integer', default: 100 }, 'runs')],
      responses: { 200: { description: '{jobs: [...state], runs: [{id, job, instance, startedAt, finishedAt, rows, error, detail}]}' }, 401: errors[401], 403: { description: 'not an admin token' } },
    },
  },
};
