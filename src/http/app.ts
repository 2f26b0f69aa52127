import { Hono } from 'hono';
import { siteScopedPool } from '../db/rls.ts';
import { commerceRoutes } from '../commerce/routes.ts';
import { dashboardRoutes } from '../dashboard/routes.ts';
import { experimentRoutes } from '../experiments/routes.ts';
import { jobRoutes } from '../jobs/routes.ts';
import { reportRoutes } from '../reports/routes.ts';
import { trackerRoutes } from '../tracker/routes.ts';
import type { AppDeps } from './deps.ts';
import { errorHandler } from './errors.ts';
import { refuseNul } from './no-nul.ts';
import { openApiRoutes } from './openapi.ts';
import { opsRoutes } from './ops.ts';
import { statsRoutes } from './stats-routes.ts';
import { siteRoutes } from '../sites/site-routes.ts';
import { tokenRoutes } from '../sites/token-routes.ts';
import { privacyRoutes } from '../privacy/routes.ts';

/**
 * The whole HTTP surface; each area mounts its own routes module. The modules with site-scoped
 * reads get a site-scoped pool: inside `siteReadScope` (src/http/auth.ts) their reads run under
 * row-level security (src/db/rls.ts); writes, auth and everything else use the pool as before.
 * Ingestion, commerce pushes and the stats endpoints keep the plain pool (no site reads to scope);
 * so do the token and share-link lists, which read `api_tokens`: the reader has no grant on it.
 */
export function createApp(deps: AppDeps, extra: Hono[] = []): Hono {
  const app = new Hono();
  const scoped: AppDeps = {
    ...deps,
    pool: siteScopedPool(deps.pool, {
      enabled: deps.config.TALLY_RLS,
      onUnavailable: (reason) => deps.logger.warn({ reason }, 'row-level security is off for report reads'),
    }),
  };
  app.onError(errorHandler(deps.logger));
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.use('/api/v1/*', refuseNul);
  app.route('/', opsRoutes(deps));
  app.route('/', trackerRoutes(deps));
  app.route('/', commerceRoutes(deps));
  app.route('/', reportRoutes(scoped));
  app.route('/', experimentRoutes(scoped));
  app.route('/', jobRoutes(deps));
  app.route('/', statsRoutes(deps));
  app.route('/', tokenRoutes(scoped));
  app.route('/', siteRoutes(scoped));
  app.route('/', privacyRoutes(deps));
  app.route('/', dashboardRoutes(deps));
  app.route('/', openApiRoutes());
  for (const routes of extra) app.route('/', routes);
  return app;
}
