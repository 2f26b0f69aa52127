import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, int, q, security, siteId } from '../common/openapi.ts';
import { BREAKDOWNS, DEFAULT_WINDOW_SECONDS, MAX_GLOB_LENGTH, MAX_WINDOW_SECONDS } from './schema.ts';

/** /openapi.json fragment of the funnel endpoints (contract §4.1, issue #15). */
const rate = { type: 'number', minimum: 0, maximum: 1 };
const seconds = { type: ['number', 'null'] };
const label = { type: 'string', maxLength: 200 };

const step = {
  oneOf: [
    { type: 'object', required: ['type', 'path'], properties: { type: { const: 'pageview' }, path: { type: 'string', maxLength: MAX_GLOB_LENGTH, description: 'glob on the stored path (no query): `*` any run without `/`, `**` any run; case-sensitive' }, label } },
    { type: 'object', required: ['type', 'name'], properties: { type: { const: 'event' }, name: { type: 'string' }, props: { type: 'object', description: 'every given prop equal as a JSON value ("2" is not 2)' }, label } },
    { type: 'object', required: ['type'], properties: { type: { const: 'order' }, label }, description: 'a paid order (paid, fulfilled, refunded) linked by visitor_id or by customer_id = a uid the visitor sent' },
  ],
};

const definition = {
  steps: { type: 'array', minItems: 2, maxItems: 10, items: step },
  window_seconds: { type: 'integer', minimum: 1, maximum: MAX_WINDOW_SECONDS, default: DEFAULT_WINDOW_SECONDS, description: "inclusive: every later step within this of the attempt's first step" },
  order: { type: 'string', enum: ['ordered', 'strict', 'unordered'], default: 'ordered' },
  unit: { type: 'string', enum: ['visitor', 'session'], default: 'visitor' },
};

const stepReport = {
  type: 'object',
  properties: {
    index: int, label: { type: 'string' }, count: { ...int, description: 'units of depth > index' },
    conversion_from_start: rate, conversion_from_previous: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    dropoff: int, median_seconds_from_previous: seconds, avg_seconds_from_previous: seconds,
    revenue: { type: 'array', description: 'order steps: the orders that completed the step, by currency', items: { type: 'object', properties: { currency: { type: 'string' }, orders: int, gross: { type: 'integer', description: 'Σ total, minor units' } } } },
  },
};

const report = {
  type: 'object',
  properties: {
    entered: int, completed: int,
    steps: { type: 'array', items: stepReport },
    breakdown: { type: 'array', description: 'top 25 keys by entered, the rest as `(other)`; `(none)` for a missing value or an order first step', items: { type: 'object', properties: { key: { type: 'string' }, steps: { type: 'array', items: stepReport } } } },
    people: { type: 'array', items: { type: 'object', properties: { visitor_id: { type: 'string' }, session_id: { type: 'string' }, customer_id: { type: ['string', 'null'] }, entered_at: { type: 'string', format: 'date-time' } } } },
  },
};

const saved = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, ...definition, created_at: { type: 'string', format: 'date-time' } } };
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const range = [
  q('from', { type: 'string', format: 'date' }, 'first local date (inclusive); default: 30 days ending at `to`'),
  q('to', { type: 'string', format: 'date' }, 'last local date (inclusive); default: today; at most 400 days'),
  q('tz', { type: 'string' }, "IANA zone; default: the site's"),
];
const funnelId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export const funnelOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/funnel': {
    post: {
      summary: 'Ad-hoc funnel: counts, conversion, drop-off and time between steps, optional breakdown and people',
      security,
      parameters: [siteId],
      requestBody: {
        required: true,
        ...json({
          type: 'object', required: ['steps'],
          properties: {
            ...definition,
            from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' }, tz: { type: 'string' },
            breakdown: { type: 'string', enum: [...BREAKDOWNS] },
            people: { type: 'object', required: ['step', 'outcome'], properties: { step: int, outcome: { type: 'string', enum: ['dropped', 'converted'] }, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } } },
          },
        }),
      },
      responses: { 200: { description: 'funnel report', ...json(report) }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/funnels': {
    post: {
      summary: 'Save a funnel (write scope)', security, parameters: [siteId],
      requestBody: { required: true, ...json({ type: 'object', required: ['name', 'steps'], properties: { name: { type: 'string' }, ...definition } }) },
      responses: { 201: { description: 'the saved funnel', ...json(saved) }, ...errors },
    },
    get: { summary: 'Saved funnels', security, parameters: [siteId], responses: { 200: { description: 'list', ...json({ type: 'object', properties: { funnels: { type: 'array', items: saved } } }) }, ...errors } },
  },
  '/api/v1/sites/{siteId}/funnels/{id}': {
    delete: { summary: 'Delete a saved funnel (write scope)', security, parameters: [siteId, funnelId], responses: { 204: { description: 'deleted' }, ...errors } },
  },
  '/api/v1/sites/{siteId}/funnels/{id}/report': {
    get: {
      summary: "A saved funnel's report (same shape and numbers as the ad-hoc report)", security,
      description: 'Read from the funnel-state job\'s precomputed attempts (as fresh as its last run; equal to the ad-hoc report once it has caught up), or from raw rows until the job has built the funnel.',
      parameters: [siteId, funnelId, ...range, q('breakdown', { type: 'string', enum: [...BREAKDOWNS] }, "the value on the attempt's first step")],
      responses: { 200: { description: 'funnel report', headers: { 'x-tally-funnel-source': { description: '`cache` (a preset range\'s report kept by the funnel-report-cache job for the current state), `state` (precomputed) or `raw` (not built yet)', schema: { type: 'string', enum: ['cache', 'state', 'raw'] } } }, ...json(report) }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/funnels/{id}/people.csv': {
    get: {
      summary: 'Every unit that dropped at or converted to a step (streamed CSV: visitor_id, session_id, customer_id, entered_at)', security,
      parameters: [siteId, funnelId, { name: 'step', in: 'query', required: true, schema: int, description: '0-based step index' }, q('outcome', { type: 'string', enum: ['dropped', 'converted'], default: 'dropped' }, 'dropped: reached step−1 but not step; converted: reached step'), ...range],
      responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors },
    },
  },
};
