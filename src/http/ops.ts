import { Hono } from 'hono';
import { withClientWithin } from '../db/deadline.ts';
import { isMigrated } from '../db/migrate.ts';
import type { AppDeps } from './deps.ts';

/** Load balancers' probes give up after a few seconds; answering 503 before that says why. */
const READY_TIMEOUT_MS = 3000;

/** Contract §5: liveness, readiness and Prometheus metrics. */
export function opsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    // Under a deadline: a PostgreSQL that stops answering makes this instance not ready in time
    // instead of leaving the probe waiting for TCP (src/db/deadline.ts).
    const ready = await withClientWithin(deps.pool, READY_TIMEOUT_MS, (client) => isMigrated(client)).catch(() => false);
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
