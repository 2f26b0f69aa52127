import { Hono } from 'hono';
import type pg from 'pg';
import { requireAnyToken, type AuthVariables } from '../http/auth.ts';
import { jsonError } from '../http/errors.ts';

/**
 * `GET /api/v1/sites/{siteId}/token` — the bearer token's own scope and kind (any scope of that
 * site; another site's token → 404). The dashboard asks it at sign-in so a view can tell a
 * read-only sign-in (or a share link) before offering a change it would refuse: the errors view's
 * resolve / ignore / reopen buttons show disabled with the reason instead of failing with a 403.
 */
export interface TokenInfo {
  id: string;
  scope: 'read' | 'write' | 'admin';
  kind: 'api' | 'share_link';
  expires_at: string | null;
}

export function tokenInfoRoutes(pool: pg.Pool): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/api/v1/sites/:siteId/token', requireAnyToken(pool), async (c) => {
    const siteId = c.req.param('siteId');
    if (c.get('tokenSiteId') !== siteId) throw jsonError(404, 'site not found');
    const { rows } = await pool.query<TokenInfo>({
      text: `SELECT id::text AS id, scope, kind, to_json(expires_at) #>> '{}' AS expires_at
             FROM api_tokens WHERE site_id = $1::bigint AND id = $2::bigint`,
      values: [siteId, c.get('tokenId')],
    });
    if (!rows[0]) throw jsonError(401, 'invalid or revoked token', {}, { 'www-authenticate': 'Bearer' });
    return c.json(rows[0]);
  });
  return app as unknown as Hono;
}
