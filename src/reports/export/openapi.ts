import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, q, security, siteId } from '../common/openapi.ts';

export const exportOpenApi: OpenApiPaths = {
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
};
