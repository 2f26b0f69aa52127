import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';

export function trackerRoutes(_deps: AppDeps): Hono {
  const app = new Hono();
  return app;
}
