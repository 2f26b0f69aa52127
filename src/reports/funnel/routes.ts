import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { requireSiteScope } from '../../http/auth.ts';
import type { AppDeps } from '../../http/deps.ts';
import { badRequest, jsonError } from '../../http/errors.ts';
import { parseBody, readJsonBody } from '../../http/json-body.ts';
import { getSite, type Site } from '../../sites/sites.ts';
import { ParamError, reportParamsSchema, resolveRange, siteReadScope, type ReportRange } from '../common/params.ts';
import { peopleCsv } from './people-csv.ts';
import { funnelReport } from './report.ts';
import { createFunnel, deleteFunnel, getFunnel, listFunnels } from './saved.ts';
import { savedFunnelReport } from './saved-report.ts';
import { BREAKDOWNS, funnelBodySchema, MAX_FUNNEL_RANGE_DAYS, savedFunnelSchema } from './schema.ts';

/**
 * Funnels over HTTP (contract §4.1, issue #15):
 * - `POST …/reports/funnel` (read scope): the ad-hoc report, body as schema.ts;
 * - `POST …/funnels` (write) → 201, `GET …/funnels` (read), `DELETE …/funnels/:id` (write) → 204;
 * - `GET …/funnels/:id/report?from&to&tz&breakdown` (read): from the precomputed state of the
 *   funnel-state job (saved-report.ts; as fresh as its last run), or from raw rows until the
 *   job has built it (header x-tally-funnel-source: cache | state | raw; cache: report-cache.ts);
 * - `GET …/funnels/:id/people.csv?step&outcome&from&to&tz` (read): streamed by the ad-hoc query.
 * Bad input → 400 naming the field; another site's token → 404 (requireSiteScope).
 */


async function loadSite(c: Context, deps: AppDeps): Promise<Site> {
  const site = await getSite(deps.pool, c.req.param('siteId') ?? '');
  if (!site) throw jsonError(404, 'site not found');
  return site;
}

/** from/to/tz → the UTC range; at most 400 days (400 naming `to`). */
function funnelRange(params: { from?: string | undefined; to?: string | undefined; tz?: string | undefined }, site: Site): ReportRange {
  try {
    const range = resolveRange({ ...params, limit: 10 }, site.timezone);
    if (range.days > MAX_FUNNEL_RANGE_DAYS) throw new ParamError(`to: the range may span at most ${MAX_FUNNEL_RANGE_DAYS} days`);
    return range;
  } catch (error) {
    if (error instanceof ParamError) throw badRequest(error.message);
    throw error;
  }
}

const rangeQuery = reportParamsSchema.pick({ from: true, to: true, tz: true });
const savedReportQuery = rangeQuery.extend({ breakdown: z.enum(BREAKDOWNS).optional() }).strict();
const peopleCsvQuery = rangeQuery.extend({
  step: z.coerce.number().int().min(0).max(9),
  outcome: z.enum(['dropped', 'converted']).default('dropped'),
}).strict();

export function funnelRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono();
  const base = '/api/v1/sites/:siteId/funnels';

  app.post('/api/v1/sites/:siteId/reports/funnel', siteReadScope(pool), async (c) => {
    const site = await loadSite(c, deps);
    const body = parseBody(funnelBodySchema, await readJsonBody(c));
    const range = funnelRange(body, site);
    const input = { siteId: site.id, start: range.start, end: range.end, definition: body, breakdown: body.breakdown };
    return c.json(await funnelReport(pool, input, body.people));
  });

  app.post(base, requireSiteScope(pool, 'write'), async (c) => {
    const site = await loadSite(c, deps);
    const input = parseBody(savedFunnelSchema, await readJsonBody(c));
    return c.json(await createFunnel(pool, site.id, input), 201);
  });

  app.get(base, siteReadScope(pool), async (c) => {
    const site = await loadSite(c, deps);
    return c.json({ funnels: await listFunnels(pool, site.id) });
  });

  app.delete(`${base}/:id`, requireSiteScope(pool, 'write'), async (c) => {
    const site = await loadSite(c, deps);
    if (!(await deleteFunnel(pool, site.id, c.req.param('id')))) throw jsonError(404, 'funnel not found');
    return c.body(null, 204);
  });

  app.get(`${base}/:id/report`, siteReadScope(pool), async (c) => {
    const site = await loadSite(c, deps);
    const funnel = await getFunnel(pool, site.id, c.req.param('id'));
    if (!funnel) throw jsonError(404, 'funnel not found');
    const q = parseBody(savedReportQuery, c.req.query());
    const range = funnelRange(q, site);
    const { report, source } = await savedFunnelReport(pool, { siteId: site.id, funnel, start: range.start, end: range.end, breakdown: q.breakdown });
    // state: read from the funnel-state job's precomputed attempts; raw: not built yet
    c.header('x-tally-funnel-source', source);
    return c.json(report);
  });

  app.get(`${base}/:id/people.csv`, siteReadScope(pool), async (c) => {
    const site = await loadSite(c, deps);
    const funnel = await getFunnel(pool, site.id, c.req.param('id'));
    if (!funnel) throw jsonError(404, 'funnel not found');
    const q = parseBody(peopleCsvQuery, c.req.query());
    if (q.step >= funnel.steps.length) throw badRequest('step: must be a step index of this funnel');
    const range = funnelRange(q, site);
    const stream = await peopleCsv(pool, { siteId: site.id, start: range.start, end: range.end, definition: funnel }, q);
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="funnel-${funnel.id}-step${q.step}-${q.outcome}.csv"`,
        'cache-control': 'no-store',
      },
    });
  });
  return app;
}
