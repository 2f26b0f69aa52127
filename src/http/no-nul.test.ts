import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { errorHandler } from './errors.ts';
import { refuseNul } from './no-nul.ts';

/** A NUL anywhere in an /api/v1 path or query is a 400 naming it, before any handler runs. */
function app() {
  const a = new Hono();
  a.onError(errorHandler(createLogger('silent')));
  a.use('/api/v1/*', refuseNul);
  a.get('/api/v1/sites/:id/reports/vitals', (c) => c.json({ ok: true, path: c.req.query('path') ?? null }));
  a.get('/api/v1/sites/:id/experiments/:key', (c) => c.json({ key: c.req.param('key') }));
  return a;
}

describe('refuseNul', () => {
  it('400 for a NUL in a query value or name, or in the path, naming it', async () => {
    for (const [url, name] of [
      ['/api/v1/sites/1/reports/vitals?path=%00', 'path'],
      ['/api/v1/sites/1/reports/vitals?a%00b=1', 'a\\u0000b'],
      ['/api/v1/sites/1/experiments/x%00y', 'path'],
    ] as const) {
      const res = await app().request(url);
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: string }).error, url).toBe(`${name}: must not contain NUL (\\u0000) characters`);
    }
    expect((await app().request('/api/v1/sites/1/experiments/%E0')).status).toBe(400); // not percent-encoding
  });

  it('lets everything else through unchanged', async () => {
    const res = await app().request('/api/v1/sites/1/reports/vitals?path=%2Fproducts%2F%C3%A9t%C3%A9');
    expect(await res.json()).toEqual({ ok: true, path: '/products/été' });
    expect(await (await app().request('/api/v1/sites/1/experiments/checkout_button')).json()).toEqual({ key: 'checkout_button' });
  });
});
