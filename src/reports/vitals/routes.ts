import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { VITALS_DEVICES, vitalsReport } from './report.ts';

/**
 * GET …/reports/vitals (contract §4.5). Read scope; another site's token gets 404; a bad
 * parameter → 400 naming it.
 */
export const vitalsParamsSchema = reportParamsSchema.extend({
  path: z.string().min(1, 'must not be empty').max(2048).optional(),
  device: z.enum(VITALS_DEVICES).optional(),
});

export function vitalsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/vitals', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, vitalsParamsSchema);
    return c.json(await vitalsReport(deps.pool, { siteId: site.id, start: range.start, end: range.end, path: params.path ?? null, device: params.device ?? null }));
  });
  return app;
}
