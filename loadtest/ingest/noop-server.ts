import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/**
 * The HTTP ceiling for the ingest benchmark: Hono on @hono/node-server that reads the body and
 * answers like /collect, doing nothing else.
 */
const app = new Hono();
app.post('/collect', async (c) => {
  await c.req.text();
  return c.json({ accepted: 1, rejected: [] }, 202);
});
app.get('/healthz', (c) => c.json({ ok: true }));
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
