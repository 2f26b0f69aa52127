import { Hono } from 'hono';
import { z } from 'zod';
import { requireAnyToken, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, describeZodError, jsonError } from '../http/errors.ts';
import { listJobRuns } from './runs.ts';

const jobsQuerySchema = z.object({
  job: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** GET /api/v1/admin/jobs: the job-run log. */
export function jobRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono<{ Variables: AuthVariables }>();
  // Any site's admin token: the job log is process-wide and holds no site data (counts, errors).
  app.get('/api/v1/admin/jobs', requireAnyToken(pool), async (c) => {
    if (c.get('tokenScope') !== 'admin') throw jsonError(403, 'admin scope is needed');
    const parsed = jobsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    return c.json(await listJobRuns(pool, parsed.data));
  });
  return app as unknown as Hono;
}
