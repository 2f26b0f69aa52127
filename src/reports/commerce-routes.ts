import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';

/** Revenue and product reports (commerce rollups). */
export function commerceReportRoutes(_deps: AppDeps): Hono {
  const app = new Hono();
  return app;
}
