import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../http/deps.ts';
import { loadReportRequest, reportParamsSchema, siteReadScope } from '../common/params.ts';
import { HEATMAP_DEVICES, HEATMAP_KINDS, heatmapPages, heatmapReport } from './report.ts';

/**
 * GET …/reports/heatmap (contract §4.3) and GET …/reports/heatmap/pages, from the rollups of
 * sql/071. Read scope; another site's token gets 404; a bad parameter → 400 naming it.
 */

/** The page of an absolute http(s) URL as ingestion stores it: lower-case host, path without query or fragment. */
export function pageOfUrl(u: string): { host: string; path: string; url: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  const host = parsed.hostname.toLowerCase();
  const path = parsed.pathname || '/';
  return { host, path, url: `${parsed.protocol}//${host}${path}` };
}

const flag = z.enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' }).transform((v) => v === '1' || v === 'true');

export const heatmapParamsSchema = reportParamsSchema.extend({
  url: z
    .string({ message: 'is required: the page URL (host and path; query and fragment ignored)' })
    .refine((u) => pageOfUrl(u) !== null, 'must be an absolute http(s) URL'),
  device: z.enum(HEATMAP_DEVICES).default('desktop'),
  kind: z.enum(HEATMAP_KINDS).default('click'),
  selector: flag.optional(),
});

export const heatmapPagesParamsSchema = reportParamsSchema.extend({
  device: z.enum(HEATMAP_DEVICES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function heatmapRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/api/v1/sites/:siteId/reports/heatmap', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, heatmapParamsSchema);
    const page = pageOfUrl(params.url)!;
    const report = await heatmapReport(
      deps.pool,
      { siteId: site.id, host: page.host, path: page.path, device: params.device, kind: params.kind, start: range.start, end: range.end },
      page.url,
      params.selector ? params.limit : null,
    );
    return c.json(report);
  });
  app.get('/api/v1/sites/:siteId/reports/heatmap/pages', siteReadScope(deps.pool), async (c) => {
    const { site, params, range } = await loadReportRequest(c, deps.pool, heatmapPagesParamsSchema);
    const pages = await heatmapPages(deps.pool, site.id, range.start, range.end, params.limit, params.device ?? null);
    return c.json({ pages });
  });
  return app;
}
