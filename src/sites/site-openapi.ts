import type { OpenApiPaths } from '../http/openapi-types.ts';

/** OpenAPI paths of the site settings (site-routes.ts); details in docs/api.md#site-settings. */
const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };
const security = [{ bearer: [] }];
const errors = { 401: { description: 'missing, invalid, revoked or expired token' }, 403: { description: 'not an admin token' }, 404: { description: "unknown site or another site's token" } };

const settable = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  domain: { type: 'string', description: 'a host name such as shop.example (stored lower-case)' },
  timezone: { type: 'string', description: 'IANA zone, e.g. Europe/Paris: the default zone of reports' },
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217: the default currency of reports' },
  allowed_origins: { type: 'array', maxItems: 50, items: { type: 'string', description: 'http(s)://host[:port], no path, query or fragment' }, description: 'origins /collect accepts beacons from; empty = any' },
  retention_months: { type: 'integer', minimum: 1, maximum: 1200, description: 'raw rows older than this are dropped by the retention job' },
  visitor_id_mode: { type: 'string', enum: ['auto', 'cookieless'], description: "cookieless: client vids are ignored, ids always derived on the server" },
  search_params: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1 }, description: 'URL query parameters that make a pageview a site search (contract §4.6)' },
};
const site = {
  type: 'object',
  properties: { id: { type: 'string' }, public_key: { type: 'string' }, ...settable, created_at: { type: 'string', format: 'date-time' } },
};

export const siteOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}': {
    get: { summary: 'The site and its settings, never a token (admin)', security, parameters: [siteId], responses: { 200: { description: 'the site', content: { 'application/json': { schema: site } } }, ...errors } },
    patch: {
      summary: 'Change site settings (admin): all or nothing, recorded in the audit log as site.update',
      description: 'Any of the fields; unknown fields and bad values → 400 naming them, nothing changed. Ingestion applies the change at once on the instance that served it and within 5 s on every other instance.',
      security,
      parameters: [siteId],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, minProperties: 1, properties: settable } } } },
      responses: { 200: { description: 'the site after the change', content: { 'application/json': { schema: site } } }, 400: { description: 'bad or unknown field (named in `error`)' }, ...errors },
    },
  },
};
