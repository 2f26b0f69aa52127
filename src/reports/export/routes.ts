import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.ts';
import { jsonError } from '../../http/errors.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { EXPORT_TABLES, exportCsv } from './csv.ts';

const exportParamsSchema = reportParamsSchema.pick({ from: true, to: true, tz: true });

/** GET …/export/{table}.csv: streams one table's rows of the site (constant memory). */
export function exportRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/export/:file', siteReadScope(pool), async (c) => {
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
  return app;
}
