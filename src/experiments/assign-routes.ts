/**
 * Assignment over HTTP (contract §7), in front of assign.ts (GrowthBook's hashing v2):
 *
 * - `GET /collect/assign?site=KEY&experiments=K1,K2&vid=V` — public, for the tracker. CORS as
 *   /collect (`Access-Control-Allow-Origin: *`, the site's allowed origins enforced with 403); a
 *   simple GET, so no preflight. Without `vid` (or on a cookieless site) the visitor is the
 *   cookieless id /collect derives for this same request (site, IP, user agent, today's salt), so
 *   the `$exposure` the tracker sends next is stored under the id that was hashed.
 *   `Cache-Control: private, max-age=5`: the answer is the visitor's own (shared caches must not
 *   keep it), and a browser re-asks within about as long as a status change takes to reach the
 *   instances; `Vary: User-Agent` when the id was derived from the user agent.
 * - `GET /api/v1/sites/:siteId/experiments/:key/assign?visitor_id=V` — read scope, for a store's
 *   server-side rendering → `{"variant"}`.
 *
 * Only running experiments assign; draft, stopped and unknown keys answer null. This module does
 * not touch ingestion's hot path: it has its own SiteCache and SaltCache (salts are shared by
 * every instance through `visitor_salts`, so the same day gives the same salt).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { requireSiteScope } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, describeZodError } from '../http/errors.ts';
import { queryWithin } from '../db/deadline.ts';
import { SiteCache } from '../ingest/collect.ts';
import { cookielessVisitorId, SaltCache, utcDay } from '../ingest/enrich/visitor.ts';
import { clientIp } from '../ingest/routes.ts';
import { assignVariant } from './assign.ts';
import type { RunningExperiment, RunningExperimentsCache } from './running-cache.ts';

/** More keys than a page could sensibly run at once is a client bug, not a workload. */
export const MAX_ASSIGN_KEYS = 50;

const CORS = { 'access-control-allow-origin': '*' };

/** The variant key of a running experiment for this visitor, else null. */
export function assignRunning(experiment: RunningExperiment | undefined, visitorId: string): string | null {
  return experiment ? assignVariant(experiment, visitorId) : null;
}

const serverQuery = z.object({ visitor_id: z.string().min(1, 'required').max(64, 'at most 64 characters') });

function originAllowed(origin: string, allowed: string[]): boolean {
  const norm = (s: string) => s.trim().replace(/\/+$/, '').toLowerCase();
  return allowed.some((a) => norm(a) === norm(origin));
}

export function assignRoutes(deps: AppDeps, running: RunningExperimentsCache): Hono {
  const { pool, config } = deps;
  const app = new Hono();
  const sites = new SiteCache(pool, { timeoutMs: config.WRITE_TIMEOUT_MS });
  const salts = new SaltCache({ query: (q) => queryWithin(pool, q, config.WRITE_TIMEOUT_MS) });
  const fail = (c: Context, status: 400 | 403, error: string) => c.json({ error }, status, CORS);
  // With CORS headers (unlike the app's 503), so that a page can read it and retry.
  const unavailableHere = (c: Context, error: string) => c.json({ error }, 503, { ...CORS, 'retry-after': '5' });

  app.get('/collect/assign', async (c) => {
    const { site: siteKey, experiments, vid } = c.req.query();
    if (!siteKey) return fail(c, 400, 'site: required (the site public key)');
    const keys = [...new Set((experiments ?? '').split(',').map((k) => k.trim()).filter(Boolean))];
    if (!keys.length) return fail(c, 400, 'experiments: required (comma-separated experiment keys)');
    if (keys.length > MAX_ASSIGN_KEYS) return fail(c, 400, `experiments: at most ${MAX_ASSIGN_KEYS} keys`);
    if (vid && vid.length > 64) return fail(c, 400, 'vid: at most 64 characters');
    let site;
    let experimentsOfSite;
    try {
      site = (await sites.lookup([siteKey])).get(siteKey);
      if (!site) return fail(c, 400, 'site: unknown site key');
      experimentsOfSite = await running.forSite(site.id);
    } catch (error) {
      deps.logger.warn({ err: error }, 'assign: site or experiments unavailable');
      return unavailableHere(c, 'cannot read experiments now (database unreachable)');
    }
    const origin = c.req.header('origin');
    if (origin && site.allowedOrigins.length && !originAllowed(origin, site.allowedOrigins)) {
      return fail(c, 403, `origin ${origin} is not allowed for site ${siteKey}`);
    }
    const headers: Record<string, string> = { ...CORS, 'cache-control': 'private, max-age=5' };
    let visitorId: string;
    if (site.visitorIdMode === 'auto' && vid) visitorId = vid;
    else {
      let salt: Buffer;
      try {
        salt = await salts.get(utcDay(Date.now()));
      } catch (error) {
        deps.logger.warn({ err: error }, 'assign: visitor salt unavailable');
        return unavailableHere(c, 'cannot derive the visitor id now (database unreachable)');
      }
      visitorId = cookielessVisitorId(salt, site.id, clientIp(c, config.TRUST_PROXY) ?? '', c.req.header('user-agent') ?? '');
      headers.vary = 'User-Agent';
    }
    const body: Record<string, string | null> = {};
    for (const key of keys) body[key] = assignRunning(experimentsOfSite.get(key), visitorId);
    return c.json(body, 200, headers);
  });

  // Not under RLS: it reads this process's cache of running experiments, loaded for every site at once.
  app.get('/api/v1/sites/:siteId/experiments/:key/assign', requireSiteScope(pool, 'read'), async (c) => {
    const parsed = serverQuery.safeParse(c.req.query());
    if (!parsed.success) throw badRequest(describeZodError(parsed.error));
    const experimentsOfSite = await running.forSite(c.req.param('siteId'));
    return c.json({ variant: assignRunning(experimentsOfSite.get(c.req.param('key')), parsed.data.visitor_id) });
  });

  return app;
}
