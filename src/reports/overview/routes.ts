import { Hono } from 'hono';
import type { AppDeps } from '../../http/deps.ts';
import { loadReportRequest, siteReadScope } from '../common/params.ts';
import { overviewReport } from './report.ts';

/** GET …/reports/overview: from the traffic rollups (traffic-rollup.ts); `compare=previous` adds the period before. */
export function overviewRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/overview', siteReadScope(pool), async (c) => {
    const { site: s, params, range } = await loadReportRequest(c, pool);
    const report = await overviewReport(pool, s, range, params.limit);
    const body: Record<string, unknown> = {
      range: { from: range.from, to: range.to, tz: range.tz, interval: range.interval },
      ...report,
    };
    if (range.previous) {
      body.previous = {
        range: { from: range.previous.from, to: range.previous.to, tz: range.tz, interval: range.interval },
        ...(await overviewReport(pool, s, range.previous, params.limit)),
      };
    }
    return c.json(body);
  });
  return app;
}
