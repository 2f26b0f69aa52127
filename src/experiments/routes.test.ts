import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { loadConfig } from '../config.ts';
import { createApp } from '../http/app.ts';
import { ingestDirect } from '../ingest/writer/direct.ts';
import { createLogger } from '../log.ts';
import { createSite } from '../sites/sites.ts';
import { createToken } from '../sites/tokens.ts';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let site: { id: string; token: string };
let other: { id: string; token: string };
let readToken: string;
let writeToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  site = await createSite(db.pool, { name: 'exp', domain: 'exp.test' });
  other = await createSite(db.pool, { name: 'other', domain: 'other.test' });
  readToken = await createToken(db.pool, site.id, 'read');
  writeToken = await createToken(db.pool, site.id, 'write');
});
afterAll(async () => db?.drop());

const definition = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }],
  metrics: [{ key: 'orders', type: 'order' }],
  ...extra,
});
const send = (method: string, path: string, body: unknown, token = writeToken) =>
  app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const get = (path: string, token = readToken) => app.request(path, { headers: { authorization: `Bearer ${token}` } });
const url = (rest = '') => `/api/v1/sites/${site.id}/experiments${rest}`;

describe('experiment definitions API', () => {
  it('creates (201) with defaults, then updates by key (200) keeping what was not sent', async () => {
    const created = await send('POST', url(), definition('button', { name: 'Button colour' }));
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      key: 'button', name: 'Button colour', seed: null, coverage: 1, status: 'draft', started_at: null, stopped_at: null,
      metrics: [{ key: 'orders', type: 'order', statistic: 'conversion' }],
      variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }],
    });
    expect(body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const updated = await send('POST', url(), definition('button', { coverage: 0.4, seed: 's1', metrics: [{ key: 'cta', type: 'event', name: 'click', props: { id: 'cta' }, statistic: 'count' }] }));
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ key: 'button', name: 'Button colour', seed: 's1', coverage: 0.4, status: 'draft', metrics: [{ key: 'cta', type: 'event', name: 'click', props: { id: 'cta' }, statistic: 'count' }] });

    const got = await get(url('/button'));
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ key: 'button', coverage: 0.4 });
    const list = (await (await get(url())).json()) as { experiments: { key: string }[] };
    expect(list.experiments.map((e) => e.key)).toEqual(['button']);
  });

  it('PATCH status sets started_at and stopped_at on the first transition only', async () => {
    await send('POST', url(), definition('lifecycle'));
    const started = (await (await send('PATCH', url('/lifecycle'), { status: 'running' })).json()) as Record<string, string | null>;
    expect(started.status).toBe('running');
    expect(started.started_at).not.toBeNull();
    expect(started.stopped_at).toBeNull();
    const stopped = (await (await send('PATCH', url('/lifecycle'), { status: 'stopped' })).json()) as Record<string, string | null>;
    expect(stopped.stopped_at).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    const again = (await (await send('PATCH', url('/lifecycle'), { status: 'running' })).json()) as Record<string, string | null>;
    expect(again.status).toBe('running');
    expect(again.started_at).toBe(started.started_at);
    expect(again.stopped_at).toBe(stopped.stopped_at);
    // created running at once: started now
    const direct = (await (await send('POST', url(), definition('born-running', { status: 'running' }))).json()) as Record<string, string | null>;
    expect(direct.started_at).not.toBeNull();
  });

  it.each([
    ['one variant', { variants: [{ key: 'a', weight: 1 }] }, 'variants'],
    ['eleven variants', { variants: Array.from({ length: 11 }, (_, i) => ({ key: `v${i}`, weight: 1 / 11 })) }, 'variants'],
    ['weights summing to 0.9', { variants: [{ key: 'a', weight: 0.5 }, { key: 'b', weight: 0.4 }] }, 'variants'],
    ['a negative weight', { variants: [{ key: 'a', weight: 1.5 }, { key: 'b', weight: -0.5 }] }, 'variants.0.weight'],
    ['duplicate variant keys', { variants: [{ key: 'a', weight: 0.5 }, { key: 'a', weight: 0.5 }] }, 'variants'],
    ['coverage over 1', { coverage: 1.2 }, 'coverage'],
    ['no metric', { metrics: [] }, 'metrics'],
    ['an unknown metric type', { metrics: [{ key: 'm', type: 'pageview' }] }, 'metrics.0'],
    ['an event metric without name', { metrics: [{ key: 'm', type: 'event' }] }, 'metrics.0.name'],
    ['an order metric with statistic count', { metrics: [{ key: 'm', type: 'order', statistic: 'count' }] }, 'metrics.0.statistic'],
    ['an unknown status', { status: 'paused' }, 'status'],
    ['a numeric seed', { seed: 42 }, 'seed'],
    ['a key with spaces', { key: 'has space' }, 'key'],
  ])('400 naming the field for %s', async (_, extra, field) => {
    const res = await send('POST', url(), definition('bad', extra));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}[.:]`));
  });

  it('accepts weights summing to 1 within 1e-6 (three thirds)', async () => {
    const thirds = [0, 1, 2].map((i) => ({ key: `v${i}`, weight: 0.333333 + (i === 0 ? 0.000001 : 0) }));
    expect((await send('POST', url(), definition('thirds', { variants: thirds }))).status).toBe(201);
  });

  it('400 for malformed JSON and a bad PATCH status; 404 for an unknown key', async () => {
    expect((await send('POST', url(), '{nope')).status).toBe(400);
    const bad = await send('PATCH', url('/button'), { status: 'done' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^status:/);
    expect((await send('PATCH', url('/missing'), { status: 'running' })).status).toBe(404);
    expect((await get(url('/missing'))).status).toBe(404);
  });

  it("another site's token gets 404; a read token cannot write (403)", async () => {
    expect((await get(url(), other.token)).status).toBe(404);
    expect((await get(url('/button'), other.token)).status).toBe(404);
    expect((await send('POST', url(), definition('x'), other.token)).status).toBe(404);
    expect((await send('PATCH', url('/button'), { status: 'running' }, other.token)).status).toBe(404);
    expect((await send('POST', url(), definition('x'), readToken)).status).toBe(403);
    expect((await get(url(), '')).status).toBe(401);
  });

  it('409 when variant keys or weights change after exposures; other fields may still change', async () => {
    await send('POST', url(), definition('exposed', { status: 'running' }));
    // before any exposure, weights may change
    expect((await send('POST', url(), definition('exposed', { variants: [{ key: 'control', weight: 0.6 }, { key: 'treatment', weight: 0.4 }] }))).status).toBe(200);
    // an exposure of another experiment, and one on another site, do not count
    await ingestDirect(db.pool, { siteId: site.id, events: [{ type: 'event', name: '$exposure', props: { experiment: 'button', variant: 'control' }, vid: 'v0', ts: Date.now() }] });
    await ingestDirect(db.pool, { siteId: other.id, events: [{ type: 'event', name: '$exposure', props: { experiment: 'exposed', variant: 'control' }, vid: 'v0', ts: Date.now() }] });
    expect((await send('POST', url(), definition('exposed', { variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }] }))).status).toBe(200);
    await ingestDirect(db.pool, { siteId: site.id, events: [{ type: 'event', name: '$exposure', props: { experiment: 'exposed', variant: 'treatment' }, vid: 'v1', ts: Date.now() - 40 * 86_400_000 }] });
    const weights = await send('POST', url(), definition('exposed', { variants: [{ key: 'control', weight: 0.7 }, { key: 'treatment', weight: 0.3 }] }));
    expect(weights.status).toBe(409);
    expect(((await weights.json()) as { error: string }).error).toMatch(/^variants:/);
    const keys = await send('POST', url(), definition('exposed', { variants: [{ key: 'control', weight: 0.5 }, { key: 'green', weight: 0.5 }] }));
    expect(keys.status).toBe(409);
    const reordered = await send('POST', url(), definition('exposed', { variants: [{ key: 'treatment', weight: 0.5 }, { key: 'control', weight: 0.5 }] }));
    expect(reordered.status).toBe(409);
    const renamed = await send('POST', url(), definition('exposed', { name: 'New name', coverage: 0.5, metrics: [{ key: 'rev', type: 'order', statistic: 'revenue' }] }));
    expect(renamed.status).toBe(200);
    expect(await (await get(url('/exposed'))).json()).toMatchObject({ name: 'New name', coverage: 0.5, variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }] });
  });

  it('records creates, updates and status changes in the audit log; a refused change records nothing', async () => {
    const { rows: [token] } = await db.pool.query<{ id: string }>('SELECT id::text FROM api_tokens WHERE site_id = $1::bigint AND scope = $2::text', [site.id, 'write']);
    expect((await send('POST', url(), definition('audited'))).status).toBe(201);
    expect((await send('POST', url(), definition('audited', { name: 'Audited' }))).status).toBe(200);
    expect((await send('PATCH', url('/audited'), { status: 'running' })).status).toBe(200);
    expect((await send('PATCH', url('/nobody'), { status: 'running' })).status).toBe(404);
    const { rows } = await db.pool.query("SELECT actor_token_id::text AS actor, action, detail FROM audit_log WHERE site_id = $1::bigint AND target = 'audited' ORDER BY id", [site.id]);
    expect(rows).toEqual([
      { actor: token!.id, action: 'experiment.create', detail: { status: 'draft', variants: ['control', 'treatment'] } },
      { actor: token!.id, action: 'experiment.update', detail: { status: 'draft', variants: ['control', 'treatment'] } },
      { actor: token!.id, action: 'experiment.status', detail: { status: 'running' } },
    ]);
    const { rows: none } = await db.pool.query("SELECT 1 FROM audit_log WHERE site_id = $1::bigint AND target = 'nobody'", [site.id]);
    expect(none).toHaveLength(0);
  });

  it('/openapi.json lists the experiment paths', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/sites/{siteId}/experiments']!)).toEqual(['post', 'get']);
    expect(Object.keys(doc.paths['/api/v1/sites/{siteId}/experiments/{key}']!)).toEqual(['get', 'patch']);
    expect(doc.paths['/api/v1/sites/{siteId}/experiments/{key}/assign']!.get).toBeDefined();
    expect(doc.paths['/collect/assign']!.get).toBeDefined();
  });
});
