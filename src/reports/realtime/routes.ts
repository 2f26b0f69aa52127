import { Hono } from 'hono';
import type { AppDeps } from '../../http/deps.ts';
import { loadReportRequest, siteReadScope } from '../common/params.ts';
import { realtimeReport } from './report.ts';

/** GET …/reports/realtime: the newest raw rows, no rollup. */
export function realtimeRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/realtime', siteReadScope(pool), async (c) => {
    const { site: s, params } = await loadReportRequest(c, pool);
    return c.json(await realtimeReport(pool, s.id, params.limit));
  });
  return app;
}
