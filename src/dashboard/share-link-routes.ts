import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { withTransaction } from '../db/pool.ts';
import { requireSiteScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, jsonError } from '../http/errors.ts';
import { MAX_JSON_BODY_BYTES, parseBody } from '../http/json-body.ts';
import { recordAudit } from '../sites/audit.ts';
import { expiryFrom } from '../sites/token-admin.ts';
import { createShareLink, listShareLinks, revokeShareLink, shareUrl } from './share-links.ts';

const createBody = z
  .object({
    name: z.string().max(200).refine((s) => !s.includes('\u0000'), 'must not contain NUL characters').optional(),
    expires: z.string().refine((s) => expiryFrom(s) !== undefined, 'must be a duration such as 90d, 12h or 30m').optional(),
    fragment: z
      .string()
      .max(2000)
      .refine((s) => !/\s/.test(s) && !s.includes('\u0000'), 'must be a URL fragment such as view=revenue&period=7d (no spaces)')
      .optional(),
  })
  .strict();

/** An empty body is `{}` (all fields are optional); otherwise the body must be a JSON object. */
async function readOptionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_JSON_BODY_BYTES) throw jsonError(413, `body over ${MAX_JSON_BODY_BYTES} bytes`);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('body: must be a JSON object');
  }
}

/** The origin a browser reaches this server at: the request's, or the proxy's (X-Forwarded-*) with TRUST_PROXY. */
function publicOrigin(c: Context, trustProxy: boolean): string {
  const url = new URL(c.req.url);
  if (!trustProxy) return url.origin;
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  const scheme = proto && /^https?$/.test(proto) ? proto : url.protocol.slice(0, -1);
  // The forwarded host as a whole (its port or none): URL's host setter would keep our own port.
  return `${scheme}://${host && /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) ? host : url.host}`;
}

/**
 * `POST/GET /api/v1/sites/{siteId}/share-links` and `DELETE …/share-links/{id}` (admin scope):
 * read-only dashboard links (share-links.ts). Create and revoke are audited (`share_link.create`,
 * `share_link.revoke`) in their transaction, with the acting token's id.
 */
export function shareLinkRoutes(deps: Pick<AppDeps, 'pool' | 'config'>): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  const admin = requireSiteScope(deps.pool, 'admin');

  app.post('/api/v1/sites/:siteId/share-links', admin, async (c) => {
    const { name, expires, fragment } = parseBody(createBody, await readOptionalJson(c));
    const siteId = c.req.param('siteId');
    const expiresAt = expires ? expiryFrom(expires)! : null;
    const link = await withTransaction(deps.pool, async (client) => {
      const created = await createShareLink(client, siteId, name ?? null, expiresAt);
      await recordAudit(client, {
        siteId, actorTokenId: c.get('tokenId'), action: 'share_link.create', target: created.id, detail: { name: name ?? null, expiresAt },
      });
      return created;
    });
    return c.json({ ...link, url: shareUrl(publicOrigin(c, deps.config.TRUST_PROXY), link.token, fragment) }, 201);
  });

  app.get('/api/v1/sites/:siteId/share-links', admin, async (c) => c.json({ share_links: await listShareLinks(deps.pool, c.req.param('siteId')) }));

  app.delete('/api/v1/sites/:siteId/share-links/:id', admin, async (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,18}$/.test(id)) throw badRequest('id: must be a share link id (a number)');
    const siteId = c.req.param('siteId');
    const revoked = await withTransaction(deps.pool, async (client) => {
      const link = await revokeShareLink(client, siteId, id);
      if (link) await recordAudit(client, { siteId, actorTokenId: c.get('tokenId'), action: 'share_link.revoke', target: id });
      return link;
    });
    if (!revoked) throw jsonError(404, `no share link ${id} on this site`);
    return c.json(revoked);
  });
  return app as unknown as Hono;
}
