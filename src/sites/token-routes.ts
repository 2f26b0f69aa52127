import { Hono } from 'hono';
import { z } from 'zod';
import { requireSiteScope, siteReadScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { withTransaction } from '../db/pool.ts';
import { badRequest, describeZodError, jsonError } from '../http/errors.ts';
import { parseBody, readJsonBody } from '../http/json-body.ts';
import { listAudit, recordAudit } from './audit.ts';
import { expiryFrom, listTokens, revokeToken } from './token-admin.ts';
import { createTokenWithId, SCOPES } from './tokens.ts';

const createBody = z
  .object({
    scope: z.enum(SCOPES as [string, ...string[]]),
    name: z.string().max(200).optional(),
    expires: z.string().refine((s) => expiryFrom(s) !== undefined, 'must be a duration such as 90d, 12h or 30m').optional(),
  })
  .strict();

const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.string().regex(/^\d{1,18}$/, 'must be an entry id').optional(),
});

/**
 * Token management for a site's admins: list (never the secrets), create, revoke. A revoked or
 * expired token gets 401 on its next request, on every instance (tokens are not cached). Both
 * changes are written to the audit log in their transaction, with the acting token's id.
 */
export function tokenRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  const admin = requireSiteScope(deps.pool, 'admin');
  // Not under RLS: api_tokens has no grant for the reader role at all (sql/150), by design.
  app.get('/api/v1/sites/:siteId/tokens', admin, async (c) => c.json({ tokens: await listTokens(deps.pool, c.req.param('siteId')) }));
  app.post('/api/v1/sites/:siteId/tokens', admin, async (c) => {
    const { scope, name, expires } = parseBody(createBody, await readJsonBody(c));
    const expiresAt = expires ? expiryFrom(expires)! : null;
    const siteId = c.req.param('siteId');
    const created = await withTransaction(deps.pool, async (client) => {
      const t = await createTokenWithId(client, siteId, scope as (typeof SCOPES)[number], name ?? null, expiresAt);
      await recordAudit(client, { siteId, actorTokenId: c.get('tokenId'), action: 'token.create', target: t.id, detail: { scope, name: name ?? null, expiresAt } });
      return t;
    });
    return c.json({ ...created, scope, expiresAt: expiresAt?.toISOString() ?? null }, 201);
  });
  app.delete('/api/v1/sites/:siteId/tokens/:id', admin, async (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,18}$/.test(id)) throw badRequest('id: must be a token id (a number)');
    const siteId = c.req.param('siteId');
    const revoked = await withTransaction(deps.pool, async (client) => {
      const t = await revokeToken(client, id, siteId);
      if (t) await recordAudit(client, { siteId, actorTokenId: c.get('tokenId'), action: 'token.revoke', target: id });
      return t;
    });
    if (!revoked) throw jsonError(404, `no token ${id} on this site`);
    return c.json(revoked);
  });
  // The audit log of admin actions on this site (sql/101), newest first.
  app.get('/api/v1/sites/:siteId/audit', siteReadScope(deps.pool, 'admin'), async (c) => {
    const parsed = auditQuery.safeParse(c.req.query());
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    return c.json({ entries: await listAudit(deps.pool, c.req.param('siteId'), parsed.data) });
  });
  return app as unknown as Hono;
}
