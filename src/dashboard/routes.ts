import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';
import { jsonError, unavailable } from '../http/errors.ts';
import { dashboardAssets, type Asset, type DashboardAssets } from './assets.ts';
import { shareLinkRoutes } from './share-link-routes.ts';
import { tokenInfoRoutes } from './token-info-routes.ts';

/**
 * `GET /dashboard` (the page) and `GET /dashboard/assets/:name` (its script, CSS and chart.js).
 *
 * Caching: the page is revalidated on every load (`no-cache` + ETag → a 304 costs one round
 * trip); it links each asset with `?v=<content hash>`, and an asset asked for with its current
 * hash is immutable for a year. Any other asset request (no or an old `v`) is revalidated too.
 *
 * The page talks only to this origin: the CSP allows scripts, styles and fetches from 'self'
 * alone (chart.js sets canvas sizes through the CSSOM, which style-src does not restrict). The one
 * exception is a frame: the heatmap view draws over the store's live page when the reader asks.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  // The heatmap view's opt-in "live page" (frame=1) frames the store's own page; nothing else frames.
  'frame-src https: http:',
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored. */
function matches(header: string | undefined, a: Asset): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === a.etag || t === a.etagGzip;
  });
}

function send(c: Context, a: Asset, extra: Record<string, string>): Response {
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  const headers: Record<string, string> = {
    'Content-Type': a.contentType,
    ETag: gzip ? a.etagGzip : a.etag,
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  };
  if (matches(c.req.header('if-none-match'), a)) return c.body(null, 304, headers);
  const body = gzip ? a.gzip : a.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = String(body.length);
  return c.body(new Uint8Array(body), 200, headers);
}

/**
 * The dashboard area: the page, its assets, and (given a pool, as the app gives it) the share-link
 * API of share-link-routes.ts and the token's own scope (token-info-routes.ts) — the page's asset tests build these routes without a database.
 */
export function dashboardRoutes(deps: Pick<AppDeps, 'logger'> & Partial<Pick<AppDeps, 'pool' | 'config'>>): Hono {
  const app = new Hono();
  if (deps.pool && deps.config) {
    app.route('/', shareLinkRoutes({ pool: deps.pool, config: deps.config }));
    app.route('/', tokenInfoRoutes(deps.pool));
  }
  // Build now so the first visitor does not wait for esbuild.
  dashboardAssets().catch((error: unknown) => deps.logger.error({ err: error }, 'dashboard build failed'));

  async function load(): Promise<DashboardAssets> {
    try {
      return await dashboardAssets();
    } catch {
      throw unavailable('the dashboard could not be built; see the server log', 30);
    }
  }

  const page = async (c: Context) => {
    const { html } = await load();
    return send(c, html, {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': DASHBOARD_CSP,
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
  };
  app.get('/dashboard', page);
  app.get('/dashboard/', page);

  // Browsers ask for /favicon.ico on their own (a 404 there logs a console error): the same icon.
  app.get('/favicon.ico', async (c) => {
    const { assets } = await load();
    return send(c, assets.get('favicon.svg')!, { 'Cache-Control': 'public, max-age=86400' });
  });

  app.get('/dashboard/assets/:name', async (c) => {
    const { assets } = await load();
    const a = assets.get(c.req.param('name'));
    if (!a) throw jsonError(404, `no dashboard asset named ${c.req.param('name')}; assets: ${[...assets.keys()].join(', ')}`);
    return send(c, a, { 'Cache-Control': c.req.query('v') === a.hash ? IMMUTABLE : 'no-cache' });
  });
  return app;
}
