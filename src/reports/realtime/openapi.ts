import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, q, security, siteId } from '../common/openapi.ts';

export const realtimeOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/realtime': {
    get: {
      summary: 'Active visitors in the last 5 minutes and current top pages (newest raw rows)',
      security, parameters: [siteId, q('limit', { type: 'integer', default: 10 }, 'rows per top list')],
      responses: { 200: { description: '{active_visitors, pageviews, window_seconds, top_pages, top_referrers, series}' }, ...errors },
    },
  },
};
