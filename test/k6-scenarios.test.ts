import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runK6Once } from '../loadtest/k6-harness/run.ts';
import type { RunningServer } from '../src/server.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestServer } from './helpers/server.ts';

/**
 * Every k6 scenario in loadtest/k6 runs for one iteration against a live Tally: the scripts stay
 * valid although the k6 binary cannot be installed here (their load runs use `k6 run`).
 */
const K6_DIR = resolve(import.meta.dirname, '../loadtest/k6');
const scenarios = readdirSync(K6_DIR).filter((f) => f.endsWith('.js') && f !== 'lib.js');

let db: TestDatabase;
let server: RunningServer;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db.url);
  const site = await createSite(db.pool, { name: 'k6 shop', domain: 'shop.example' });
  env = { BASE_URL: server.url, SITE_KEY: site.publicKey, SITE_ID: site.id, TOKEN: site.token, SITE_HOST: 'shop.example' };
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('k6 scenarios (one iteration each)', () => {
  it('has scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(4);
  });

  it.each(scenarios)('%s runs, and every check passes', async (file) => {
    const result = await runK6Once(resolve(K6_DIR, file), env);
    expect(result.errors).toEqual([]);
    expect(result.requests.length).toBeGreaterThan(0);
    expect(result.checks.length).toBeGreaterThan(0);
    const failed = result.checks.filter((c) => c.fails > 0);
    expect(failed, JSON.stringify(result.requests)).toEqual([]);
  });

  it('the collect scenarios store what they sent', async () => {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pageviews');
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
  });
});
