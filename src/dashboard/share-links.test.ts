import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { openApiDocument } from '../http/openapi.ts';
import { createLogger } from '../log.ts';
import { createSite } from '../sites/sites.ts';
import { createToken } from '../sites/tokens.ts';
import { shareUrl } from './share-links.ts';

/** Share links (issue #20 point 2) through the app, on a real PostgreSQL. */
let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let proxied: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };

beforeAll(async () => {
  db = await createTestDatabase();
  const deps = (env: Record<string, string> = {}) => ({ config: loadConfig({ DATABASE_URL: db.url, ...env }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  app = createApp(deps());
  proxied = createApp(deps({ TRUST_PROXY: 'true' }));
  site = await createSite(db.pool, { name: 's', domain: 'shop.test' });
  other = await createSite(db.pool, { name: 'o', domain: 'other.test' });
});
afterAll(async () => db?.drop());

const call = (method: string, path: string, token: string, body?: unknown, a = app, headers: Record<string, string> = {}) =>
  a.request(`http://tally.test:8787${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
const links = `/api/v1/sites/${'{site}'}/share-links`;
const path = (siteId: string, rest = '') => links.replace('{site}', siteId) + rest;
const overview = (token: string, siteId = site.id) => call('GET', `/api/v1/sites/${siteId}/reports/overview`, token);

type Link = { id: string; url: string; token: string; created_at: string; name: string | null; expires_at: string | null; status: string; revoked_at: string | null };

describe('share links', () => {
  it('an admin creates a read-only link (201, url with the token in the fragment), lists it without its token, and revokes it; all audited', async () => {
    const res = await call('POST', path(site.id), site.token, { name: 'for the board', fragment: 'view=revenue&period=7d&share=nope' });
    expect(res.status).toBe(201);
    const link = (await res.json()) as Link;
    expect(link).toMatchObject({ name: 'for the board', status: 'live', expires_at: null, revoked_at: null });
    expect(link.token).toMatch(new RegExp(`^tly_${site.id}_[A-Za-z0-9_-]{43}$`));
    expect(link.url).toBe(`http://tally.test:8787/dashboard#share=${link.token}&view=revenue&period=7d`);
    expect(Number.isNaN(Date.parse(link.created_at))).toBe(false);

    // Read scope only: reports yes; writes, admin and other sites no.
    expect((await overview(link.token)).status).toBe(200);
    expect((await call('POST', `/api/v1/sites/${site.id}/orders`, link.token, [])).status).toBe(403);
    expect((await call('GET', path(site.id), link.token)).status).toBe(403);
    expect((await call('POST', path(site.id), link.token, {})).status).toBe(403);
    expect((await overview(link.token, other.id)).status).toBe(404);
    const scope = await db.pool.query('SELECT scope, kind FROM api_tokens WHERE site_id = $1::bigint AND id = $2::bigint', [site.id, link.id]);
    expect(scope.rows[0]).toEqual({ scope: 'read', kind: 'share_link' });

    const list = (await (await call('GET', path(site.id), site.token)).json()) as { share_links: Link[] };
    expect(list.share_links.map((l) => l.id)).toEqual([link.id]); // API tokens are not share links
    expect(JSON.stringify(list)).not.toContain(link.token.slice(-20));

    const revoked = await call('DELETE', path(site.id, `/${link.id}`), site.token);
    expect(revoked.status).toBe(200);
    const body = (await revoked.json()) as Link;
    expect(body).toMatchObject({ id: link.id, status: 'revoked' });
    expect(body.revoked_at).not.toBeNull();
    expect((await overview(link.token)).status).toBe(401);
    // Revoking again keeps the first time.
    expect(((await (await call('DELETE', path(site.id, `/${link.id}`), site.token)).json()) as Link).revoked_at).toBe(body.revoked_at);

    const audit = await db.pool.query<{ action: string; target: string; actor: string }>(
      `SELECT action, target, actor_token_id::text AS actor FROM audit_log WHERE site_id = $1::bigint AND action LIKE 'share_link.%' ORDER BY id`,
      [site.id],
    );
    const adminId = (await db.pool.query<{ id: string }>(`SELECT id::text AS id FROM api_tokens WHERE site_id = $1::bigint AND scope = 'admin'`, [site.id])).rows[0]!.id;
    expect(audit.rows).toEqual([
      { action: 'share_link.create', target: link.id, actor: adminId },
      { action: 'share_link.revoke', target: link.id, actor: adminId },
      { action: 'share_link.revoke', target: link.id, actor: adminId },
    ]);
  });

  it('takes an empty body, an expiry, and the proxy origin only with TRUST_PROXY', async () => {
    const empty = await app.request(`http://tally.test${path(site.id)}`, { method: 'POST', headers: { authorization: `Bearer ${site.token}` } });
    expect(empty.status).toBe(201);
    expect(((await empty.json()) as Link).url).toMatch(/^http:\/\/tally\.test\/dashboard#share=tly_/);

    const expiring = (await (await call('POST', path(site.id), site.token, { expires: '30d' })).json()) as Link;
    expect(Date.parse(expiring.expires_at!) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'stats.shop.example' };
    const behind = (await (await call('POST', path(site.id), site.token, {}, proxied, fwd)).json()) as Link;
    expect(behind.url.startsWith('https://stats.shop.example/dashboard#share=')).toBe(true);
    const direct = (await (await call('POST', path(site.id), site.token, {}, app, fwd)).json()) as Link;
    expect(direct.url.startsWith('http://tally.test:8787/dashboard#share=')).toBe(true);
  });

  it('refuses bad input with a 400 naming the field, and another site’s token or link with 404', async () => {
    const bad: [unknown, string][] = [
      [{ scope: 'admin' }, 'scope'],
      [{ expires: 'forever' }, 'expires'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: 'a\u0000b' }, 'name'],
      [{ fragment: 'view=x y' }, 'fragment'],
      [[], 'body'],
      ['{not json', 'body'],
    ];
    for (const [body, field] of bad) {
      const res = await call('POST', path(site.id), site.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(field);
    }
    expect((await call('DELETE', path(site.id, '/abc'), site.token)).status).toBe(400);
    expect((await call('DELETE', path(site.id, '/999999'), site.token)).status).toBe(404);
    expect((await call('POST', path(site.id), other.token, {})).status).toBe(404);
    expect((await call('GET', path(site.id), other.token)).status).toBe(404);
    // An API token's id is not a share link: DELETE …/share-links/{api token id} leaves it alone.
    const readToken = await createToken(db.pool, site.id, 'read', 'not a link');
    const id = (await db.pool.query<{ id: string }>(`SELECT id::text AS id FROM api_tokens WHERE name = 'not a link'`)).rows[0]!.id;
    expect((await call('DELETE', path(site.id, `/${id}`), site.token)).status).toBe(404);
    expect((await overview(readToken)).status).toBe(200);
    // Another site's link cannot be revoked through this site.
    const theirs = (await (await call('POST', path(other.id), other.token, {})).json()) as Link;
    expect((await call('DELETE', path(site.id, `/${theirs.id}`), site.token)).status).toBe(404);
    expect((await overview(theirs.token, other.id)).status).toBe(200);
    // The database refuses a share link with more than read scope, whatever writes it.
    await expect(db.pool.query(`UPDATE api_tokens SET scope = 'admin' WHERE id = $1::bigint`, [theirs.id])).rejects.toThrow(/api_tokens_share_link_read/);
  });

  it('GET /token answers the bearer token’s own scope and kind, for any scope of the site', async () => {
    const link = (await (await call('POST', path(site.id), site.token, {})).json()) as Link;
    const write = await createToken(db.pool, site.id, 'write', 'store');
    const info = async (token: string, siteId = site.id) => {
      const res = await call('GET', `/api/v1/sites/${siteId}/token`, token);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await info(site.token)).toMatchObject({ status: 200, body: { scope: 'admin', kind: 'api', expires_at: null } });
    expect(await info(write)).toMatchObject({ status: 200, body: { scope: 'write', kind: 'api' } });
    expect(await info(link.token)).toMatchObject({ status: 200, body: { id: link.id, scope: 'read', kind: 'share_link' } });
    expect((await info(site.token, other.id)).status).toBe(404);
    expect((await info('tly_1_nope')).status).toBe(401);
  });

  it('is in /openapi.json, and shareUrl puts share first and only once', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/v1/sites/{siteId}/share-links'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/api/v1/sites/{siteId}/share-links/{id}'] ?? {})).toEqual(['delete']);
    expect(Object.keys(paths['/api/v1/sites/{siteId}/token'] ?? {})).toEqual(['get']);
    expect(shareUrl('https://t.example', 'tly_1_x', '#view=funnels&funnel=3&share=y')).toBe('https://t.example/dashboard#share=tly_1_x&view=funnels&funnel=3');
  });
});
