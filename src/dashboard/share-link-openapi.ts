import type { OpenApiPaths } from '../http/openapi-types.ts';

/** OpenAPI paths of share links (share-link-routes.ts); details in docs/api.md#dashboard. */
const siteId = { name: 'siteId', in: 'path', required: true, schema: { type: 'string' } };
const security = [{ bearer: [] }];
const errors = { 401: { description: 'missing, invalid, revoked or expired token' }, 403: { description: 'not an admin token' }, 404: { description: "unknown site or another site's token" } };
const link = '{id, name, created_at, last_used_at, expires_at, revoked_at, status: live|revoked|expired}';

export const shareLinkOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/share-links': {
    post: {
      summary: 'Create a read-only share link to the dashboard (admin); the answer is the only time its token exists in clear',
      security,
      parameters: [siteId],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                name: { type: 'string', maxLength: 200 },
                expires: { type: 'string', pattern: '^[0-9]+[dhm]$', description: 'e.g. 30d; default: never' },
                fragment: { type: 'string', maxLength: 2000, description: 'the view to open, e.g. view=revenue&period=7d' },
              },
            },
          },
        },
      },
      responses: {
        201: { description: `${link.slice(0, -1)}, token, url}: url = <origin>/dashboard#share=<token>[&fragment]` },
        400: { description: 'bad field (named in `error`)' },
        ...errors,
      },
    },
    get: { summary: "The site's share links, newest first, never their tokens (admin)", security, parameters: [siteId], responses: { 200: { description: `{share_links: [${link}]}` }, ...errors } },
  },
  '/api/v1/sites/{siteId}/share-links/{id}': {
    delete: {
      summary: 'Revoke a share link (admin): its page asks to sign in from its next request',
      security,
      parameters: [siteId, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: { description: `the link, status revoked: ${link}` }, 400: { description: 'id is not a number' }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/token': {
    get: {
      summary: "The bearer token's own scope and kind (any scope of this site): what the dashboard may offer",
      security,
      parameters: [siteId],
      responses: { 200: { description: '{id, scope: read|write|admin, kind: api|share_link, expires_at}' }, 401: errors[401], 404: errors[404] },
    },
  },
};
