import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAnyToken, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, describeZodError, jsonError } from '../http/errors.ts';
import { listJobRuns } from '../jobs/runs.ts';
import { EXPORT_TABLES, exportCsv } from './export.ts';
import { overviewReport } from './overview.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from './params.ts';
import { realtimeReport } from './realtime.ts';

const exportParamsSchema = reportParamsSchema.pick({ from: true, to: true, tz: true });
const jobsQuerySchema = z.object({
  job: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Traffic reports (overview, realtime), CSV export and the job-run log. */
export function reportRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono<{ Variables: AuthVariables }>();
  const site = '/api/v1/sites/:siteId';

  app.get(`${site}/reports/overview`, siteReadScope(pool), async (c) => {
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

  app.get(`${site}/reports/realtime`, siteReadScope(pool), async (c) => {
    const { site: s, params } = await loadReportRequest(c, pool);
    return c.json(await realtimeReport(pool, s.id, params.limit));
  });

  app.get(`${site}/export/:file`, siteReadScope(pool), async (c) => {
    const file = c.req.param('file');
    const table = file.endsWith('.csv') ? file.slice(0, -4) : '';
    if (!EXPORT_TABLES.includes(table)) {
      throw jsonError(404, `no export named ${file}; tables: ${EXPORT_TABLES.map((t) => `${t}.csv`).join(', ')}`);
    }
    const { site: s, range } = await loadReportRequest(c, pool, exportParamsSchema.extend({ limit: z.coerce.number().default(10) }));
    // Export defaults to everything when no dates are given (unlike dashboards' 30 days).
    const q = c.req.query();
    const start = q.from ? range.start : new Date(0);
    const end = q.to ? range.end : new Date('9999-01-01T00:00:00Z');
    const stream = await exportCsv(pool, table, s.id, start, end);
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${table}-${s.id}.csv"`,
        'cache-control': 'no-store',
      },
    });
  });

  // Any site's admin token: the job log is process-wide and holds no site data (counts, errors).
  app.get('/api/v1/admin/jobs', requireAnyToken(pool), async (c) => {
    if (c.get('tokenScope') !== 'admin') throw jsonError(403, 'admin scope is needed');
    const parsed = jobsQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    return c.json(await listJobRuns(pool, parsed.data));
  });

  return app as unknown as Hono;
}
