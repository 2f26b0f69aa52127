import { Hono } from 'hono';
import type { AppDeps } from '../../http/deps.ts';
import { loadReportRequest, siteReadScope } from '../common/params.ts';
import { revenueParamsSchema } from '../revenue/routes.ts';
import { discountsReport } from './report.ts';

/**
 * GET …/reports/discounts?from&to&tz&currency (discount rollups, sql/112). Read scope; another
 * site's token gets 404; a bad parameter → 400 naming it. The parameters are revenue's (range,
 * zone, currency; default the site's), as the two reports count alike.
 */
export function discountsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/discounts', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, revenueParamsSchema);
    return c.json(await discountsReport(deps.pool, site.id, params.currency ?? site.currency, range));
  });
  return app;
}
