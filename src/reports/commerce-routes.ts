import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../http/deps.ts';
import { currencySchema } from '../sites/sites.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from './params.ts';
import { PRODUCT_SORTS, productsReport } from './products.ts';
import { revenueReport } from './revenue.ts';

/**
 * Revenue and product reports (commerce rollups, sql/040). Read scope; another site's token
 * gets 404; a bad parameter → 400 naming it (params.ts).
 */
export const revenueParamsSchema = reportParamsSchema.extend({
  currency: currencySchema.optional(),
});

export const productsParamsSchema = reportParamsSchema.extend({
  currency: currencySchema.optional(),
  sort: z.enum(PRODUCT_SORTS).default('revenue'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function commerceReportRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const auth = siteReadScope(deps.pool);

  app.get('/api/v1/sites/:siteId/reports/revenue', auth, async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, revenueParamsSchema);
    const currency = params.currency ?? site.currency;
    return c.json(await revenueReport(deps.pool, site.id, currency, range, params.limit));
  });

  app.get('/api/v1/sites/:siteId/reports/products', auth, async (c) => {
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
