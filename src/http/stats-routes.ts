import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { compare, srmPValue } from '../stats/index.ts';
import { requireAnyToken, type AuthVariables } from './auth.ts';
import type { AppDeps } from './deps.ts';
import { jsonError } from './errors.ts';
import { MAX_JSON_BODY_BYTES as MAX_BODY_BYTES, parseBody, readJsonBody } from './json-body.ts';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const side = z.object({
  n: z.number().int('must be an integer').min(0, 'must be >= 0').max(Number.MAX_SAFE_INTEGER),
  sum: finite,
  sum_squares: finite.min(0, 'must be >= 0').optional(),
});

/** Contract §4 `POST /api/v1/stats/compare`; the refinements name the field a bad body got wrong. */
export const compareBodySchema = z
  .object({
    engine: z.enum(['frequentist', 'bayesian', 'sequential']),
    metric: z.enum(['proportion', 'mean']),
    control: side,
    treatment: side,
    difference: z.enum(['relative', 'absolute']).optional(),
    alpha: finite.gt(0, 'must be > 0').lt(1, 'must be < 1').optional(),
    sequential_tuning: finite.gt(0, 'must be > 0').optional(),
    prior: z.object({ mean: finite, variance: finite.gt(0, 'must be > 0') }).optional(),
    inverse: z.boolean().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    for (const name of ['control', 'treatment'] as const) {
      const s = body[name];
      if (body.metric === 'proportion' && (s.sum < 0 || s.sum > s.n)) {
        ctx.addIssue({ code: 'custom', path: [name, 'sum'], message: 'must be between 0 and n (conversions) for a proportion' });
      }
      if (body.metric === 'mean' && s.sum_squares === undefined) {
        ctx.addIssue({ code: 'custom', path: [name, 'sum_squares'], message: 'required for a mean metric' });
      }
    }
  });

export const srmBodySchema = z
  .object({
    users: z.array(z.number().int('must be an integer').min(0, 'must be >= 0')).min(1).max(100),
    weights: z.array(finite.min(0, 'must be >= 0')).min(1).max(100),
  })
  .strict()
  .refine((b) => b.users.length === b.weights.length, { path: ['weights'], message: 'must have one weight per users entry' });

/**
 * `/api/v1/stats/*` (contract §4): the statistics behind experiment reports on sufficient
 * statistics, for any valid token (they read no site data). The engine is src/stats.
 */
export function statsRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw jsonError(413, `request body over ${MAX_BODY_BYTES} bytes`); } });
  app.post('/api/v1/stats/compare', requireAnyToken(deps.pool), limit, async (c) => c.json(compare(parseBody(compareBodySchema, await readJsonBody(c)))));
  app.post('/api/v1/stats/srm', requireAnyToken(deps.pool), limit, async (c) => {
    const body = parseBody(srmBodySchema, await readJsonBody(c));
    return c.json({ p_value: srmPValue(body.users, body.weights) });
  });
  return app as unknown as Hono;
}
