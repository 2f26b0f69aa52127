import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestServer } from './helpers/server.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.101 Mobile Safari/537.36';
const IPAD = 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1';
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0';

let db: TestDatabase;
let server: RunningServer;
let key: string;
let siteId: string;
let lockedKey: string;

async function post(body: unknown, headers: Record<string, string> = {}, raw?: string) {
  const res = await fetch(`${server.url}/collect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': CHROME, 'x-forwarded-for': '8.8.8.8', ...headers },
    body: raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function count(table: string): Promise<number> {
  const r = await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE site_id = $1::bigint`, [siteId]);
  return r.rows[0].n as number;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const site = await createSite(db.pool, { name: 'Shop', domain: 'shop.example' });
  key = site.publicKey;
  siteId = site.id;
  lockedKey = (await createSite(db.pool, { name: 'Locked', domain: 'locked.example', allowedOrigins: ['https://locked.example'] })).publicKey;
  server = await startTestServer(db.url, { TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '100000' });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe('POST /collect: bad input', () => {
  const url = 'https://shop.example/';
  const cases: [string, () => unknown, number, RegExp, string?][] = [
    ['malformed JSON', () => undefined, 400, /malformed JSON/, '{"site": '],
    ['a number as body', () => 42, 400, /body must be/],
    ['empty array', () => [], 400, /no events/],
    ['events not an array', () => ({ site: key, events: {} }), 400, /events: must be an array/],
    ['missing site', () => ({ type: 'pageview', url }), 400, /site: required/],
    ['unknown type', () => ({ site: key, type: 'click', url }), 400, /type: must be one of/],
    ['missing type', () => ({ site: key, url }), 400, /type: required/],
    ['pageview without url', () => ({ site: key, type: 'pageview' }), 400, /url: required/],
    ['relative url', () => ({ site: key, type: 'pageview', url: '/x' }), 400, /url: must be an absolute http\(s\) URL/],
    ['javascript: url', () => ({ site: key, type: 'pageview', url: 'javascript:alert(1)' }), 400, /url: must be an absolute/],
    ['bad id', () => ({ site: key, type: 'pageview', url, id: 'nope' }), 400, /id: must be a UUID/],
    ['ts not integer', () => ({ site: key, type: 'pageview', url, ts: 1.5 }), 400, /ts: must be an integer/],
    ['ts 4 days back', () => ({ site: key, type: 'pageview', url, ts: Date.now() - 96 * 3600_000 }), 400, /ts: outside/],
    ['ts 10 min ahead', () => ({ site: key, type: 'pageview', url, ts: Date.now() + 600_000 }), 400, /ts: outside/],
    ['vid too long', () => ({ site: key, type: 'pageview', url, vid: 'v'.repeat(65) }), 400, /vid: must be at most 64/],
    ['event without name', () => ({ site: key, type: 'event' }), 400, /name: required/],
    ['event name too long', () => ({ site: key, type: 'event', name: 'n'.repeat(101) }), 400, /name: must be at most 100/],
    ['props an array', () => ({ site: key, type: 'event', name: 'x', props: [1] }), 400, /props: must be an object/],
    ['revenue float', () => ({ site: key, type: 'event', name: 'x', revenue: { amount: 9.99, currency: 'USD' } }), 400, /revenue.amount: must be an integer/],
    ['revenue bad currency', () => ({ site: key, type: 'event', name: 'x', revenue: { amount: 999, currency: 'usd' } }), 400, /revenue.currency: must be an ISO 4217/],
    ['heatmap without points', () => ({ site: key, type: 'heatmap', url, vw: 400, points: [] }), 400, /points: must hold 1 to 200/],
    ['heatmap without vw', () => ({ site: key, type: 'heatmap', url, points: [{ x: 1, y: 2, kind: 'click' }] }), 400, /vw: required/],
    ['heatmap bad kind', () => ({ site: key, type: 'heatmap', url, vw: 400, points: [{ x: 1, y: 2, kind: 'hover' }] }), 400, /points.0.kind/],
    ['error without message', () => ({ site: key, type: 'error', url }), 400, /message: required/],
    ['vitals without metric', () => ({ site: key, type: 'vitals', url }), 400, /at least one of lcp/],
    ['unknown site key', () => ({ site: 'nope', type: 'pageview', url }), 400, /site: unknown site key/],
    // Found by the fuzz tests: PostgreSQL refuses a NUL in text, which had read as an outage (503).
    ['a site key with a NUL', () => ({ site: 'pk_\u0000', type: 'pageview', url }), 400, /site: unknown site key/],
  ];
  it.each(cases)('%s: 4xx naming the problem, nothing stored', async (_name, body, status, error, raw) => {
    const before = (await count('pageviews')) + (await count('events'));
    const r = await post(body(), {}, raw);
    expect(r.status).toBe(status);
    expect(JSON.stringify(r.body)).toMatch(error);
    expect((await count('pageviews')) + (await count('events'))).toBe(before);
  });

  it('413 over 500 events, and over 512 KiB', async () => {
    const many = Array.from({ length: 501 }, () => ({ site: key, type: 'pageview', url: 'https://shop.example/' }));
    expect((await post(many)).status).toBe(413);
    const big = { site: key, type: 'pageview', url: 'https://shop.example/', title: 'x'.repeat(600 * 1024) };
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(String(r.body.error)).toMatch(/too large/);
  });

  it('403 for an Origin not allowed by the site; allowed origin passes', async () => {
    const ev = { site: lockedKey, type: 'pageview', url: 'https://locked.example/' };
    const bad = await post(ev, { origin: 'https://evil.example' });
    expect(bad.status).toBe(403);
    expect(String(bad.body.error)).toMatch(/evil\.example.*not allowed/);
    expect((await post(ev, { origin: 'https://locked.example' })).status).toBe(202);
  });

  it('accepts the good events of a mixed batch and names the bad ones', async () => {
    const r = await post({ site: key, events: [{ type: 'pageview', url: 'https://shop.example/a' }, { type: 'pageview' }, { type: 'event', name: 'signup' }] });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: 2, rejected: [{ index: 1, error: 'url: required' }] });
  });
});

describe('POST /collect: storage and enrichment', () => {
  it('text/plain (sendBeacon) body, CORS header, enrichment from the forwarded IP', async () => {
    const r = await post(null, { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': ANDROID, 'x-forwarded-for': '8.8.8.8, 10.0.0.1', origin: 'https://shop.example' },
      JSON.stringify({ site: key, type: 'pageview', url: 'https://shop.example/p/42?gclid=abc', ref: 'https://www.google.com/search?q=x', title: 'Hi\u0000 there\u0007', sw: 412 }));
    expect(r.status).toBe(202);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const row = (await db.pool.query("SELECT * FROM pageviews WHERE path = '/p/42'")).rows[0];
    expect(row).toMatchObject({ browser: 'Chrome', os: 'Android', device: 'mobile', country: 'US', channel: 'paid', click_id_kind: 'gclid', click_id: 'abc', ref_domain: 'google.com', title: 'Hi there', screen_w: 412, host: 'shop.example' });
    expect(row.visitor_id).toMatch(/^[\w-]{16}$/);
    expect(row.session_id).toMatch(/^[\w-]{16}$/);
  });

  it('real user agents and known IPs', async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      [IPAD, '81.2.69.142', { device: 'tablet', os: 'iOS', browser: 'Mobile Safari', country: 'GB' }],
      [FIREFOX_MAC, '1.1.1.1', { device: 'desktop', os: 'Mac OS', browser: 'Firefox' }],
      [CHROME, '2001:4860:4860::8888', { device: 'desktop', os: 'Windows', country: 'US' }],
      [CHROME, '127.0.0.1', { country: null, region: null, city: null }],
    ];
    for (const [ua, ip, expected] of cases) {
      const path = `/ua/${encodeURIComponent(ip)}`;
      expect((await post({ site: key, type: 'pageview', url: `https://shop.example${path}` }, { 'user-agent': ua, 'x-forwarded-for': ip })).status).toBe(202);
      const row = (await db.pool.query('SELECT * FROM pageviews WHERE path = $1', [path])).rows[0];
      expect(row, `${ua} ${ip}`).toMatchObject(expected);
    }
  });

  it('referrer and UTM classification', async () => {
    const cases: [string, string | undefined, Record<string, unknown>][] = [
      ['https://shop.example/r1', undefined, { channel: 'direct', ref_domain: null }],
      ['https://shop.example/r2', 'https://shop.example/home', { channel: 'internal' }],
      ['https://shop.example/r3', 'https://duckduckgo.com/', { channel: 'search', ref_domain: 'duckduckgo.com' }],
      ['https://shop.example/r4', 'https://t.co/abc', { channel: 'social' }],
      ['https://shop.example/r5?utm_source=newsletter&utm_medium=email&utm_campaign=bf', undefined, { channel: 'email', utm_source: 'newsletter', utm_campaign: 'bf' }],
      ['https://shop.example/r6?utm_source=google&utm_medium=cpc&utm_term=shoes&utm_content=ad1', 'https://www.google.com/', { channel: 'paid', utm_term: 'shoes', utm_content: 'ad1' }],
      ['https://shop.example/r7', 'https://blog.other.example/post', { channel: 'referral', ref_domain: 'blog.other.example' }],
      ['https://shop.example/r8?fbclid=zz', 'https://www.facebook.com/', { channel: 'paid', click_id_kind: 'fbclid' }],
      ['https://shop.example/r9?msclkid=mm', undefined, { channel: 'paid', click_id_kind: 'msclkid', click_id: 'mm' }],
    ];
    for (const [url, ref, expected] of cases) {
      expect((await post({ site: key, type: 'pageview', url, ref })).status).toBe(202);
      const row = (await db.pool.query('SELECT * FROM pageviews WHERE url = $1', [url])).rows[0];
      expect(row, url).toMatchObject(expected);
    }
  });

  it('bots are dropped, counted, not stored', async () => {
    const before = await count('pageviews');
    const r = await post({ site: key, type: 'pageview', url: 'https://shop.example/bot' }, { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    expect(r.status).toBe(202);
    expect(await count('pageviews')).toBe(before);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tally_ingest_events_total\{type="pageview",outcome="bot"\} 1/);
    expect(metrics).toMatch(/tally_ingest_rejections_total\{reason="unknown_site"\}/);
  });

  it('times each POST /collect on the server (tally_ingest_request_seconds)', async () => {
    const timed = async () => Number(/^tally_ingest_request_seconds_count (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
    const before = await timed();
    expect((await post({ site: key, type: 'pageview', url: 'https://shop.example/timed' })).status).toBe(202);
    expect(await timed()).toBe(before + 1);
  });

  it('is idempotent: the same id twice (with and without ts) is stored once', async () => {
    const id = crypto.randomUUID();
    const ev = { site: key, type: 'event', name: 'retry', id };
    expect((await post(ev)).status).toBe(202);
    expect((await post({ ...ev, ts: Date.now() - 1000 })).status).toBe(202);
    expect((await post([ev, ev])).status).toBe(202);
    const r = await db.pool.query('SELECT count(*)::int AS n FROM events WHERE event_id = $1::uuid', [id]);
    expect(r.rows[0].n).toBe(1);
  });

  it('accepts ts 71 h back and 4 min ahead, storing them at their time', async () => {
    const back = Date.now() - 71 * 3600_000;
    const ahead = Date.now() + 4 * 60_000;
    const r = await post([{ site: key, type: 'pageview', url: 'https://shop.example/late', ts: back }, { site: key, type: 'pageview', url: 'https://shop.example/early', ts: ahead }]);
    expect(r.body).toEqual({ accepted: 2, rejected: [] });
    const rows = (await db.pool.query("SELECT path, (extract(epoch FROM occurred_at) * 1000)::float8 AS t FROM pageviews WHERE path IN ('/late', '/early') ORDER BY path")).rows;
    expect(rows.map((x) => Math.round(x.t))).toEqual([ahead, back]);
  });

  it('heatmap, error and vitals beacons land in their tables', async () => {
    const url = 'https://shop.example/hm';
    const r = await post({ site: key, events: [
      { type: 'heatmap', url, vw: 390, dh: 2000, scroll: 80, points: [{ x: 10, y: 20, kind: 'click', sel: '#buy' }, { x: 11, y: 21, kind: 'rage' }] },
      { type: 'error', url, message: 'x is undefined at 12', kind: 'TypeError', stack: 'TypeError: x\n  at f (https://shop.example/app.js:10:5)', line: 10, col: 5, handled: false },
      { type: 'vitals', url, lcp: 1200.5, cls: 0.02 },
    ] });
    expect(r.body).toEqual({ accepted: 3, rejected: [] });
    expect((await db.pool.query('SELECT x, y, kind, selector, scroll_depth FROM heatmap_points WHERE path = $1 ORDER BY x', ['/hm'])).rows).toEqual([
      { x: 10, y: 20, kind: 'click', selector: '#buy', scroll_depth: 80 },
      { x: 11, y: 21, kind: 'rage', selector: null, scroll_depth: 80 },
    ]);
    expect((await db.pool.query('SELECT kind, fingerprint FROM errors WHERE path = $1', ['/hm'])).rows[0].kind).toBe('TypeError');
    expect((await db.pool.query('SELECT lcp, cls FROM vitals WHERE path = $1', ['/hm'])).rows[0]).toEqual({ lcp: 1200.5, cls: 0.02 });
  });

  it('GET /collect.gif answers a GIF and stores the pageview', async () => {
    const res = await fetch(`${server.url}/collect.gif?site=${key}&type=pageview&url=${encodeURIComponent('https://shop.example/nojs')}&sw=1024`, { headers: { 'user-agent': CHROME } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect((await res.arrayBuffer()).byteLength).toBe(42);
    expect((await db.pool.query("SELECT screen_w FROM pageviews WHERE path = '/nojs'")).rows).toEqual([{ screen_w: 1024 }]);
    const bad = await fetch(`${server.url}/collect.gif?site=nope`);
    expect(bad.status).toBe(200);
  });

  it('CORS preflight is answered', async () => {
    const res = await fetch(`${server.url}/collect`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('same visitor within 30 min keeps its session; cookieless ids are stable within a day', async () => {
    const ip = '9.9.9.9';
    await post({ site: key, type: 'pageview', url: 'https://shop.example/s1' }, { 'x-forwarded-for': ip });
    await post({ site: key, type: 'pageview', url: 'https://shop.example/s2' }, { 'x-forwarded-for': ip });
    const rows = (await db.pool.query("SELECT visitor_id, session_id FROM pageviews WHERE path IN ('/s1','/s2')")).rows;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(rows[1]);
  });
});

describe('overload', () => {
  it('503 with Retry-After past MAX_INFLIGHT_ROWS, nothing of the request stored', async () => {
    const small = await startTestServer(db.url, { MAX_INFLIGHT_ROWS: '100' });
    try {
      const points = Array.from({ length: 150 }, (_, i) => ({ x: i, y: i, kind: 'click' }));
      const res = await fetch(`${small.url}/collect`, { method: 'POST', headers: { 'user-agent': CHROME }, body: JSON.stringify({ site: key, type: 'heatmap', url: 'https://shop.example/overload', vw: 400, points }) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect((await db.pool.query("SELECT count(*)::int AS n FROM heatmap_points WHERE path = '/overload'")).rows[0].n).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('rate limit', () => {
  it('429 with Retry-After past the per-IP limit', async () => {
    const limited = await startTestServer(db.url, { TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.url}/collect`, { method: 'POST', headers: { 'x-forwarded-for': '5.5.5.5', 'user-agent': CHROME }, body: JSON.stringify({ site: key, type: 'pageview', url: 'https://shop.example/rl' }) });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
