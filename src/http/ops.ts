import { Hono } from 'hono';
import { isMigrated } from '../db/migrate.ts';
import type { AppDeps } from './deps.ts';

/** Contract §5: liveness, readiness and Prometheus metrics. */
export function opsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const ready = await isMigrated(deps.pool).catch(() => false);
    if (!ready) {
      c.header('Retry-After', '5');
      return c.json({ ready: false, error: 'database unreachable or not migrated' }, 503);
    }
    return c.json({ ready: true });
  });
  app.get('/metrics', async (c) => {
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.registry.contentType });
  });
  return app;
}
