/**
 * OpenAPI fragment of experiment definitions and assignment (contract §7), merged into
 * /openapi.json by src/http/openapi.ts. The experiment report is src/reports/experiment's.
 */
import type { OpenApiPaths } from '../http/openapi-types.ts';

const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };
const keyParam = { name: 'key', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,100}$' } };
const security = [{ bearer: [] }];
const key = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,100}$' };
const status = { type: 'string', enum: ['draft', 'running', 'stopped'] };

const variant = { type: 'object', required: ['key', 'weight'], properties: { key, weight: { type: 'number', minimum: 0, maximum: 1 } } };
const metric = {
  oneOf: [
    {
      type: 'object', required: ['key', 'type', 'name'],
      properties: {
        key, type: { const: 'event' }, name: { type: 'string', maxLength: 100 },
        props: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, description: 'every given prop equal' },
        statistic: { type: 'string', enum: ['conversion', 'count'], default: 'conversion' },
      },
    },
    {
      type: 'object', required: ['key', 'type'],
      properties: { key, type: { const: 'order' }, statistic: { type: 'string', enum: ['conversion', 'revenue', 'orders'], default: 'conversion' } },
    },
  ],
};
const input = {
  type: 'object',
  required: ['key', 'variants', 'metrics'],
  properties: {
    key,
    name: { type: ['string', 'null'], maxLength: 200 },
    seed: { type: ['string', 'null'], description: 'hash seed; default the key' },
    variants: { type: 'array', items: variant, minItems: 2, maxItems: 10, description: 'weights ≥ 0 summing to 1 within 1e-6; unique keys' },
    coverage: { type: 'number', minimum: 0, maximum: 1, description: 'default 1 on create; kept on update when omitted' },
    metrics: { type: 'array', items: metric, minItems: 1, description: 'the first is the primary' },
    status: { ...status, description: 'default draft on create; kept on update when omitted' },
  },
};
const time = { type: ['string', 'null'], format: 'date-time' };
const experiment = {
  type: 'object',
  properties: {
    ...input.properties,
    coverage: { type: 'number' }, status,
    created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
    started_at: { ...time, description: 'the first time the status became running' },
    stopped_at: { ...time, description: 'the first time the status became stopped' },
  },
};
const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  400: { description: 'bad field (named in `error`)' },
  401: { description: 'missing or invalid token' },
  403: { description: 'token lacks the scope' },
  404: { description: "unknown experiment, or another site's token" },
};

export const experimentsOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/experiments': {
    post: {
      summary: 'Create (201) or update (200) an experiment by key (write scope)',
      security, parameters: [siteId],
      requestBody: { required: true, content: { 'application/json': { schema: input } } },
      responses: { 200: json(experiment, 'updated'), 201: json(experiment, 'created'), ...errors, 409: { description: 'variant keys or weights changed on an experiment with exposures' } },
    },
    get: {
      summary: "The site's experiments, newest first (read scope)",
      security, parameters: [siteId],
      responses: { 200: json({ type: 'object', properties: { experiments: { type: 'array', items: experiment } } }, 'experiments'), ...errors },
    },
  },
  '/api/v1/sites/{siteId}/experiments/{key}': {
    get: { summary: 'One experiment (read scope)', security, parameters: [siteId, keyParam], responses: { 200: json(experiment, 'the experiment'), ...errors } },
    patch: {
      summary: 'Change the status (write scope); started_at / stopped_at are set on the first transition',
      security, parameters: [siteId, keyParam],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status } } } } },
      responses: { 200: json(experiment, 'the experiment'), ...errors },
    },
  },
  '/api/v1/sites/{siteId}/experiments/{key}/assign': {
    get: {
      summary: "A visitor's variant, for server-side rendering (read scope): null unless running",
      security,
      parameters: [siteId, keyParam, { name: 'visitor_id', in: 'query', required: true, schema: { type: 'string', maxLength: 64 } }],
      responses: { 200: json({ type: 'object', properties: { variant: { type: ['string', 'null'] } } }, 'the variant'), ...errors },
    },
  },
  '/collect/assign': {
    get: {
      summary: "Variants of a visitor for the tracker (public, CORS, Cache-Control: private, max-age=5); null unless running",
      parameters: [
        { name: 'site', in: 'query', required: true, schema: { type: 'string' }, description: 'the site public key' },
        { name: 'experiments', in: 'query', required: true, schema: { type: 'string' }, description: 'comma-separated keys (≤ 50)' },
        { name: 'vid', in: 'query', required: false, schema: { type: 'string', maxLength: 64 }, description: "visitor id; absent or empty (or a cookieless site): the server's cookieless id for this request" },
      ],
      responses: {
        200: json({ type: 'object', additionalProperties: { type: ['string', 'null'] } }, '{"K1": "treatment", "K2": null}'),
        400: { description: 'missing `experiments`, missing or unknown `site`, bad `vid` (named in `error`)' },
        403: { description: "Origin not in the site's allowed origins" },
        503: { description: 'database unavailable (Retry-After)' },
      },
    },
  },
};
