import type { MiddlewareHandler } from 'hono';
import type pg from 'pg';
import { runWithSite } from '../db/rls.ts';
import { findToken, grants, type Scope } from '../sites/tokens.ts';
import { jsonError } from './errors.ts';

export interface AuthVariables {
  /** The site the bearer token belongs to. */
  tokenSiteId: string;
  tokenScope: Scope;
  /** The token's id (api_tokens.id): the actor in the audit log. */
  tokenId: string;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Bearer-token check for site-scoped routes (`/api/v1/sites/:siteId/...`). Missing or unknown
 * token → 401; a token of another site → 404 (the site's existence is not revealed to it);
 * a token of this site without the scope → 403.
 */
export function requireSiteScope(db: pg.Pool, scope: Scope): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw jsonError(401, 'missing bearer token', {}, { 'www-authenticate': 'Bearer' });
    const found = await findToken(db, token);
    if (!found) throw jsonError(401, 'invalid or revoked token', {}, { 'www-authenticate': 'Bearer' });
    const siteId = c.req.param('siteId');
    if (siteId !== undefined && siteId !== found.siteId) throw jsonError(404, 'site not found');
    if (!grants(found.scope, scope)) throw jsonError(403, `this token has ${found.scope} scope; ${scope} is needed`);
    c.set('tokenSiteId', found.siteId);
    c.set('tokenScope', found.scope);
    c.set('tokenId', found.id);
    await next();
  };
}

/**
 * requireSiteScope, then the handler inside `runWithSite`: for `/api/v1/sites/:siteId/...` read
 * endpoints given the site-scoped pool (src/http/app.ts), so their reads run under row-level
 * security with the token's site set (src/db/rls.ts). Token lookup and its last-used write stay
 * outside the scope (the reader may not read token hashes).
 */
export function siteReadScope(db: pg.Pool, scope: Scope = 'read'): MiddlewareHandler<{ Variables: AuthVariables }> {
  const auth = requireSiteScope(db, scope);
  return (c, next) => auth(c, () => runWithSite(c.get('tokenSiteId'), next));
}

/** Any valid token, whatever its site and scope (e.g. /api/v1/stats/*). */
export function requireAnyToken(db: pg.Pool): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw jsonError(401, 'missing bearer token', {}, { 'www-authenticate': 'Bearer' });
    const found = await findToken(db, token);
    if (!found) throw jsonError(401, 'invalid or revoked token', {}, { 'www-authenticate': 'Bearer' });
    c.set('tokenSiteId', found.siteId);
    c.set('tokenScope', found.scope);
    c.set('tokenId', found.id);
    await next();
  };
}
