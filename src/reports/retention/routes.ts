import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.ts';
import { badRequest } from '../../http/errors.ts';
import { currencySchema } from '../../sites/sites.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { retentionReport } from './report.ts';

/**
 * GET …/reports/retention (contract §4.2; rollups of sql/090). Read scope; another site's token
 * gets 404; a bad parameter → 400 naming it. `cohort`, `period`, `from` and `to` are required;
 * the range is at most 400 days (a year of weekly cohorts plus a margin, per the contract).
 */
export const MAX_RETENTION_DAYS = 400;
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

export const retentionParamsSchema = reportParamsSchema.extend({
  cohort: z.enum(['visitor', 'customer']),
  period: z.enum(['day', 'week', 'month']),
  from: reportParamsSchema.shape.from.unwrap(),
  to: reportParamsSchema.shape.to.unwrap(),
  currency: currencySchema.refine((c) => knownCurrencies.has(c), 'must be a known ISO 4217 currency').optional(),
  segment: z.enum(['channel', 'country', 'device']).optional(),
});

export function retentionRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/retention', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, retentionParamsSchema);
    if (range.days > MAX_RETENTION_DAYS) throw badRequest(`to: the range may span at most ${MAX_RETENTION_DAYS} days`);
    const report = await retentionReport(deps.pool, site.id, {
      cohort: params.cohort, period: params.period, from: range.from, to: range.to, tz: range.tz,
      currency: params.currency ?? site.currency, ...(params.segment ? { segment: params.segment } : {}),
    });
    return c.json(report);
  });
  return app;
}
