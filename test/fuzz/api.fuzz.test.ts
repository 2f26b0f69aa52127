import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { bodyText, hostileString, hostileValue, mutated, params, RUNS, timeoutFor } from './arbitraries.ts';
import { expectSane } from './http.ts';

/**
 * Every /api/v1 body and query parameter under hostile input: a 2xx or a 4xx with a reason, never a
 * 5xx; an all-or-nothing request (commerce pushes) that fails stores nothing of itself.
 */
let db: TestDatabase;
let server: RunningServer;
let site: { id: string; token: string };

beforeAll(async () => {
  db = await createTestDatabase();
  site = await createSite(db.pool, { name: 'fuzz', domain: 'shop.example', currency: 'EUR' });
  server = await startTestServer(db.url);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const send = (method: string, path: string, body?: string) =>
  fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) });

const item = { product_id: 'p-1', name: 'Shirt', quantity: 2, unit_price: 1500 };
const order = (id: string) => ({ id, customer_id: 'c-1', status: 'paid', currency: 'EUR', subtotal: 3000, total: 3000, created_at: '2026-11-02T10:00:00Z', discount_codes: ['WELCOME10'], items: [item] });
const valid = {
  orders: order('o-1'),
  refunds: { id: 'r-1', order_id: 'o-1', amount: 500, currency: 'EUR', created_at: '2026-11-03T10:00:00Z' },
  customers: { id: 'c-1', email: 'a@example.com', created_at: '2026-11-01T10:00:00Z' },
  products: { id: 'p-1', name: 'Shirt', price: 1500, currency: 'EUR' },
} as const;

const count = async (table: string) => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE site_id = $1::bigint`, [site.id])).rows[0]!.n;

describe('fuzz: /api/v1', () => {
  it(`commerce pushes: ${RUNS} hostile batches per kind → 200 all stored or 400 and none of the batch stored`, async () => {
    for (const kind of Object.keys(valid) as (keyof typeof valid)[]) {
      let n = 0;
      const items = fc.array(fc.oneof(mutated(valid[kind], ['items', 'extra']), hostileValue, fc.constant(valid[kind])), { minLength: 1, maxLength: 6 });
      await fc.assert(
        fc.asyncProperty(bodyText(items, 8_000), async (text) => {
          n += 1;
          // A fresh id per case for the valid items of this batch, so "nothing stored" is visible.
          const marked = text.replaceAll('"o-1"', `"o-f${n}"`).replaceAll('"c-1"', `"c-f${n}"`).replaceAll('"p-1"', `"p-f${n}"`).replaceAll('"r-1"', `"r-f${n}"`);
          const before = await count(kind);
          const { status, body } = await expectSane(await send('POST', `/api/v1/sites/${site.id}/${kind}`, marked), `POST ${kind} ${marked.slice(0, 160)}`);
          const after = await count(kind);
          if (status === 400 || status === 413) expect(after, `a refused ${kind} batch stored rows`).toBe(before);
          if (status === 200) expect((body as { upserted: number }).upserted).toBeGreaterThan(0);
        }),
        params(),
      );
    }
  }, timeoutFor(4 * 40));

  it(`stats, tokens and experiments bodies: ${RUNS} hostile bodies each → never a 5xx`, async () => {
    const compare = { engine: 'bayesian', metric: 'mean', control: { n: 10, sum: 5, sum_squares: 9 }, treatment: { n: 12, sum: 7, sum_squares: 11 }, alpha: 0.05, prior: { mean: 0, variance: 1 } };
    const experiment = { key: 'exp', variants: [{ key: 'a', weight: 0.5 }, { key: 'b', weight: 0.5 }], metrics: [{ key: 'm', type: 'order' }], coverage: 1 };
    const targets: [string, fc.Arbitrary<unknown>][] = [
      ['/api/v1/stats/compare', mutated(compare, ['difference', 'inverse', 'sequential_tuning'])],
      ['/api/v1/stats/srm', mutated({ users: [10, 12], weights: [0.5, 0.5] })],
      [`/api/v1/sites/${site.id}/tokens`, mutated({ scope: 'read', name: 'n', expires: '90d' })],
      [`/api/v1/sites/${site.id}/experiments`, mutated(experiment, ['name', 'seed', 'status'])],
    ];
    for (const [path, arb] of targets) {
      await fc.assert(
        fc.asyncProperty(bodyText(fc.oneof(arb, hostileValue), 8_000), async (text) => {
          await expectSane(await send('POST', path, text), `POST ${path} ${text.slice(0, 160)}`);
        }),
        params(),
      );
    }
  }, timeoutFor(4 * 15));

  it(`site settings, erase, share links and funnels: ${RUNS} hostile bodies each → never a 5xx`, async () => {
    const settings = { name: 'fuzz', domain: 'shop.example', timezone: 'Europe/Paris', currency: 'EUR', allowed_origins: ['https://shop.example'], retention_months: 13, visitor_id_mode: 'auto', search_params: ['q'] };
    const funnel = { steps: [{ type: 'pageview', path: '/products/*' }, { type: 'event', name: 'add_to_cart', props: { plan: 'pro' } }, { type: 'order' }], window_seconds: 3600, order: 'strict', unit: 'session', from: '2026-11-01', to: '2026-11-30', tz: 'UTC', breakdown: 'device' };
    const targets: [string, string, fc.Arbitrary<unknown>][] = [
      ['PATCH', `/api/v1/sites/${site.id}`, mutated(settings)],
      ['POST', `/api/v1/sites/${site.id}/erase`, mutated({ visitor_id: 'v-1', customer_id: 'c-404' })],
      ['POST', `/api/v1/sites/${site.id}/share-links`, mutated({ name: 'board', expires: '30d', fragment: 'view=revenue&period=7d' })],
      ['POST', `/api/v1/sites/${site.id}/reports/funnel`, mutated({ ...funnel, people: { step: 1, outcome: 'dropped', limit: 10 } })],
      ['POST', `/api/v1/sites/${site.id}/funnels`, mutated({ name: 'f', steps: funnel.steps, window_seconds: 600 })],
    ];
    for (const [method, path, arb] of targets) {
      await fc.assert(
        fc.asyncProperty(bodyText(fc.oneof(arb, hostileValue), 8_000), async (text) => {
          await expectSane(await send(method, path, text), `${method} ${path} ${text.slice(0, 160)}`);
        }),
        params(),
      );
    }
    // The site still answers its settings (a hostile PATCH either changed valid fields or nothing).
    expect((await send('GET', `/api/v1/sites/${site.id}`)).status).toBe(200);
  }, timeoutFor(5 * 40));

  it(`report query parameters: ${RUNS * 3} hostile query strings over the reports → never a 5xx`, async () => {
    const names = fc.constantFrom('from', 'to', 'tz', 'interval', 'compare', 'limit', 'currency', 'sort', 'order', 'job', 'cohort', 'period', 'url', 'device', 'kind', 'status', 'metric', 'engine',
      'selector', 'path', 'segment', 'series', 'cuped', 'breakdown', 'step', 'outcome', 'before');
    const paths = ['reports/overview', 'reports/revenue', 'reports/products', 'reports/realtime', 'export/orders.csv', 'reports/retention', 'reports/heatmap', 'reports/vitals', 'errors', 'audit', 'tokens',
      'reports/search', 'reports/discounts', 'reports/heatmap/pages', 'experiments/exp/report', 'share-links', 'funnels', 'funnels/1/report', 'funnels/1/people.csv', 'token'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.array(fc.tuple(names, hostileString), { maxLength: 6 }), async (path, pairs) => {
        const q = new URLSearchParams(pairs.map(([k, v]) => [k, v.slice(0, 1000)] as [string, string]));
        const res = await send('GET', `/api/v1/sites/${site.id}/${path}?${q}`);
        await expectSane(res, `GET ${path}?${q.toString().slice(0, 200)}`);
      }),
      params(RUNS * 3),
    );
  }, timeoutFor(3 * 15));
});
