import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, int, q, reportParameters, security, siteId } from '../common/openapi.ts';

/** /openapi.json fragment for the error issues (contract §4.4). */
const nullableString = { type: ['string', 'null'] };
const group = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the group id (PATCH …/errors/{id})' },
    fingerprint: { type: 'string', description: '16 hex: kind, message with placeholders, first frame file and function' },
    kind: nullableString,
    message: { type: 'string', description: "the latest occurrence's message" },
    file: { ...nullableString, description: "the latest occurrence's first stack frame file (query and fragment dropped), else the beacon's" },
    line: { type: ['integer', 'null'] },
    status: { type: 'string', enum: ['open', 'resolved', 'ignored'] },
    regressed: { type: 'boolean', description: 'reopened by an occurrence later (by ts) than its resolution' },
    count: { ...int, description: 'occurrences in the range' },
    visitors: { ...int, description: 'distinct visitors with an occurrence in the range' },
    sessions: { ...int, description: 'distinct sessions with an occurrence in the range' },
    first_seen: { type: 'string', description: 'first occurrence ever, local time in tz with offset' },
    last_seen: { type: 'string', description: 'latest occurrence ever, local time in tz with offset' },
    stack: nullableString,
    browsers: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, count: int } }, description: 'occurrences in the range per browser, most first' },
  },
};

export const errorsOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/errors': {
    get: {
      summary: 'JavaScript error issues with an occurrence in the range, most frequent first',
      security,
      parameters: [
        ...reportParameters.filter((p) => p.name !== 'interval' && p.name !== 'compare' && p.name !== 'limit'),
        q('status', { type: 'string', enum: ['open', 'resolved', 'ignored'], default: 'open' }, 'which groups'),
        q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'groups listed'),
      ],
      responses: { 200: { description: 'error groups', content: { 'application/json': { schema: { type: 'object', properties: { errors: { type: 'array', items: group } } } } } }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/errors/{id}': {
    patch: {
      summary: 'Set a group\'s status (write scope); answers the group with counts over the last 30 days',
      security,
      parameters: [siteId, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['open', 'resolved', 'ignored'] } } } } } },
      responses: { 200: { description: 'the group', content: { 'application/json': { schema: group } } }, ...errors, 403: { description: 'token lacks write scope' }, 404: { description: "unknown group, unknown site or another site's token" } },
    },
  },
};
