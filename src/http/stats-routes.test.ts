import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { createSite } from '../sites/sites.ts';
import { createToken } from '../sites/tokens.ts';
import { compare } from '../stats/index.ts';
import { createApp } from './app.ts';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let readToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const site = await createSite(db.pool, { name: 's', domain: 'shop.test' });
  readToken = await createToken(db.pool, site.id, 'read', 'test');
});
afterAll(async () => db?.drop());

const post = (path: string, body: unknown, token: string | null = readToken) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const body = {
  engine: 'frequentist', metric: 'mean',
  control: { n: 3407, sum: 1396.87, sum_squares: 52377.9767 },
  treatment: { n: 3461, sum: 2422.7, sum_squares: 134698.29 },
};

describe('POST /api/v1/stats/compare', () => {
  it('answers the engine on the given statistics, for any valid token (read scope here)', async () => {
    const res = await post('/api/v1/stats/compare', body);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { lift: number; ci: number[]; p_value: number; chance_to_win?: number };
    expect(json).toEqual(JSON.parse(JSON.stringify(compare(body as Parameters<typeof compare>[0]))));
    expect(json.p_value).toBeCloseTo(0.06191, 5);
    expect(json.chance_to_win).toBeUndefined();
  });

  it('bayesian answers chance_to_win and risk, no p_value', async () => {
    const res = await post('/api/v1/stats/compare', { ...body, engine: 'bayesian', metric: 'proportion', control: { n: 100, sum: 49 }, treatment: { n: 100, sum: 51 } });
    const json = (await res.json()) as Record<string, unknown>;
    expect(json.chance_to_win).toBeCloseTo(0.60918, 5);
    expect(json.risk).toHaveLength(2);
    expect(json.p_value).toBeUndefined();
  });

  it('bad bodies → 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...body, engine: 'magic' }, /^engine: /],
      [{ ...body, metric: 'ratio' }, /^metric: /],
      [{ ...body, control: { n: -1, sum: 0, sum_squares: 0 } }, /^control\.n: must be >= 0/],
      [{ ...body, treatment: { n: 10, sum: 1 } }, /^treatment\.sum_squares: required for a mean metric/],
      [{ ...body, metric: 'proportion', control: { n: 10, sum: 11 } }, /^control\.sum: must be between 0 and n/],
      [{ ...body, alpha: 1.5 }, /^alpha: must be < 1/],
      [{ ...body, prior: { mean: 0, variance: 0 } }, /^prior\.variance: must be > 0/],
      [{ ...body, difference: 'ratio' }, /^difference: /],
      [{ ...body, extra: 1 }, /extra/],
      ['{not json', /JSON/],
    ];
    for (const [b, message] of cases) {
      const res = await post('/api/v1/stats/compare', b);
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });

  it('needs a valid token', async () => {
    expect((await post('/api/v1/stats/compare', body, null)).status).toBe(401);
    expect((await post('/api/v1/stats/compare', body, 'tly_1_nope')).status).toBe(401);
  });
});

describe('POST /api/v1/stats/srm', () => {
  it('answers the chi-square p-value, weight-0 variations left out', async () => {
    const res = await post('/api/v1/stats/srm', { users: [1000, 1200, 900], weights: [0.5, 0.5, 0] });
    expect(res.status).toBe(200);
    expect(+((await res.json()) as { p_value: number }).p_value.toFixed(9)).toBe(0.000020079);
  });

  it('bad bodies → 400 naming the field', async () => {
    for (const [b, message] of [
      [{ users: [1, 2], weights: [1] }, /^weights: must have one weight per users entry/],
      [{ users: [1.5, 2], weights: [0.5, 0.5] }, /^users\.0: must be an integer/],
      [{ users: [1, 2], weights: [-1, 2] }, /^weights\.0: must be >= 0/],
      [{ weights: [0.5, 0.5] }, /^users: /],
    ] as const) {
      const res = await post('/api/v1/stats/srm', b);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });
});
