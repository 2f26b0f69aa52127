import { Hono } from 'hono';
import type { AppDeps } from '../../http/deps.ts';
import { currencySchema } from '../../sites/sites.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { revenueReport } from './report.ts';

/**
 * GET …/reports/revenue (commerce rollups, sql/040). Read scope; another site's token gets 404;
 * a bad parameter → 400 naming it (common/params.ts).
 */
export const revenueParamsSchema = reportParamsSchema.extend({
  currency: currencySchema.optional(),
});

export function revenueRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/revenue', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, revenueParamsSchema);
    const currency = params.currency ?? site.currency;
    return c.json(await revenueReport(deps.pool, site.id, currency, range, params.limit));
  });
  return app;
}
