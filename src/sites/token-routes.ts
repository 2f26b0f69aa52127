import { Hono } from 'hono';
import { z } from 'zod';
import { requireSiteScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, describeZodError, jsonError } from '../http/errors.ts';
import { expiryFrom, listTokens, revokeToken } from './token-admin.ts';
import { createTokenWithId, SCOPES } from './tokens.ts';

const createBody = z
  .object({
    scope: z.enum(SCOPES as [string, ...string[]]),
    name: z.string().max(200).optional(),
    expires: z.string().refine((s) => expiryFrom(s) !== undefined, 'must be a duration such as 90d, 12h or 30m').optional(),
  })
  .strict();

/**
 * Token management for a site's admins: list (never the secrets), create, revoke. A revoked or
 * expired token gets 401 on its next request, on every instance (tokens are not cached).
 */
export function tokenRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  const admin = requireSiteScope(deps.pool, 'admin');
  app.get('/api/v1/sites/:siteId/tokens', admin, async (c) => c.json({ tokens: await listTokens(deps.pool, c.req.param('siteId')) }));
  app.post('/api/v1/sites/:siteId/tokens', admin, async (c) => {
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      throw badRequest('body must be a JSON object');
    }
    const parsed = createBody.safeParse(raw);
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    const { scope, name, expires } = parsed.data;
    const expiresAt = expires ? expiryFrom(expires)! : null;
    const created = await createTokenWithId(deps.pool, c.req.param('siteId'), scope as (typeof SCOPES)[number], name ?? null, expiresAt);
    return c.json({ ...created, scope, expiresAt: expiresAt?.toISOString() ?? null }, 201);
  });
  app.delete('/api/v1/sites/:siteId/tokens/:id', admin, async (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,18}$/.test(id)) throw badRequest('id: must be a token id (a number)');
    const revoked = await revokeToken(deps.pool, id, c.req.param('siteId'));
    if (!revoked) throw jsonError(404, `no token ${id} on this site`);
    return c.json(revoked);
  });
  return app as unknown as Hono;
}
