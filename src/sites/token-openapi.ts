import type { OpenApiPaths } from '../http/openapi-types.ts';

/** OpenAPI paths of token management and the audit log (token-routes.ts); details in docs/api.md#tokens. */
const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };
const security = [{ bearer: [] }];
const errors = { 401: { description: 'missing, invalid, revoked or expired token' }, 403: { description: 'not an admin token' }, 404: { description: "unknown site or another site's token" } };

export const tokenOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/tokens': {
    get: { summary: "The site's tokens, never their secrets (admin)", security, parameters: [siteId], responses: { 200: { description: '{tokens: [{id, siteId, scope, name, createdAt, lastUsedAt, expiresAt, revokedAt, status}]}' }, ...errors } },
    post: {
      summary: 'Create a token (admin); the answer is the only time it exists in clear',
      security, parameters: [siteId],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['scope'], properties: { scope: { type: 'string', enum: ['read', 'write', 'admin'] }, name: { type: 'string' }, expires: { type: 'string', pattern: '^[0-9]+[dhm]$', description: 'e.g. 90d' } } } } } },
      responses: { 201: { description: '{id, token, scope, expiresAt}' }, 400: { description: 'bad field (named in `error`)' }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/audit': {
    get: {
      summary: 'Audit log of admin actions on this site, newest first (admin)',
      security,
      parameters: [siteId, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }, { name: 'before', in: 'query', required: false, schema: { type: 'string' }, description: 'an entry id: older entries only' }],
      responses: { 200: { description: '{entries: [{id, at, actorTokenId, action, target, detail}]}' }, 400: { description: 'bad parameter' }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/tokens/{id}': {
    delete: { summary: 'Revoke a token (admin): refused on every instance from its next request', security, parameters: [siteId, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'the token, status revoked' }, ...errors } },
  },
};
