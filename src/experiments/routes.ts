/**
 * Experiment definitions over HTTP (contract §7), mounted by src/http/app.ts:
 *
 * - `POST /api/v1/sites/:siteId/experiments` (write scope): create (201) or update (200) by key;
 *   changing variant keys or weights once exposures exist → 409;
 * - `GET …/experiments`, `GET …/experiments/:key` (read scope);
 * - `PATCH …/experiments/:key` `{"status"}` (write scope);
 * - the assignment endpoints of assign-routes.ts, sharing this module's cache of running
 *   experiments so that a change made here applies to this process's next assignment at once.
 *
 * Bad input → 400 naming the field; another site's token → 404 (requireSiteScope).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requireSiteScope, siteReadScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { jsonError } from '../http/errors.ts';
import { withAudit } from '../sites/audit.ts';
import { parseBody, readJsonBody } from '../http/json-body.ts';
import { assignRoutes } from './assign-routes.ts';
import { experimentInputSchema, statusPatchSchema } from './definition.ts';
import { RunningExperimentsCache } from './running-cache.ts';
import { ExperimentConflictError, getExperiment, listExperiments, saveExperiment, setExperimentStatus } from './store.ts';

/** A definition is a few KB at most (10 variants, 20 metrics with props). */
const MAX_BODY_BYTES = 64 * 1024;


export function experimentRoutes(deps: AppDeps): Hono {
  const { pool } = deps;
  const app = new Hono<{ Variables: AuthVariables }>();
  const running = new RunningExperimentsCache(pool, { timeoutMs: deps.config.WRITE_TIMEOUT_MS });
  const base = '/api/v1/sites/:siteId/experiments';
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw jsonError(413, `body over ${MAX_BODY_BYTES} bytes`); } });
  const notFound = (key: string) => jsonError(404, `experiment ${key} not found`);

  app.post(base, requireSiteScope(pool, 'write'), limit, async (c) => {
    const siteId = c.req.param('siteId');
    const input = parseBody(experimentInputSchema, await readJsonBody(c));
    try {
      const { experiment, created } = await saveExperiment(pool, siteId, input, {}, (saved) => ({
        siteId, actorTokenId: c.get('tokenId'), action: saved.created ? 'experiment.create' : 'experiment.update', target: input.key,
        detail: { status: saved.experiment.status, variants: input.variants.map((v) => v.key) },
      }));
      running.invalidate(siteId);
      return c.json(experiment, created ? 201 : 200);
    } catch (error) {
      if (error instanceof ExperimentConflictError) throw jsonError(409, error.message);
      throw error;
    }
  });

  app.get(base, siteReadScope(pool), async (c) => c.json({ experiments: await listExperiments(pool, c.req.param('siteId')) }));

  app.get(`${base}/:key`, siteReadScope(pool), async (c) => {
    const experiment = await getExperiment(pool, c.req.param('siteId'), c.req.param('key'));
    if (!experiment) throw notFound(c.req.param('key'));
    return c.json(experiment);
  });

  app.patch(`${base}/:key`, requireSiteScope(pool, 'write'), limit, async (c) => {
    const siteId = c.req.param('siteId');
    const { status } = parseBody(statusPatchSchema, await readJsonBody(c));
    const key = c.req.param('key');
    const experiment = await withAudit(pool, (client) => setExperimentStatus(client, siteId, key, status), (e) =>
      e ? { siteId, actorTokenId: c.get('tokenId'), action: 'experiment.status', target: key, detail: { status } } : null);
    if (!experiment) throw notFound(key);
    running.invalidate(siteId);
    return c.json(experiment);
  });

  app.route('/', assignRoutes(deps, running));
  return app as unknown as Hono;
}
