import type { OpenApiPaths } from '../http/openapi-types.ts';

const common = {
  site: { type: 'string', description: "the site's public key (here or at the batch level)" },
  type: { enum: ['pageview', 'event', 'heatmap', 'error', 'vitals'] },
  id: { type: 'string', format: 'uuid', description: 'idempotency key: (site, id) is stored once' },
  ts: { type: 'integer', description: 'epoch ms; default receive time; must be within [now − 72 h, now + 5 min]' },
  url: { type: 'string', maxLength: 4096, description: 'absolute http(s) URL; required for pageview, heatmap, error' },
  ref: { type: 'string', description: 'referrer' },
  title: { type: 'string', description: 'cut to 500 characters' },
  vid: { type: 'string', maxLength: 64 },
  sid: { type: 'string', maxLength: 64 },
  uid: { type: 'string', maxLength: 128 },
  sw: { type: 'integer' },
  vw: { type: 'integer' },
  vh: { type: 'integer' },
  name: { type: 'string', maxLength: 100, description: 'event: required' },
  props: { type: 'object', description: 'event: flattened to ≤ 50 dotted keys; strings cut to 500' },
  revenue: { type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } } },
  points: {
    type: 'array',
    minItems: 1,
    maxItems: 200,
    items: { type: 'object', required: ['x', 'y', 'kind'], properties: { x: { type: 'number' }, y: { type: 'number' }, kind: { enum: ['click', 'rage', 'dead'] }, sel: { type: 'string' } } },
  },
  dh: { type: 'integer' },
  scroll: { type: 'number', minimum: 0, maximum: 100 },
  message: { type: 'string' },
  kind: { type: 'string' },
  stack: { type: 'string' },
  file: { type: 'string' },
  line: { type: 'integer' },
  col: { type: 'integer' },
  handled: { type: 'boolean' },
  lcp: { type: 'number' },
  inp: { type: 'number' },
  cls: { type: 'number' },
  fcp: { type: 'number' },
  ttfb: { type: 'number' },
};
const event = { type: 'object', required: ['type'], properties: common };
const rejected = { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, error: { type: 'string' } } } };
const error = { type: 'object', properties: { error: { type: 'string' }, rejected } };
const json = (schema: unknown) => ({ 'application/json': { schema } });

/** OpenAPI paths of the ingest endpoints (merged into /openapi.json). */
export const ingestOpenApi: OpenApiPaths = {
  '/collect': {
    post: {
      summary: 'Collect beacons (public; identified by the site public key)',
      description:
        'Body: one event, an array, or {"site", "events"}; JSON sent as application/json or text/plain. ≤ 500 events, ≤ 512 KiB. ' +
        '202 only once every accepted event is durable (committed, or fsynced to the local spool while PostgreSQL is unreachable).',
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { oneOf: [event, { type: 'array', items: event, maxItems: 500 }, { type: 'object', required: ['events'], properties: { site: { type: 'string' }, events: { type: 'array', items: event, maxItems: 500 } } }] } },
          'text/plain': { schema: { type: 'string', description: 'the same JSON, sent without a CORS preflight' } },
        },
      },
      responses: {
        202: { description: 'at least one event accepted', content: json({ type: 'object', properties: { accepted: { type: 'integer' }, rejected } }) },
        400: { description: 'malformed JSON, or no event valid', content: json(error) },
        403: { description: 'Origin not allowed for the site', content: json(error) },
        413: { description: 'over 512 KiB or 500 events', content: json(error) },
        429: { description: 'rate limit per client IP (Retry-After)' },
        503: { description: 'overloaded, shutting down, or cannot make events durable (Retry-After); nothing stored' },
      },
    },
    options: { summary: 'CORS preflight', responses: { 204: { description: 'Access-Control-Allow-* headers' } } },
  },
  '/collect.gif': {
    get: {
      summary: 'Collect one event from query parameters (clients without JavaScript); always a 1×1 GIF',
      parameters: Object.keys(common).map((name) => ({ name, in: 'query', required: name === 'site', schema: { type: 'string' } })),
      responses: { 200: { description: '1×1 transparent GIF (errors only in logs and metrics)', content: { 'image/gif': {} } } },
    },
  },
};
