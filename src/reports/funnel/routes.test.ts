import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsert } from '../../../test/helpers/commerce-data.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { loadConfig } from '../../config.ts';
import { createApp } from '../../http/app.ts';
import { ingestDirect } from '../../ingest/writer/direct.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createToken } from '../../sites/tokens.ts';
import { runFunnelStateJob } from './state-job.ts';

/** The funnel endpoints over HTTP: a small exact case, saved funnels, people, bad input (400 naming the field), another site (404). */

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let siteId: string;
let readToken: string;
let writeToken: string;
let otherToken: string;

const T = Date.parse('2026-10-22T10:00:00Z');
const MIN = 60_000;
const steps = [{ type: 'pageview', path: '/' }, { type: 'pageview', path: '/products/*', label: 'Product' }, { type: 'order' }];
const range = { from: '2026-10-20', to: '2026-10-30', tz: 'Europe/Paris' };

beforeAll(async () => {
  db = await createTestDatabase();
  app = createApp({ config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent'), registry: new Registry() });
  const site = await createSite(db.pool, { name: 'f', domain: 'shop.test', timezone: 'Europe/Paris', currency: 'EUR' });
  siteId = site.id;
  readToken = await createToken(db.pool, site.id, 'read', 'test');
  writeToken = await createToken(db.pool, site.id, 'write', 'test');
  const other = await createSite(db.pool, { name: 'o', domain: 'o.test' });
  otherToken = await createToken(db.pool, other.id, 'admin', 'test');
  const pv = (vid: string, ts: number, path: string, uid?: string) => ({ type: 'pageview', vid, ts, url: `https://shop.test${path}`, ...(uid ? { uid } : {}) });
  // a: all three steps (order by customer id only); b: home → product; c: home only.
  await ingestDirect(db.pool, { siteId, events: [
    pv('a', T, '/'), pv('a', T + MIN, '/products/shoe', 'cust-a'), pv('b', T, '/'), pv('b', T + 3 * MIN, '/products/hat'), pv('c', T, '/'),
  ] });
  const order = (id: string, status: string, at: number) => ({ id, customer_id: 'cust-a', status, currency: 'EUR', subtotal: 2500, discount: 0, tax: 0, shipping: 0, total: 2500, created_at: new Date(at).toISOString(), items: [{ product_id: 'p', name: 'P', quantity: 1, unit_price: 2500 }] });
  await upsert(db.pool, siteId, 'orders', [order('o1', 'paid', T + 5 * MIN), order('o2', 'cancelled', T + 6 * MIN)]);
}, 60_000);
afterAll(async () => db?.drop());

const call = async (method: string, path: string, body?: unknown, token = readToken) => {
  const res = await app.request(`/api/v1/sites/${siteId}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* csv or empty */ }
  return { status: res.status, body: json, text };
};

const expected = {
  entered: 3, completed: 1,
  steps: [
    { index: 0, label: '/', count: 3, conversion_from_start: 1, conversion_from_previous: null, dropoff: 0, median_seconds_from_previous: null, avg_seconds_from_previous: null },
    { index: 1, label: 'Product', count: 2, conversion_from_start: 2 / 3, conversion_from_previous: 2 / 3, dropoff: 1, median_seconds_from_previous: 120, avg_seconds_from_previous: 120 },
    { index: 2, label: 'order', count: 1, conversion_from_start: 1 / 3, conversion_from_previous: 0.5, dropoff: 1, median_seconds_from_previous: 240, avg_seconds_from_previous: 240, revenue: [{ currency: 'EUR', orders: 1, gross: 2500 }] },
  ],
};

describe('POST /reports/funnel', () => {
  it('answers the exact small case, with people', async () => {
    const { status, body } = await call('POST', '/reports/funnel', { steps, ...range, people: { step: 2, outcome: 'dropped', limit: 10 } });
    expect(status).toBe(200);
    expect({ ...body, people: undefined }).toEqual({ ...expected, people: undefined });
    expect(body.people).toEqual([{ visitor_id: 'b', customer_id: null, entered_at: new Date(T).toISOString() }]);
    const conv = await call('POST', '/reports/funnel', { steps, ...range, people: { step: 2, outcome: 'converted' } });
    expect(conv.body.people).toEqual([{ visitor_id: 'a', customer_id: 'cust-a', entered_at: new Date(T).toISOString() }]);
  });

  it('breaks down by channel', async () => {
    const { body } = await call('POST', '/reports/funnel', { steps, ...range, breakdown: 'channel' });
    expect(body.breakdown).toEqual([{ key: 'direct', steps: expected.steps.map(({ revenue: _r, ...s }) => s) }]);
  });

  it.each([
    [{ steps: steps.slice(0, 1), ...range }, 'steps'],
    [{ steps: [...steps, ...steps, ...steps, ...steps], ...range }, 'steps'],
    [{ steps: [{ type: 'click' }, ...steps], ...range }, 'steps.0'],
    [{ steps: [{ type: 'pageview', path: `/${'a'.repeat(200)}` }, ...steps], ...range }, 'steps.0.path'],
    [{ steps, order: 'sideways', ...range }, 'order'],
    [{ steps, unit: 'person', ...range }, 'unit'],
    [{ steps, window_seconds: 0, ...range }, 'window_seconds'],
    [{ steps, window_seconds: 7_776_001, ...range }, 'window_seconds'],
    [{ steps, breakdown: 'os', ...range }, 'breakdown'],
    [{ steps, from: '2025-01-01', to: '2026-02-05' }, 'to'],
    [{ steps, from: '2026-13-01', to: '2026-10-05' }, 'from'],
    [{ steps, ...range, tz: 'Mars/Olympus' }, 'tz'],
    [{ steps, ...range, people: { step: 7, outcome: 'dropped' } }, 'people.step'],
    [{ steps, ...range, people: { step: 1, outcome: 'lost' } }, 'people.outcome'],
    [{ steps, ...range, colour: 'red' }, 'colour'],
    [{ steps: [{ type: 'pageview', path: '/a\u0000' }, ...steps], ...range }, 'steps.0.path'],
    [{ steps: [{ type: 'event', name: 'x', props: { q: 'a\u0000' } }, ...steps], ...range }, 'steps.0.props.q'],
    [{ steps: [{ type: 'event', name: 'x', props: { q: { nested: 1 } } }, ...steps], ...range }, 'steps.0.props.q'],
    [{ steps, window_seconds: 1.5, ...range }, 'window_seconds'],
    [{ steps: [{ type: 'pageview' }, ...steps], ...range }, 'steps.0.path'],
    [[], 'body'],
    ['{not json', 'body'],
  ])('400 naming the field: %j', async (body, field) => {
    const res = await call('POST', '/reports/funnel', body);
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toContain(field);
  });

  it('another site\'s token gets 404', async () => {
    expect((await call('POST', '/reports/funnel', { steps, ...range }, otherToken)).status).toBe(404);
    expect((await call('GET', '/funnels', undefined, otherToken)).status).toBe(404);
  });
});

describe('/openapi.json', () => {
  it('lists the funnel endpoints', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    for (const path of ['/api/v1/sites/{siteId}/reports/funnel', '/api/v1/sites/{siteId}/funnels', '/api/v1/sites/{siteId}/funnels/{id}', '/api/v1/sites/{siteId}/funnels/{id}/report', '/api/v1/sites/{siteId}/funnels/{id}/people.csv']) {
      expect(doc.paths[path]).toBeDefined();
    }
  });
});

describe('saved funnels', () => {
  it('create (write scope), list, report and people.csv equal to the ad-hoc report, delete', async () => {
    expect((await call('POST', '/funnels', { name: 'Shop', steps })).status).toBe(403);
    const created = await call('POST', '/funnels', { name: 'Shop', steps }, writeToken);
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect(created.body).toMatchObject({ name: 'Shop', steps, window_seconds: 604_800, order: 'ordered', unit: 'visitor' });
    expect(((await call('GET', '/funnels')).body.funnels as unknown[]).length).toBe(1);
    const report = await call('GET', `/funnels/${id}/report?from=${range.from}&to=${range.to}&tz=Europe/Paris`);
    expect(report.body).toEqual(expected);
    // once the funnel-state job has run, the same numbers come from the precomputed state
    expect((await runFunnelStateJob(db.pool)).built).toBe(1);
    const fromState = await app.request(`/api/v1/sites/${siteId}/funnels/${id}/report?from=${range.from}&to=${range.to}&tz=Europe/Paris`, { headers: { authorization: `Bearer ${readToken}` } });
    expect(fromState.headers.get('x-tally-funnel-source')).toBe('state');
    expect(await fromState.json()).toEqual(expected);
    const csv = await call('GET', `/funnels/${id}/people.csv?step=1&outcome=dropped&from=${range.from}&to=${range.to}`);
    expect(csv.status).toBe(200);
    expect(csv.text).toBe(`visitor_id,session_id,customer_id,entered_at\r\nc,,,${new Date(T).toISOString()}\r\n`);
    expect((await call('GET', `/funnels/${id}/people.csv?step=9`)).status).toBe(400);
    expect((await call('GET', `/funnels/${id}/report?from=2026-10-01&to=2026-09-01`)).status).toBe(400);
    expect((await call('GET', '/funnels/999/report')).status).toBe(404);
    expect((await call('GET', '/funnels/x1/report')).status).toBe(404);
    expect((await call('POST', '/funnels', { name: 'x', steps, window_seconds: 0 }, writeToken)).body.error).toContain('window_seconds');
    expect((await call('DELETE', `/funnels/${id}`, undefined, writeToken)).status).toBe(204);
    expect((await call('DELETE', `/funnels/${id}`, undefined, writeToken)).status).toBe(404);
  });
});
