import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { createSite } from '../sites/sites.ts';
import { createToken } from '../sites/tokens.ts';
import { makeTrail, sendTrail } from './erase-data.test-helper.ts';

const run = promisify(execFile);
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };
let writeToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const s = await createSite(db.pool, { name: 'erase routes', domain: 'erase.example' });
  site = { id: s.id, token: s.token };
  const o = await createSite(db.pool, { name: 'other', domain: 'other.example' });
  other = { id: o.id, token: o.token };
  writeToken = await createToken(db.pool, s.id, 'write', 'w');
  await sendTrail(db.pool, site.id, makeTrail(3).filter((e) => e.vid === 'v1' || e.vid === 'v2'));
});
afterAll(async () => db?.drop());

const erase = (body: unknown, token = site.token, siteId = site.id) =>
  app.request(`/api/v1/sites/${siteId}/erase`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', ['bin/tally.mjs', 'erase', ...args], { env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('POST /api/v1/sites/{siteId}/erase', () => {
  it('answers 400 naming the field for bad bodies', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /visitor_id: visitor_id or customer_id is required/],
      [{ visitor_id: 5 }, /visitor_id: must be a string/],
      [{ customer_id: '' }, /customer_id: must not be empty/],
      [{ visitor_id: 'x'.repeat(65) }, /visitor_id: must be at most 64/],
      [{ customer_id: 'a\u0000b' }, /customer_id: must not contain NUL/],
      [{ visitor_id: 'v1', extra: 1 }, /extra|unrecognized/i],
      [[], /body/],
      [null, /body/],
      ['{not json', /body: must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await erase(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
  });

  it('is 404 with another site\u2019s token, 403 without admin scope, 401 without a token', async () => {
    expect((await erase({ visitor_id: 'v1' }, other.token)).status).toBe(404);
    expect((await erase({ visitor_id: 'v1' }, writeToken)).status).toBe(403);
    const res = await app.request(`/api/v1/sites/${site.id}/erase`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const n = await db.pool.query(`SELECT count(*)::int AS n FROM pageviews WHERE site_id = $1::bigint AND visitor_id = 'v1'`, [site.id]);
    expect(n.rows[0].n).toBeGreaterThan(0);
  });

  it('erases and answers the counts; an unknown person is all zeros', async () => {
    const res = await erase({ visitor_id: 'v1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deleted: Record<string, number> };
    expect(body.deleted.pageviews).toBeGreaterThan(0);
    expect(body.deleted.visitors).toBe(1);
    for (const key of ['pageviews', 'events', 'heatmap_points', 'errors', 'vitals', 'sessions', 'idempotency_keys', 'customers', 'orders', 'order_items', 'refunds', 'visitors']) {
      expect(typeof body.deleted[key], key).toBe('number');
    }
    const again = (await (await erase({ visitor_id: 'v1' })).json()) as { deleted: Record<string, number> };
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
    const audit = await db.pool.query(`SELECT actor_token_id IS NOT NULL AS actor FROM audit_log WHERE site_id = $1::bigint AND action = 'person.erase'`, [site.id]);
    expect(audit.rows).toEqual([{ actor: true }, { actor: true }]);
  });
});

describe('/openapi.json', () => {
  it('describes the erase path', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/api/v1/sites/{siteId}/erase']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '404']));
  });
});

describe('tally erase', () => {
  it('prints the same JSON as the API and exits 0; bad flags exit 2 naming them', async () => {
    const out = await cli('--site', site.id, '--visitor', 'v2');
    expect(out.code, out.stderr).toBe(0);
    const printed = JSON.parse(out.stdout.trim()) as { deleted: Record<string, number> };
    expect(printed.deleted.visitors).toBe(1);
    expect(printed.deleted.pageviews).toBeGreaterThan(0);
    const viaApi = (await (await erase({ visitor_id: 'v2' })).json()) as { deleted: Record<string, number> };
    expect(Object.keys(viaApi.deleted).sort()).toEqual(Object.keys(printed.deleted).sort());
    const bad = await cli('--site', site.id);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--visitor or --customer/);
    expect((await cli('--site', 'abc', '--visitor', 'x')).stderr).toMatch(/--site must be a site id/);
  });
});
