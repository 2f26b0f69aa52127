import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requireSiteScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, jsonError, unavailable } from '../http/errors.ts';
import { upsertCommerce } from './batch.ts';
import { MAX_BODY_BYTES, MAX_ITEMS_PER_REQUEST } from './limits.ts';
import { COMMERCE_KINDS, type CommerceKind } from './schemas.ts';


/**
 * `POST /api/v1/sites/{siteId}/orders|refunds|customers|products` — one object or an array,
 * all-or-nothing: any invalid item → 400 `{"errors": [{"index", "error"}]}` and nothing stored;
 * else `200 {"upserted": n}`.
 */
export function commerceRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  for (const kind of COMMERCE_KINDS) {
    app.post(
      `/api/v1/sites/:siteId/${kind}`,
      requireSiteScope(deps.pool, 'write'),
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw jsonError(413, `request body over ${MAX_BODY_BYTES} bytes; send at most ${MAX_ITEMS_PER_REQUEST} items per request`);
        },
      }),
      async (c) => {
        let body: unknown;
        try {
          body = JSON.parse(await c.req.text());
        } catch {
          throw badRequest('body must be JSON: one object or an array of objects');
        }
        const items = Array.isArray(body) ? body : [body];
        if (items.length > MAX_ITEMS_PER_REQUEST) {
          throw jsonError(413, `${items.length} items in one request; at most ${MAX_ITEMS_PER_REQUEST} are allowed`);
        }
        const result = await upsert(deps, c.req.param('siteId'), kind, items);
        if (!result.ok) return c.json({ errors: result.errors }, 400);
        return c.json({ upserted: result.upserted }, 200);
      },
    );
  }
  return app as unknown as Hono;
}

async function upsert(deps: AppDeps, siteId: string, kind: CommerceKind, items: unknown[]) {
  try {
    return await upsertCommerce(deps.pool, siteId, kind, items);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Serialisation failure / deadlock: nothing was stored, the client may simply retry.
    if (code === '40001' || code === '40P01') throw unavailable('concurrent update, retry', 1);
    throw error;
  }
}
