import { z } from 'zod';
import type { OpenApiPaths } from '../http/openapi-types.ts';
import { MAX_ITEMS_PER_REQUEST } from './limits.ts';
import { COMMERCE_KINDS, schemas, type CommerceKind } from './schemas.ts';

/**
 * OpenAPI paths of the commerce endpoints (merged into /openapi.json). Request schemas are
 * generated from the zod schemas that validate them, so the document cannot drift from the code.
 */
const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };

const SUMMARIES: Record<CommerceKind, string> = {
  orders: 'Upsert orders with their items (re-sending an id replaces the order and its items)',
  refunds: "Upsert refunds (≤ the order's unrefunded total; same currency as the order)",
  customers: 'Upsert customers',
  products: 'Upsert products',
};

function pathFor(kind: CommerceKind): Record<string, unknown> {
  const item = z.toJSONSchema(schemas[kind], { io: 'input', unrepresentable: 'any' });
  delete (item as { $schema?: string }).$schema;
  return {
    post: {
      summary: SUMMARIES[kind],
      description: `All or nothing: any invalid item → 400 with every bad item's index and reason, nothing stored. One object or an array of at most ${MAX_ITEMS_PER_REQUEST}. See docs/api.md#commerce.`,
      security: [{ bearer: [] }],
      parameters: [siteId],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { oneOf: [item, { type: 'array', maxItems: MAX_ITEMS_PER_REQUEST, items: item }] } } },
      },
      responses: {
        200: { description: 'stored', content: { 'application/json': { schema: { type: 'object', properties: { upserted: { type: 'integer' } } } } } },
        400: {
          description: 'malformed JSON (`{error}`) or invalid items (`{errors: [{index, error}]}`); nothing stored',
          content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, error: { type: 'string' } } } } } } } },
        },
        401: { description: 'missing or invalid token' },
        403: { description: 'token lacks write scope' },
        404: { description: "unknown site or another site's token" },
        413: { description: `more than ${MAX_ITEMS_PER_REQUEST} items or a body over 5 MiB` },
        503: { description: 'database unavailable or concurrent-update conflict; retry (Retry-After)' },
      },
    },
  };
}

export const commerceOpenApi: OpenApiPaths = Object.fromEntries(COMMERCE_KINDS.map((kind) => [`/api/v1/sites/{siteId}/${kind}`, pathFor(kind)]));
