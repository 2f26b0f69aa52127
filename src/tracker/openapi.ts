import type { OpenApiPaths } from '../http/openapi-types.ts';

/** OpenAPI path of the tracker script (merged into /openapi.json); details in docs/api.md#tracker. */
export const trackerOpenApi: OpenApiPaths = {
  '/t.js': {
    get: {
      summary: 'The browser tracker (minified IIFE, ≤ 3,200 bytes gzipped)',
      description:
        'Built in memory at server start. Cache-Control: public, max-age=3600, stale-while-revalidate=86400; strong ETag ' +
        '(the gzip representation has its own); gzip when Accept-Encoding allows. Set-up: ' +
        '<script defer src="https://HOST/t.js" data-site="PUBLIC_KEY"></script>.',
      parameters: [{ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
      responses: {
        200: { description: 'the script', content: { 'application/javascript': { schema: { type: 'string' } } } },
        304: { description: 'not modified' },
        503: { description: 'the bundle could not be built (Retry-After)' },
      },
    },
  },
};
