import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';
import { discountsRoutes } from './discounts/routes.ts';
import { errorsRoutes } from './errors/routes.ts';
import { experimentReportRoutes } from './experiment/routes.ts';
import { exportRoutes } from './export/routes.ts';
import { funnelRoutes } from './funnel/routes.ts';
import { heatmapRoutes } from './heatmap/routes.ts';
import { overviewRoutes } from './overview/routes.ts';
import { productsRoutes } from './products/routes.ts';
import { realtimeRoutes } from './realtime/routes.ts';
import { retentionRoutes } from './retention/routes.ts';
import { revenueRoutes } from './revenue/routes.ts';
import { searchRoutes } from './search/routes.ts';
import { vitalsRoutes } from './vitals/routes.ts';

/**
 * Every report's routes (one module in each report's folder), mounted by src/http/app.ts with its
 * site-scoped pool: inside `siteReadScope` their reads run under row-level security
 * (src/db/rls.ts); writes and everything else use the pool as before.
 */
export function reportRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  for (const routes of [overviewRoutes, realtimeRoutes, exportRoutes, revenueRoutes, productsRoutes, errorsRoutes, retentionRoutes, heatmapRoutes, vitalsRoutes, experimentReportRoutes, funnelRoutes, discountsRoutes, searchRoutes]) app.route('/', routes(deps));
  return app;
}
