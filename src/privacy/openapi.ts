import type { OpenApiPaths } from '../http/openapi-types.ts';

/** OpenAPI path of erasing a person (routes.ts); details in docs/api.md#erase. */
const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };

export const privacyOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/erase': {
    post: {
      summary: 'Erase a person (admin): raw rows of every table and partition, idempotency keys, sessions and per-visitor state, the customer with orders, items and refunds, and every visitor linked to them; rollups corrected for the affected buckets',
      security: [{ bearer: [] }],
      parameters: [siteId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object', additionalProperties: false, minProperties: 1,
              properties: { visitor_id: { type: 'string', minLength: 1, maxLength: 64 }, customer_id: { type: 'string', minLength: 1, maxLength: 128 } },
            },
          },
        },
      },
      responses: {
        200: { description: '{deleted: {pageviews, events, heatmap_points, errors, vitals, sessions, visitor_sessions, idempotency_keys, visitor_days, …, customers, orders, order_items, refunds, visitors}} — counts of rows deleted, once committed' },
        400: { description: 'bad body (the field is named in `error`)' },
        401: { description: 'missing, invalid, revoked or expired token' },
        403: { description: 'not an admin token' },
        404: { description: "unknown site or another site's token" },
      },
    },
  },
};
