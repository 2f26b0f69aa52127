import { Hono } from 'hono';
import type { AppDeps } from '../../http/deps.ts';
import { currencySchema } from '../../sites/sites.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { searchReport } from './report.ts';

/**
 * GET …/reports/search (contract §4.6; rollups of sql/111). Read scope; another site's token gets
 * 404; a bad parameter (from, to, tz, currency) → 400 naming it (common/params.ts).
 */
export const searchParamsSchema = reportParamsSchema.extend({
  currency: currencySchema.optional(),
});

export function searchRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/search', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, searchParamsSchema);
    return c.json(await searchReport(deps.pool, site.id, params.currency ?? site.currency, range));
  });
  return app;
}
