import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.ts';
import { currencySchema } from '../../sites/sites.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { PRODUCT_SORTS, productsReport } from './report.ts';

/** GET …/reports/products (commerce rollups, sql/040 and sql/051). */
export const productsParamsSchema = reportParamsSchema.extend({
  currency: currencySchema.optional(),
  sort: z.enum(PRODUCT_SORTS).default('revenue'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function productsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/products', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, productsParamsSchema);
    return c.json(
      await productsReport(deps.pool, {
        siteId: site.id,
        currency: params.currency ?? site.currency,
        start: range.start,
        end: range.end,
        from: range.from,
        to: range.to,
        tz: range.tz,
        sort: params.sort,
        order: params.order,
        limit: params.limit,
      }),
    );
  });
  return app;
}
