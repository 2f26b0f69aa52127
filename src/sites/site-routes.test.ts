import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { SiteChanges } from './site-changes.ts';
import { parseOrigin } from './site-settings.ts';
import { createSite } from './sites.ts';
import { createToken } from './tokens.ts';

const run = promisify(execFile);
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
const changes = new SiteChanges();
const published: string[] = [];
let site: { id: string; publicKey: string; token: string };
let other: { id: string; token: string };

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry(), siteChanges: changes });
  changes.subscribe((c) => published.push(c.publicKey));
  site = await createSite(db.pool, { name: 'Shop', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  other = await createSite(db.pool, { name: 'Other', domain: 'other.test' });
});
afterAll(async () => db?.drop());

const call = async (method: string, body?: unknown, token = site.token, siteId = site.id) => {
  const res = await app.request(`/api/v1/sites/${siteId}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /api/v1/sites/{siteId}', () => {
  it('answers the site in snake_case, never a token', async () => {
    const { status, body } = await call('GET');
    expect(status).toBe(200);
    expect(body).toEqual({
      id: site.id, public_key: site.publicKey, name: 'Shop', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR',
      allowed_origins: [], retention_months: 25, visitor_id_mode: 'auto', search_params: [], created_at: expect.any(String),
    });
    expect(JSON.stringify(body)).not.toContain(site.token);
  });

  it('needs an admin token of this site: another site → 404, read scope → 403, none → 401', async () => {
    expect((await call('GET', undefined, other.token)).status).toBe(404);
    expect((await call('PATCH', { name: 'x' }, other.token)).status).toBe(404);
    const read = await createToken(db.pool, site.id, 'read');
    expect((await call('GET', undefined, read)).status).toBe(403);
    expect((await call('PATCH', { name: 'x' }, read)).status).toBe(403);
    expect((await call('GET', undefined, 'tly_1_nope')).status).toBe(401);
  });
});

describe('PATCH /api/v1/sites/{siteId}', () => {
  it('round trip: every field changes, the answer and GET agree, one audit entry names old and new values', async () => {
    const patch = {
      name: 'Shop two', domain: 'Shop.Example', timezone: 'america/new_york', currency: 'USD',
      allowed_origins: ['https://shop.example', 'http://localhost:5173', 'https://SHOP.example/'], retention_months: 13,
      visitor_id_mode: 'cookieless', search_params: ['q', 's', 'q'],
    };
    const { status, body } = await call('PATCH', patch);
    expect(status).toBe(200);
    const expected = {
      name: 'Shop two', domain: 'shop.example', timezone: 'America/New_York', currency: 'USD',
      allowed_origins: ['https://shop.example', 'http://localhost:5173'], retention_months: 13, visitor_id_mode: 'cookieless', search_params: ['q', 's'],
    };
    expect(body).toMatchObject(expected);
    expect((await call('GET')).body).toEqual(body);
    expect(published).toEqual([site.publicKey]);
    const audit = await db.pool.query(`SELECT action, target, actor_token_id::text AS actor, detail FROM audit_log WHERE site_id = $1 AND action = 'site.update'`, [site.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].actor).not.toBeNull();
    expect(audit.rows[0].detail.changed.currency).toEqual({ old: 'EUR', new: 'USD' });
    expect(audit.rows[0].detail.changed.search_params).toEqual({ old: [], new: ['q', 's'] });
    expect(Object.keys(audit.rows[0].detail.changed).sort()).toEqual(Object.keys(expected).sort());
    // The same values again: nothing changes, nothing recorded, nothing published.
    expect((await call('PATCH', { currency: 'USD', search_params: ['q', 's'] })).status).toBe(200);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE site_id = $1 AND action = 'site.update'`, [site.id])).rows[0].n).toBe(1);
    expect(published).toHaveLength(1);
    // Lists can be cleared.
    expect((await call('PATCH', { allowed_origins: [], search_params: [] })).body).toMatchObject({ allowed_origins: [], search_params: [] });
  });

  it('every field is validated: a 400 naming it, and nothing of the request is stored (all-or-nothing)', async () => {
    const before = (await call('GET')).body;
    const cases: [Record<string, unknown> | unknown[], string][] = [
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ currency: 'XYZ' }, 'currency'],
      [{ currency: 'usd' }, 'currency'],
      [{ allowed_origins: ['https://shop.example/path'] }, 'allowed_origins.0'],
      [{ allowed_origins: ['ftp://shop.example'] }, 'allowed_origins.0'],
      [{ allowed_origins: ['https://ok.example', 'shop.example'] }, 'allowed_origins.1'],
      [{ allowed_origins: ['https://shop.example?x=1'] }, 'allowed_origins.0'],
      [{ allowed_origins: 'https://shop.example' }, 'allowed_origins'],
      [{ search_params: [''] }, 'search_params.0'],
      [{ search_params: Array.from({ length: 11 }, (_, i) => `p${i}`) }, 'search_params'],
      [{ retention_months: 0 }, 'retention_months'],
      [{ retention_months: 1.5 }, 'retention_months'],
      [{ retention_months: '13' }, 'retention_months'],
      [{ visitor_id_mode: 'fingerprint' }, 'visitor_id_mode'],
      [{ name: '' }, 'name'],
      [{ domain: 'https://shop.example' }, 'domain'],
      [{ name: 'fine', colour: 'blue' }, 'colour'],
      [{ name: 'fine', currency: 'XYZ' }, 'currency'],
      [{}, 'body'],
      [[], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await call('PATCH', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(String(res.body.error), JSON.stringify(body)).toMatch(new RegExp(`^${field.replace('.', '\\.')}:|; ${field.replace('.', '\\.')}:`));
    }
    expect((await call('PATCH', '{not json')).status).toBe(400);
    expect((await call('GET')).body).toEqual(before);
  });

  it('is described in /openapi.json', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/sites/{siteId}'] ?? {}).sort()).toEqual(['get', 'patch']);
  });

  it('origins: only http(s)://host[:port]', () => {
    expect(parseOrigin('https://Shop.Example:443')).toBe('https://shop.example');
    expect(parseOrigin('http://localhost:8080/')).toBe('http://localhost:8080');
    for (const bad of ['https://a.test/x', 'https://a.test#f', 'https://a.test/?', 'https://u:p@a.test', 'javascript:alert(1)', 'a.test', 'https://']) {
      expect(parseOrigin(bad), bad).toBeUndefined();
    }
  });
});

describe('tally site update', () => {
  const cli = async (...args: string[]) => {
    try {
      const r = await run('node', ['bin/tally.mjs', 'site', 'update', ...args], { env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('changes fields and prints the site as one JSON line; the audit entry says via cli', async () => {
    const r = await cli('--site', other.id, '--allowed-origins', 'https://a.example,https://b.example', '--search-params', 'q,s', '--retention-months', '13', '--timezone', 'Asia/Kathmandu');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: other.id, allowed_origins: ['https://a.example', 'https://b.example'], search_params: ['q', 's'], retention_months: 13, timezone: 'Asia/Kathmandu' });
    const audit = await db.pool.query(`SELECT actor_token_id, detail FROM audit_log WHERE site_id = $1 AND action = 'site.update'`, [other.id]);
    expect(audit.rows).toEqual([{ actor_token_id: null, detail: expect.objectContaining({ via: 'cli' }) }]);
  });

  it('a bad value is a usage error naming the field; an unknown site exits 1', async () => {
    const bad = await cli('--site', other.id, '--currency', 'XYZ');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/currency:/);
    const months = await cli('--site', other.id, '--retention-months', 'many');
    expect(months.code).toBe(2);
    expect(months.stderr).toMatch(/retention_months:/);
    expect((await cli('--site', '999999', '--name', 'x')).code).toBe(1);
  });
});
