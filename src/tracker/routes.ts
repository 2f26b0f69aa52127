import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';
import { unavailable } from '../http/errors.ts';
import { trackerBundle, type TrackerBundle } from './build.ts';

/**
 * Browsers revalidate after an hour (with a day of stale-while-revalidate), so a new tracker
 * reaches every page within about an hour of a deploy while repeat views cost a 304 at most.
 */
export const TRACKER_CACHE_CONTROL = 'public, max-age=3600, stale-while-revalidate=86400';

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored. */
function matches(header: string | undefined, bundle: TrackerBundle): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === bundle.etag || t === bundle.etagGzip;
  });
}

/** `GET /t.js`: the tracker, built in memory when the app is created (src/tracker/build.ts). */
export function trackerRoutes(deps: Pick<AppDeps, 'logger'>): Hono {
  const app = new Hono();
  // Start the build now so the first request does not wait for esbuild (~50 ms).
  trackerBundle().catch((error: unknown) => deps.logger.error({ err: error }, 'tracker build failed'));

  app.get('/t.js', async (c) => {
    let bundle: TrackerBundle;
    try {
      bundle = await trackerBundle();
    } catch {
      throw unavailable('the tracker could not be built; see the server log', 30);
    }
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const headers: Record<string, string> = {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Cache-Control': TRACKER_CACHE_CONTROL,
      ETag: gzip ? bundle.etagGzip : bundle.etag,
      Vary: 'Accept-Encoding',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    if (matches(c.req.header('if-none-match'), bundle)) return c.body(null, 304, headers);
    if (gzip) headers['Content-Encoding'] = 'gzip';
    const body = gzip ? bundle.gzip : bundle.code;
    headers['Content-Length'] = String(body.length);
    return c.body(new Uint8Array(body), 200, headers);
  });
  return app;
}
