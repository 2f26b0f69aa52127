import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { cookielessVisitorId, utcDay } from '../ingest/enrich/visitor.ts';
import { createPool } from '../db/pool.ts';
import { createLogger } from '../log.ts';
import { createSite } from '../sites/sites.ts';
import { createToken } from '../sites/tokens.ts';
import { assignVariant } from './assign.ts';
import { RUNNING_TTL_MS } from './running-cache.ts';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
/** A second instance on the same database: its own caches, as another server process. */
let otherInstance: ReturnType<typeof createApp>;
let site: { id: string; publicKey: string; token: string };
let cookieless: { id: string; publicKey: string; token: string };
let readToken: string;

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const three = { key: 'three', seed: 'seed-3', coverage: 0.8, variants: [{ key: 'a', weight: 0.2 }, { key: 'b', weight: 0.3 }, { key: 'c', weight: 0.5 }] };
const metrics = [{ key: 'orders', type: 'order' }];

const define = (siteId: string, token: string, body: Record<string, unknown>) =>
  app.request(`/api/v1/sites/${siteId}/experiments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ metrics, ...body }) });
const patch = (key: string, status: string) =>
  app.request(`/api/v1/sites/${site.id}/experiments/${key}`, { method: 'PATCH', headers: { authorization: `Bearer ${site.token}` }, body: JSON.stringify({ status }) });
const publicAssign = async (query: string, target = app, headers: Record<string, string> = {}) => {
  const res = await target.request(`/collect/assign?${query}`, { headers: { 'user-agent': UA, ...headers } });
  return { res, body: (await res.json()) as Record<string, string | null> };
};
const serverAssign = async (key: string, visitorId: string) => {
  const res = await app.request(`/api/v1/sites/${site.id}/experiments/${key}/assign?visitor_id=${encodeURIComponent(visitorId)}`, { headers: { authorization: `Bearer ${readToken}` } });
  return ((await res.json()) as { variant: string | null }).variant;
};

beforeAll(async () => {
  db = await createTestDatabase();
  const deps = () => ({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  app = createApp(deps());
  otherInstance = createApp(deps());
  site = await createSite(db.pool, { name: 'assign', domain: 'assign.test', allowedOrigins: ['https://assign.test'] });
  cookieless = await createSite(db.pool, { name: 'cookieless', domain: 'c.test', visitorIdMode: 'cookieless' });
  readToken = await createToken(db.pool, site.id, 'read');
  await define(site.id, site.token, { ...three, status: 'running' });
  await define(site.id, site.token, { key: 'half', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }], status: 'running' });
  await define(site.id, site.token, { key: 'drafted', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }] });
  await define(cookieless.id, cookieless.token, { key: 'half', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }], status: 'running' });
});
afterAll(async () => db?.drop());

describe('assignment endpoints', () => {
  it('/collect/assign, the server-side endpoint and assignVariant agree for 300 visitors', async () => {
    const half = { key: 'half', coverage: 1, variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }] };
    let outside = 0;
    for (let i = 0; i < 300; i++) {
      const vid = `visitor-${i}`;
      const { res, body } = await publicAssign(`site=${site.publicKey}&experiments=three,half,drafted,nope&vid=${vid}`);
      expect(res.status).toBe(200);
      const expected = { three: assignVariant(three, vid), half: assignVariant(half, vid), drafted: null, nope: null };
      expect(body).toEqual(expected);
      expect(await serverAssign('three', vid)).toBe(expected.three);
      expect(await serverAssign('half', vid)).toBe(expected.half);
      if (expected.three === null) outside++;
    }
    // coverage 0.8: about a fifth of visitors are in no variant (binomial sd ≈ 7)
    expect(outside).toBeGreaterThan(30);
    expect(outside).toBeLessThan(90);
  });

  it('is deterministic and splits by weight (20,000 ids, 2 % tolerance ≈ 6 sd)', () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, null: 0 };
    for (let i = 0; i < 20_000; i++) {
      const v = assignVariant(three, `u${i}`);
      expect(assignVariant(three, `u${i}`)).toBe(v);
      counts[String(v)]!++;
    }
    expect(counts.a! / 20_000).toBeCloseTo(0.8 * 0.2, 1);
    for (const [k, share] of [['a', 0.16], ['b', 0.24], ['c', 0.4], ['null', 0.2]] as const) expect(Math.abs(counts[k]! / 20_000 - share)).toBeLessThan(0.02);
  });

  it('without vid uses the cookieless id /collect derives (site, IP, user agent, salt of the day); a cookieless site ignores vid', async () => {
    const { res, body } = await publicAssign(`site=${site.publicKey}&experiments=half`);
    const salt = (await db.pool.query<{ salt: Buffer }>('SELECT salt FROM visitor_salts WHERE day = $1::date', [utcDay(Date.now())])).rows[0]!.salt;
    const id = cookielessVisitorId(salt, site.id, '', UA);
    expect(body).toEqual({ half: assignVariant({ key: 'half', coverage: 1, variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }] }, id) });
    expect(res.headers.get('vary')).toBe('User-Agent');
    expect((await publicAssign(`site=${site.publicKey}&experiments=half&vid=`)).body).toEqual(body); // empty vid = none
    // a cookieless site: the same answer with any vid
    const cid = cookielessVisitorId(salt, cookieless.id, '', UA);
    const expected = assignVariant({ key: 'half', coverage: 1, variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }] }, cid);
    for (const vid of ['x1', 'x2', 'x3']) expect((await publicAssign(`site=${cookieless.publicKey}&experiments=half&vid=${vid}`)).body).toEqual({ half: expected });
  });

  it('answers with CORS, private short caching, and 400/403 naming the problem', async () => {
    const ok = await publicAssign(`site=${site.publicKey}&experiments=half&vid=v`, app, { origin: 'https://assign.test' });
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('access-control-allow-origin')).toBe('*');
    expect(ok.res.headers.get('cache-control')).toBe('private, max-age=5');
    const cases: [string, RegExp][] = [
      [`site=${site.publicKey}`, /^experiments:/],
      [`site=${site.publicKey}&experiments=`, /^experiments:/],
      ['experiments=half', /^site:/],
      ['site=pk_unknown&experiments=half', /^site: unknown/],
      [`site=${site.publicKey}&experiments=half&vid=${'x'.repeat(65)}`, /^vid:/],
    ];
    for (const [query, error] of cases) {
      const { res, body } = await publicAssign(query);
      expect(res.status).toBe(400);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(body.error).toMatch(error);
    }
    const foreign = await publicAssign(`site=${site.publicKey}&experiments=half`, app, { origin: 'https://evil.test' });
    expect(foreign.res.status).toBe(403);
    const noVisitor = await app.request(`/api/v1/sites/${site.id}/experiments/half/assign`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(noVisitor.status).toBe(400);
    expect(((await noVisitor.json()) as { error: string }).error).toMatch(/^visitor_id:/);
    const otherSite = await app.request(`/api/v1/sites/${site.id}/experiments/half/assign?visitor_id=v`, { headers: { authorization: `Bearer ${cookieless.token}` } });
    expect(otherSite.status).toBe(404);
  });

  it('assigns only while running: draft and stopped answer null, at once on the instance that changed it', async () => {
    const vid = 'gate-visitor';
    expect((await publicAssign(`site=${site.publicKey}&experiments=drafted&vid=${vid}`)).body.drafted).toBeNull();
    expect(await serverAssign('drafted', vid)).toBeNull();
    await patch('drafted', 'running');
    const variant = (await publicAssign(`site=${site.publicKey}&experiments=drafted&vid=${vid}`)).body.drafted;
    expect(variant).toMatch(/^(control|treatment)$/);
    expect(await serverAssign('drafted', vid)).toBe(variant);
    await patch('drafted', 'stopped');
    expect((await publicAssign(`site=${site.publicKey}&experiments=drafted&vid=${vid}`)).body.drafted).toBeNull();
    expect(await serverAssign('drafted', vid)).toBeNull();
  });

  it('another instance sees a status change within 5 s (its cache lives < 5 s)', async () => {
    await define(site.id, site.token, { key: 'remote', variants: [{ key: 'on', weight: 1 }, { key: 'off', weight: 0 }] });
    const ask = async () => (await publicAssign(`site=${site.publicKey}&experiments=remote&vid=r`, otherInstance)).body.remote;
    expect(await ask()).toBeNull(); // the other instance has now cached the site's running set
    const changed = Date.now();
    await patch('remote', 'running');
    let seen: string | null = null;
    while (seen === null && Date.now() - changed < 6_000) {
      seen = (await ask()) ?? null;
      if (seen === null) await new Promise((r) => setTimeout(r, 100));
    }
    const took = Date.now() - changed;
    expect(seen).toBe('on');
    expect(took).toBeLessThan(5_000);
    expect(took).toBeLessThanOrEqual(RUNNING_TTL_MS + 200);
  }, 10_000);

  it('503 with CORS and Retry-After when PostgreSQL is unreachable (a site never seen)', async () => {
    const pool = createPool('postgres://tally@127.0.0.1:1/none', { max: 1 });
    const down = createApp({ config: loadConfig({ DATABASE_URL: db.url, WRITE_TIMEOUT_MS: '1000' }), pool, logger: createLogger('silent'), registry: new Registry() });
    const { res } = await publicAssign(`site=${site.publicKey}&experiments=half&vid=v`, down);
    expect(res.status).toBe(503);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('retry-after')).toBe('5');
    await pool.end();
  });
});
