import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { TRACKER_BUDGET_BYTES, trackerBundle } from './build.ts';
import { trackerRoutes } from './routes.ts';

const app = trackerRoutes({ logger: createLogger('silent') });

describe('tracker bundle', () => {
  it(`is at most ${TRACKER_BUDGET_BYTES} bytes gzipped with every feature`, async () => {
    const bundle = await trackerBundle();
    console.log(`t.js: ${bundle.code.length} bytes minified, ${bundle.gzip.length} bytes gzipped (budget ${TRACKER_BUDGET_BYTES})`);
    expect(bundle.gzip.length).toBeLessThanOrEqual(TRACKER_BUDGET_BYTES);
    // one self-contained IIFE: nothing imported at run time
    const code = bundle.code.toString();
    expect(code.startsWith('"use strict";(()=>{')).toBe(true);
    expect(code).not.toMatch(/\brequire\(|\bimport\(/);
  });
});

describe('GET /t.js', () => {
  it('serves JavaScript with a strong ETag and cache headers', async () => {
    const res = await app.request('/t.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600, stale-while-revalidate=86400');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{22}"$/);
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('content-encoding')).toBeNull();
    const body = await res.text();
    expect(body).toBe((await trackerBundle()).code.toString());
  });

  it('serves the precompressed body when gzip is accepted, with its own ETag', async () => {
    const plain = await app.request('/t.js');
    const res = await app.request('/t.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('etag')).toBe(plain.headers.get('etag')!.replace(/"$/, '-gz"'));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(gunzipSync(bytes).toString()).toBe(await plain.text());
  });

  it('answers 304 to a matching If-None-Match (weak comparison, lists, either representation)', async () => {
    const etag = (await app.request('/t.js')).headers.get('etag')!;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, etag.replace(/"$/, '-gz"'), '*']) {
      const res = await app.request('/t.js', { headers: { 'if-none-match': inm } });
      expect(res.status, inm).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toContain('max-age=3600');
    }
    const stale = await app.request('/t.js', { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
  });
});
