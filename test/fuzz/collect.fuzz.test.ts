import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { createSite } from '../../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestServer } from '../helpers/server.ts';
import { bodyText, hostileString, hostileValue, mutated, params, RUNS, timeoutFor } from './arbitraries.ts';
import { CHROME, expectSane } from './http.ts';

/** /collect and /collect.gif under hostile input: a 2xx or a 4xx with a reason, never a 5xx or a crash. */
let db: TestDatabase;
let server: RunningServer;
let key: string;

beforeAll(async () => {
  db = await createTestDatabase();
  key = (await createSite(db.pool, { name: 'fuzz', domain: 'shop.example' })).publicKey;
  server = await startTestServer(db.url, { TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const beacons = () => [
  { site: key, type: 'pageview', url: 'https://shop.example/p/1', ref: 'https://www.google.com/', title: 'P', vid: 'v1', sw: 1440 },
  { site: key, type: 'event', url: 'https://shop.example/', name: 'add_to_cart', props: { product: 'p-1', qty: 2 }, revenue: { amount: 1299, currency: 'EUR' } },
  { site: key, type: 'heatmap', url: 'https://shop.example/', vw: 1280, dh: 3000, points: [{ x: 10, y: 20, kind: 'click', sel: 'button' }] },
  { site: key, type: 'error', url: 'https://shop.example/', message: 'TypeError: x is undefined', stack: 'at f (https://shop.example/a.js:1:2)' },
  { site: key, type: 'vitals', url: 'https://shop.example/', lcp: 1200, cls: 0.01 },
];
/** Built in the test, once `key` exists (at module load it does not yet). */
function bodies() {
  const event = fc.oneof(...beacons().map((b) => mutated(b, ['id', 'ts', 'sid', 'uid', 'ip', 'ua'])), fc.constantFrom(...beacons()), hostileValue);
  return fc.oneof(event, fc.array(event, { maxLength: 25 }), fc.record({ site: fc.constant(key), events: fc.array(event, { maxLength: 25 }) }));
}

describe('fuzz: /collect', () => {
  it(`POST /collect: ${RUNS} hostile bodies → 2xx with per-event answers or 4xx with a reason`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(bodyText(bodies()), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (text, type) => {
        const res = await fetch(`${server.url}/collect`, { method: 'POST', headers: { 'content-type': type, 'user-agent': CHROME, 'x-forwarded-for': '8.8.8.8' }, body: text });
        const { status, body: answer } = await expectSane(res, `POST /collect ${text.slice(0, 120)}`);
        if (status === 202) {
          const a = answer as { accepted: number; rejected: unknown[] };
          expect(Number.isInteger(a.accepted) && Array.isArray(a.rejected)).toBe(true);
          accepted += a.accepted;
        }
      }),
      params(),
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The valid beacons among the hostile ones did get through (the generator reaches past validation).
    expect(accepted).toBeGreaterThan(0);
  }, timeoutFor(20));

  it(`GET /collect.gif: ${RUNS} hostile query strings → never a 5xx`, async () => {
    const names = fc.constantFrom('site', 'type', 'url', 'ref', 'name', 'props', 'ts', 'vid', 'sw', 'vw', 'id', 'revenue', 'x');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(names, hostileString), { maxLength: 8 }), async (pairs) => {
        const q = new URLSearchParams([['site', key], ...pairs.map(([k, v]) => [k, v.slice(0, 2000)] as [string, string])]);
        const res = await fetch(`${server.url}/collect.gif?${q}`, { headers: { 'user-agent': CHROME } });
        await res.arrayBuffer();
        expect(res.status, q.toString().slice(0, 200)).toBeLessThan(500);
      }),
      params(),
    );
  }, timeoutFor(20));
});
