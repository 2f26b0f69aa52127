import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { createSite } from './sites.ts';
import { expiryFrom } from './token-admin.ts';
import { createToken } from './tokens.ts';

let db: TestDatabase;
/** Two apps on one database: two Tally instances. */
let one: ReturnType<typeof createApp>;
let two: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };

beforeAll(async () => {
  db = await createTestDatabase();
  const deps = () => ({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  one = createApp(deps());
  two = createApp(deps());
  site = await createSite(db.pool, { name: 't', domain: 'shop.test' });
  other = await createSite(db.pool, { name: 'o', domain: 'other.test' });
});
afterAll(async () => db?.drop());

const call = (app: ReturnType<typeof createApp>, method: string, path: string, token: string, body?: unknown) =>
  app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const overview = (app: ReturnType<typeof createApp>, token: string, siteId = site.id) => call(app, 'GET', `/api/v1/sites/${siteId}/reports/overview`, token);

describe('token management', () => {
  it('an admin creates, lists (never a secret) and revokes; the revoked token is refused at once on every instance', async () => {
    const created = await call(one, 'POST', `/api/v1/sites/${site.id}/tokens`, site.token, { scope: 'read', name: 'analyst' });
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: string; token: string };
    expect((await overview(one, token)).status).toBe(200);
    expect((await overview(two, token)).status).toBe(200);

    const list = (await (await call(one, 'GET', `/api/v1/sites/${site.id}/tokens`, site.token)).json()) as { tokens: Record<string, unknown>[] };
    expect(list.tokens.map((t) => t.name)).toEqual(['created with the site', 'analyst']);
    expect(JSON.stringify(list)).not.toContain(token.slice(-20));
    expect(list.tokens[1]).toMatchObject({ id, scope: 'read', status: 'live', revokedAt: null, expiresAt: null });

    const revoked = await call(two, 'DELETE', `/api/v1/sites/${site.id}/tokens/${id}`, site.token);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { status: string }).status).toBe('revoked');
    expect((await overview(one, token)).status).toBe(401);
    expect((await overview(two, token)).status).toBe(401);
  });

  it('an expired token gets 401; --expires durations parse', async () => {
    const created = (await (await call(one, 'POST', `/api/v1/sites/${site.id}/tokens`, site.token, { scope: 'read', expires: '90d' })).json()) as { id: string; token: string; expiresAt: string };
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect((await overview(one, created.token)).status).toBe(200);
    await db.pool.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1::bigint`, [created.id]);
    expect((await overview(one, created.token)).status).toBe(401);
    expect(expiryFrom('12h', 0)?.getTime()).toBe(12 * 3_600_000);
    expect(expiryFrom('0d')).toBeUndefined();
    expect(expiryFrom('soon')).toBeUndefined();
  });

  it('last used time is kept, written at most once a minute', async () => {
    const token = await createToken(db.pool, site.id, 'read');
    const lastUsed = async () => (await db.pool.query<{ t: Date | null }>(`SELECT max(last_used_at) AS t FROM api_tokens WHERE site_id = $1::bigint AND name IS NULL AND revoked_at IS NULL AND expires_at IS NULL`, [site.id])).rows[0]!.t;
    expect(await lastUsed()).toBeNull();
    await overview(one, token);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await overview(two, token);
    await overview(one, token);
    expect((await lastUsed())!.getTime()).toBe(first!.getTime());
    await db.pool.query(`UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE site_id = $1::bigint AND name IS NULL`, [site.id]);
    await overview(one, token);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(Date.now() - 5_000);
  });

  it('the audit log records token creation and revocation with the acting token, newest first (admin only)', async () => {
    const adminId = (await db.pool.query<{ id: string }>(`SELECT id::text AS id FROM api_tokens WHERE site_id = $1::bigint AND name = 'created with the site'`, [site.id])).rows[0]!.id;
    const { id } = (await (await call(one, 'POST', `/api/v1/sites/${site.id}/tokens`, site.token, { scope: 'write', name: 'backend' })).json()) as { id: string };
    await call(one, 'DELETE', `/api/v1/sites/${site.id}/tokens/${id}`, site.token);
    const res = await call(two, 'GET', `/api/v1/sites/${site.id}/audit?limit=2`, site.token);
    expect(res.status).toBe(200);
    const { entries } = (await res.json()) as { entries: { action: string; target: string; actorTokenId: string; detail: unknown }[] };
    expect(entries.map((e) => [e.action, e.target, e.actorTokenId])).toEqual([['token.revoke', id, adminId], ['token.create', id, adminId]]);
    expect(entries[1]!.detail).toMatchObject({ scope: 'write', name: 'backend' });
    const read = await createToken(db.pool, site.id, 'read');
    expect((await call(one, 'GET', `/api/v1/sites/${site.id}/audit`, read)).status).toBe(403);
    expect((await call(one, 'GET', `/api/v1/sites/${site.id}/audit`, other.token)).status).toBe(404);
    const otherLog = (await (await call(one, 'GET', `/api/v1/sites/${other.id}/audit`, other.token)).json()) as { entries: unknown[] };
    expect(otherLog.entries).toEqual([]);
    expect((await call(one, 'GET', `/api/v1/sites/${site.id}/audit?limit=0`, site.token)).status).toBe(400);
  });

  it('needs admin scope of that site; bad input → 400 naming it; an unknown id → 404', async () => {
    const read = await createToken(db.pool, site.id, 'read');
    expect((await call(one, 'GET', `/api/v1/sites/${site.id}/tokens`, read)).status).toBe(403);
    expect((await call(one, 'GET', `/api/v1/sites/${site.id}/tokens`, other.token)).status).toBe(404);
    const otherToken = (await (await call(one, 'GET', `/api/v1/sites/${other.id}/tokens`, other.token)).json()) as { tokens: { id: string }[] };
    expect((await call(one, 'DELETE', `/api/v1/sites/${site.id}/tokens/${otherToken.tokens[0]!.id}`, site.token)).status).toBe(404);
    expect((await call(one, 'DELETE', `/api/v1/sites/${site.id}/tokens/999999`, site.token)).status).toBe(404);
    const bad = await call(one, 'POST', `/api/v1/sites/${site.id}/tokens`, site.token, { scope: 'root' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^scope: /);
    const badExpiry = await call(one, 'POST', `/api/v1/sites/${site.id}/tokens`, site.token, { scope: 'read', expires: 'tomorrow' });
    expect(((await badExpiry.json()) as { error: string }).error).toMatch(/^expires: must be a duration/);
  });
});
