import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyText } from './body.ts';

let server: ServerType;
let base: string;
const app = new Hono();
app.post('/echo', async (c) => {
  const text = await readBodyText(c, 16);
  return text === null ? c.json({ error: 'too large' }, 413) : c.text(text);
});

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('readBodyText over real HTTP', () => {
  it('reads a body from the Node stream', async () => {
    const res = await fetch(`${base}/echo`, { method: 'POST', body: 'héllo' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('héllo');
  });

  it('stops at the limit for a chunked body without Content-Length, and keeps serving', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('0123456789'));
        controller.close();
      },
    });
    const res = await fetch(`${base}/echo`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    const again = await fetch(`${base}/echo`, { method: 'POST', body: 'ok' });
    expect(await again.text()).toBe('ok');
  });

  it('falls back to the Request body under app.request()', async () => {
    expect(await (await app.request('/echo', { method: 'POST', body: 'x'.repeat(17) })).status).toBe(413);
    expect(await (await app.request('/echo', { method: 'POST', body: 'fits' })).text()).toBe('fits');
  });
});
