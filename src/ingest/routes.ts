import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { Config } from '../config.ts';
import { readBodyText } from '../http/body.ts';
import { collect, MAX_BODY_BYTES, type CollectContext, type CollectRequest, type CollectResponse } from './collect.ts';

/**
 * Fixed one-minute windows per client IP. A Map cleared every minute: O(1) per request and memory
 * bounded by the distinct IPs of one minute.
 */
export class RateLimiter {
  private counts = new Map<string, number>();
  private windowStart = Date.now();

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait, or 0 when the request may pass. */
  hit(ip: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    if (now - this.windowStart >= 60_000) {
      this.counts = new Map();
      this.windowStart = now;
    }
    const n = (this.counts.get(ip) ?? 0) + 1;
    this.counts.set(ip, n);
    return n > this.perMinute ? Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000)) : 0;
  }
}

/** The client address: the socket's, or X-Forwarded-For's first hop when TRUST_PROXY is set. */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const xff = c.req.header('x-forwarded-for');
    const first = xff?.split(',')[0]?.trim();
    if (first) return first;
    const real = c.req.header('x-real-ip');
    if (real) return real.trim();
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // app.request() in tests has no socket
  }
}

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const CORS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'retry-after',
};

// Query parameters of /collect.gif that carry numbers or booleans.
const NUMERIC = new Set(['ts', 'sw', 'vw', 'vh', 'dh', 'scroll', 'line', 'col', 'lcp', 'inp', 'cls', 'fcp', 'ttfb']);

export interface IngestRouteOptions {
  config: Config;
  ctx: CollectContext;
  /** True once the service is stopping: new requests get 503. */
  stopping: () => boolean;
}

export function ingestRoutes({ config, ctx, stopping }: IngestRouteOptions): Hono {
  const app = new Hono();
  const limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE);

  const send = (c: Context, r: CollectResponse) => {
    ctx.metrics.requests.inc({ status: String(r.status) });
    const headers: Record<string, string> = { ...CORS };
    if ('retryAfter' in r && r.retryAfter) headers['retry-after'] = String(r.retryAfter);
    return c.json(r.body, r.status, headers);
  };
  const refuse = (c: Context, status: 413 | 429 | 400 | 503 | 415, error: string, retryAfter?: number) => {
    ctx.metrics.requests.inc({ status: String(status) });
    const headers: Record<string, string> = { ...CORS };
    if (retryAfter) headers['retry-after'] = String(retryAfter);
    return c.json({ error }, status, headers);
  };

  /** The request's body, parsed, and its sender; or the 413/400 answer. */
  const readRequest = async (c: Context): Promise<CollectRequest | Response> => {
    const text = await readBodyText(c, MAX_BODY_BYTES);
    if (text === null) return refuse(c, 413, `body too large (at most ${MAX_BODY_BYTES} bytes)`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return refuse(c, 400, `malformed JSON: ${(error as Error).message}`);
    }
    return { body, ip: clientIp(c, config.TRUST_PROXY), ua: c.req.header('user-agent') ?? '', origin: c.req.header('origin') ?? null, now: Date.now() };
  };

  app.options('/collect', (c) => {
    return c.body(null, 204, {
      ...CORS,
      'access-control-allow-methods': 'POST, GET, OPTIONS',
      'access-control-allow-headers': c.req.header('access-control-request-headers') ?? 'content-type',
      'access-control-max-age': '86400',
      vary: 'access-control-request-headers',
    });
  });

  app.post(
    '/collect',
    async (c, next) => {
      if (stopping()) return refuse(c, 503, 'shutting down, retry later', 2);
      const ip = clientIp(c, config.TRUST_PROXY);
      const wait = limiter.hit(ip ?? 'unknown');
      if (wait) return refuse(c, 429, `rate limit: at most ${config.RATE_LIMIT_PER_MINUTE} requests per minute per client`, wait);
      const length = Number(c.req.header('content-length') ?? 0);
      if (length > MAX_BODY_BYTES) return refuse(c, 413, `body too large: ${length} bytes (at most ${MAX_BODY_BYTES})`);
      const started = performance.now();
      await next();
      ctx.metrics.requestSeconds.observe((performance.now() - started) / 1000);
    },
    async (c) => {
      const request = await readRequest(c);
      if (request instanceof Response) return request;
      // collect() consumes request.body: no local here keeps the body alive while it is written.
      return send(c, await collect(ctx, request));
    },
  );

  // For clients without JavaScript: always the GIF; problems go to logs and metrics only.
  app.get('/collect.gif', async (c) => {
    const gif = () =>
      c.body(GIF, 200, { 'content-type': 'image/gif', 'cache-control': 'no-store, max-age=0', ...CORS });
    if (stopping()) return gif();
    const ip = clientIp(c, config.TRUST_PROXY);
    if (limiter.hit(ip ?? 'unknown')) return gif();
    const event: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.req.query())) {
      if (NUMERIC.has(k)) event[k] = Number(v);
      else if (k === 'handled') event[k] = v === 'true' || v === '1';
      else if (k === 'props' || k === 'revenue' || k === 'points') {
        try {
          event[k] = JSON.parse(v);
        } catch {
          event[k] = v; // rejected by validation, with its reason in the logs
        }
      } else event[k] = v;
    }
    event.type ??= 'pageview';
    // An <img> in a page sends the page itself as Referer.
    if (event.url === undefined && c.req.header('referer')) event.url = c.req.header('referer');
    try {
      const r = await collect(ctx, { body: event, ip, ua: c.req.header('user-agent') ?? '', origin: null, now: Date.now() });
      ctx.metrics.requests.inc({ status: String(r.status) });
      if (r.status !== 202 || r.body.rejected.length) ctx.logger.debug({ result: r.body }, 'collect.gif: event not stored');
    } catch (error) {
      ctx.logger.error({ err: error }, 'collect.gif failed');
    }
    return gif();
  });

  return app;
}
