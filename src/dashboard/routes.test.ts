import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { chartJsPath, dashboardAssets } from './assets.ts';
import { DASHBOARD_CSP, dashboardRoutes, IMMUTABLE } from './routes.ts';

const app = dashboardRoutes({ logger: createLogger('silent') });

/** The versioned asset URLs the page links, by asset name. */
async function linkedAssets(): Promise<Map<string, string>> {
  const html = await (await app.request('/dashboard')).text();
  return new Map([...html.matchAll(/"(\/dashboard\/assets\/([\w.-]+)\?v=[\w-]{22})"/g)].map((m) => [m[2]!, m[1]!]));
}

describe('GET /dashboard', () => {
  it('serves the page with a CSP limited to this origin, revalidated on every load', async () => {
    const res = await app.request('/dashboard');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{22}"$/);
    const html = await res.text();
    expect(html).toContain('<label for="token">');
    expect(html).not.toMatch(/\{\{|https?:\/\/(?!localhost)/); // every placeholder filled; no CDN or external font
    expect([...(await linkedAssets()).keys()].sort()).toEqual(['app.js', 'chart.umd.js', 'dashboard.css', 'favicon.svg']);
    expect((await app.request('/dashboard/')).status).toBe(200);
  });

  it('answers 304 to a matching If-None-Match (weak comparison, either representation) and 200 to a stale one', async () => {
    const etag = (await app.request('/dashboard')).headers.get('etag')!;
    for (const inm of [etag, `W/${etag}`, `"x", ${etag}`, etag.replace(/"$/, '-gz"'), '*']) {
      const res = await app.request('/dashboard', { headers: { 'if-none-match': inm } });
      expect(res.status, inm).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('etag')).toBe(etag);
    }
    expect((await app.request('/dashboard', { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
  });
});

describe('GET /dashboard/assets/*', () => {
  it('serves chart.js from node_modules byte for byte, immutable under its hash', async () => {
    const url = (await linkedAssets()).get('chart.umd.js')!;
    const res = await app.request(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(readFileSync(chartJsPath()))).toBe(true);
    expect(body.toString('latin1', 0, 200)).toMatch(/Chart\.js v4\./);
  });

  it('serves the bundled script and the CSS, gzipped when accepted, with their own ETags', async () => {
    const links = await linkedAssets();
    const js = await app.request(links.get('app.js')!);
    expect(js.status).toBe(200);
    const code = await js.text();
    expect(code).not.toMatch(/^import |\bimport\(|\brequire\(/m); // one self-contained IIFE
    expect(code).toContain('/api/v1/sites/');
    const css = await app.request(links.get('dashboard.css')!, { headers: { 'accept-encoding': 'gzip' } });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('content-encoding')).toBe('gzip');
    expect(css.headers.get('etag')).toMatch(/-gz"$/);
    const text = gunzipSync(Buffer.from(await css.arrayBuffer())).toString();
    expect(text).toContain('prefers-color-scheme');
    expect(text).not.toMatch(/@import|url\(/); // no external fonts or images
  });

  it('revalidates an asset asked for without its current hash, and 304s a matching ETag', async () => {
    const res = await app.request('/dashboard/assets/app.js?v=old');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const etag = res.headers.get('etag')!;
    const again = await app.request('/dashboard/assets/app.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const { assets } = await dashboardAssets();
    expect(etag).toBe(assets.get('app.js')!.etag);
  });

  it('404s an unknown asset with the list of names', async () => {
    const res = await app.request('/dashboard/assets/../../package.json');
    expect(res.status).toBe(404);
    const other = await app.request('/dashboard/assets/secrets.js');
    expect(other.status).toBe(404);
    expect(await other.text()).toContain('app.js');
  });

  it('links an icon, and answers the browser\'s own /favicon.ico with it (no 404 in the console)', async () => {
    const icon = (await linkedAssets()).get('favicon.svg');
    expect(icon).toBeDefined();
    const linked = await app.request(icon!);
    expect(linked.status).toBe(200);
    expect(linked.headers.get('content-type')).toBe('image/svg+xml');
    const ico = await app.request('/favicon.ico');
    expect(ico.status).toBe(200);
    expect(ico.headers.get('content-type')).toBe('image/svg+xml');
    expect(await ico.text()).toBe(await linked.text());
  });
});
