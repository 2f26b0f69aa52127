import { Hono } from 'hono';
import { z } from 'zod';
import { getExperiment } from '../../experiments/store.ts';
import { badRequest, describeZodError, jsonError } from '../../http/errors.ts';
import type { AppDeps } from '../../http/deps.ts';
import { currencySchema, getSite, timeZoneSchema } from '../../sites/sites.ts';
import { addDays, localDateToUtc, reportParamsSchema, siteReadScope, todayIn } from '../common/params.ts';
import { experimentReport, type ReportOptions } from './report.ts';
import { experimentSeries, SeriesRangeError } from './series.ts';

/**
 * GET …/experiments/{key}/report (contract §7). Read scope; another site's token → 404; unknown
 * experiment → 404; a bad or unknown `metric`, `engine`, `from`, `to`, `tz`, `currency` → 400
 * naming it. The range is not common/params' 30-day default: without `from` it starts at the
 * experiment's first exposure, `to` defaults to today in `tz` (default the site's zone).
 */
export const experimentReportParamsSchema = z.object({
  metric: z.string().min(1).max(100).optional(),
  engine: z.enum(['bayesian', 'frequentist', 'sequential']).default('bayesian'),
  from: reportParamsSchema.shape.from,
  to: reportParamsSchema.shape.to,
  tz: timeZoneSchema.optional(),
  currency: currencySchema.optional(),
  series: z.enum(['true', 'false'], 'must be true or false').optional(),
  cuped: z.enum(['true', 'false'], 'must be true or false').optional(),
});

export function experimentReportRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/experiments/:key/report', siteReadScope(deps.pool), async (c) => {
    const site = await getSite(deps.pool, c.req.param('siteId'));
    if (!site) throw jsonError(404, 'site not found');
    const key = c.req.param('key');
    const experiment = await getExperiment(deps.pool, site.id, key);
    if (!experiment) throw jsonError(404, `experiment ${key} not found`);
    const parsed = experimentReportParamsSchema.safeParse(c.req.query());
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    const params = parsed.data;
    const metric = params.metric === undefined ? experiment.metrics[0] : experiment.metrics.find((m) => m.key === params.metric);
    if (!metric) {
      throw badRequest(`metric: unknown metric ${params.metric ?? ''} (experiment ${key} has ${experiment.metrics.map((m) => m.key).join(', ')})`);
    }
    const tz = params.tz ?? site.timezone;
    const to = params.to ?? (params.from && params.from > todayIn(tz) ? params.from : todayIn(tz));
    if (params.from && params.from > to) throw badRequest('from: must not be after to');
    const options: ReportOptions = {
      siteId: site.id,
      experiment,
      metric: { ...metric, statistic: metric.statistic ?? 'conversion' } as typeof metric,
      engine: params.engine,
      start: params.from ? localDateToUtc(params.from, tz) : null,
      end: localDateToUtc(addDays(to, 1), tz),
      currency: params.currency ?? site.currency,
      cuped: params.cuped === 'true',
    };
    // `currency` (beyond the contract): the unit of revenue_per_user, so a reader needs no other call.
    const report = { ...(await experimentReport(deps.pool, options)), currency: options.currency };
    if (params.series !== 'true') return c.json(report);
    try {
      return c.json({ ...report, series: await experimentSeries(deps.pool, options, { from: params.from, to, tz }) });
    } catch (error) {
      if (error instanceof SeriesRangeError) throw badRequest(error.message);
      throw error;
    }
  });
  return app;
}
