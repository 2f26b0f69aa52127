import { Hono } from 'hono';
import { z } from 'zod';
import { requireSiteScope, type AuthVariables } from '../../http/auth.ts';
import type { AppDeps } from '../../http/deps.ts';
import { badRequest, describeZodError, jsonError } from '../../http/errors.ts';
import { withAudit } from '../../sites/audit.ts';
import { getSite } from '../../sites/sites.ts';
import { loadReportRequest, reportParamsSchema, resolveRange, siteReadScope } from '../common/params.ts';
import { ERROR_STATUSES, errorList, setErrorGroupStatus } from './report.ts';

/**
 * GET …/errors (read scope) and PATCH …/errors/:id (write scope), contract §4.4. Another site's
 * token gets 404 (requireSiteScope); a bad parameter or body → 400 naming it.
 */
export const errorListParamsSchema = reportParamsSchema.extend({
  status: z.enum(ERROR_STATUSES).default('open'),
  // Issues are a work list, not a top-N chart: default to a long page.
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const patchBodySchema = z.object({ status: z.enum(ERROR_STATUSES) }).strict();
/** Group ids are bigint identities; anything else can't name one (→ 404, not a 500 from a cast). */
const GROUP_ID = /^[1-9]\d{0,17}$/;

export function errorsRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/api/v1/sites/:siteId/errors', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, errorListParamsSchema);
    const errors = await errorList(deps.pool, { siteId: site.id, start: range.start, end: range.end, status: params.status, limit: params.limit }, range.tz);
    return c.json({ errors });
  });
  app.patch('/api/v1/sites/:siteId/errors/:id', requireSiteScope(deps.pool, 'write'), async (c) => {
    const site = await getSite(deps.pool, c.req.param('siteId') ?? '');
    if (!site) throw jsonError(404, 'site not found');
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw badRequest('body must be a JSON object {"status"}');
    }
    const parsed = patchBodySchema.safeParse(body);
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    const id = c.req.param('id') ?? '';
    const { status } = parsed.data;
    const changed = GROUP_ID.test(id) && await withAudit(deps.pool, (client) => setErrorGroupStatus(client, site.id, id, status), (ok) =>
      ok ? { siteId: site.id, actorTokenId: c.get('tokenId'), action: 'error.status', target: id, detail: { status } } : null);
    if (!changed) {
      throw jsonError(404, 'error group not found');
    }
    // The group as listed, with its counts over the default range (30 days to today, site zone).
    const range = resolveRange({ limit: 1 }, site.timezone);
    const [group] = await errorList(deps.pool, { siteId: site.id, start: range.start, end: range.end, status: null, groupId: id, limit: 1 }, range.tz);
    return c.json(group);
  });
  return app as unknown as Hono;
}
