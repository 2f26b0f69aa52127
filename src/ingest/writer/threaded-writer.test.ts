import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { createLogger } from '../../log.ts';
import { createSite } from '../../sites/sites.ts';
import { createIngestMetrics } from '../metrics.ts';
import { prepareEvent } from '../enrich/prepare.ts';
import { validateEvent } from '../validate/validate.ts';
import type { PreparedEvent } from '../tables.ts';
import { ThreadedWriter } from './threaded-writer.ts';
import { NotDurableError } from './writer.ts';

let db: TestDatabase;
let siteId: string;
let spoolDir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  siteId = (await createSite(db.pool, { name: 'Shop', domain: 'shop.example' })).id;
  spoolDir = mkdtempSync(join(tmpdir(), 'tally-writer-thread-'));
});
afterAll(async () => {
  await db?.drop();
  rmSync(spoolDir, { recursive: true, force: true });
});

function pageview(id: string, vid: string, path: string): PreparedEvent {
  const v = validateEvent({ site: 'pk_test', type: 'pageview', id, vid, ts: Date.now() - 1000, url: `https://shop.example${path}` });
  if (!v.ok) throw new Error(v.error);
  const p = prepareEvent(v.event, { siteId, visitorIdMode: 'auto', ip: '8.8.8.8', ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', receivedAt: Date.now(), salt: Buffer.alloc(32) });
  if (p.bot) throw new Error('bot');
  return p.prepared;
}

function newWriter(registry: Registry) {
  const data = { databaseUrl: db.url, poolMax: 3, spoolDir, logLevel: 'silent', maxRows: 5000, lingerMs: 2, concurrency: 2, mode: 'copy' as const, writeTimeoutMs: 10_000 };
  return new ThreadedWriter(data, createIngestMetrics(registry), createLogger('silent'));
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const stored = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pageviews WHERE site_id = $1::bigint', [siteId])).rows[0]!.n;

describe('ThreadedWriter', () => {
  it('commits submits from one loop turn together, once per event id, and reports metrics', async () => {
    const registry = new Registry();
    const writer = newWriter(registry);
    await writer.start();
    const submits = Array.from({ length: 30 }, (_, i) => writer.submit([pageview(uuid(i), `v${i % 7}`, `/p/${i}`)]));
    expect(await Promise.all(submits)).toEqual(Array(30).fill('committed'));
    // A client retry of the first ten: acknowledged again, stored once.
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.submit([pageview(uuid(i), `v${i % 7}`, `/p/${i}`)])));
    expect(await stored()).toBe(30);
    const metrics = await registry.getMetricsAsJSON();
    const batchRows = metrics.find((m) => m.name === 'tally_ingest_batch_rows')!;
    const sum = batchRows.values.find((v) => (v as { metricName?: string }).metricName === 'tally_ingest_batch_rows_sum')!.value;
    expect(sum).toBe(40);
    const duplicates = metrics.find((m) => m.name === 'tally_ingest_events_total')!.values.find((v) => v.labels.outcome === 'duplicate');
    expect(duplicates?.value).toBe(10);
    await writer.drain();
    await expect(writer.submit([pageview(uuid(99), 'v', '/')])).rejects.toBeInstanceOf(NotDurableError);
  });

  it('answers NotDurableError for requests the thread took down with it, then starts a new thread', async () => {
    const writer = newWriter(new Registry());
    await writer.start();
    const thread = (writer as unknown as { worker: Worker }).worker; // the test kills the thread
    const lost = writer.submit([pageview(uuid(1000), 'w', '/lost')]);
    await thread.terminate();
    await expect(lost).rejects.toBeInstanceOf(NotDurableError);
    await expect.poll(() => (writer as unknown as { worker?: Worker }).worker !== undefined && (writer as unknown as { worker: Worker }).worker !== thread, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => writer.submit([pageview(uuid(1001), 'w', '/after')]).then(() => 'ok', () => 'not yet'), { timeout: 10_000 }).toBe('ok');
    const after = await db.pool.query('SELECT path FROM pageviews WHERE site_id = $1::bigint AND event_id = $2::uuid', [siteId, uuid(1001)]);
    expect(after.rows).toEqual([{ path: '/after' }]);
    await writer.drain();
  });
});
