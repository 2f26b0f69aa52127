import { Hono } from 'hono';
import { requireSiteScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { parseBody, readJsonBody } from '../http/json-body.ts';
import { eraseBodySchema, erasePerson } from './erase.ts';

/**
 * `POST /api/v1/sites/{siteId}/erase` (contract §8; admin scope, another site's token → 404):
 * `{"visitor_id"?, "customer_id"?}` → 200 `{"deleted": {table: n, …}}` once committed.
 */
export function privacyRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.post('/api/v1/sites/:siteId/erase', requireSiteScope(deps.pool, 'admin'), async (c) => {
    const body = parseBody(eraseBodySchema, await readJsonBody(c));
    const result = await erasePerson(deps.pool, {
      siteId: c.req.param('siteId'), visitorId: body.visitor_id, customerId: body.customer_id, actorTokenId: c.get('tokenId'),
    });
    return c.json(result);
  });
  return app as unknown as Hono;
}
