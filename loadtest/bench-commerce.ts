/**
 * Commerce write benchmark (issue 3), each against one-INSERT-per-row in the same run:
 *
 *  1. API: orders/s through `POST /api/v1/sites/{id}/orders` (real HTTP, 100-order batches,
 *     CONCURRENCY clients) vs the same orders written with one INSERT per order and per item
 *     (transactions of 100 orders, same concurrency) — set-based unnest vs per-row statements.
 *  2. Import: rows/s through the real `tally import orders FILE` (child process, NDJSON) on
 *     IMPORT_ORDERS generated orders vs one INSERT per row (transactions of 5,000 orders, the
 *     import's chunk) on a sample of BASELINE_SAMPLE orders, extrapolated.
 *
 *   npm run bench:commerce [-- --api-orders 20000 --import-orders 1000000 --sample 6000 --api-sample 2000]
 *
 * Own embedded PostgreSQL (fsync on, as in production) in a temp dir, removed afterwards.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import type pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { Order } from '../src/commerce/schemas.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createApp } from '../src/http/app.ts';
import { createLogger } from '../src/log.ts';
import { Rng } from '../src/demo/prng.ts';
import { createSite } from '../src/sites/sites.ts';
import { createToken } from '../src/sites/tokens.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const API_ORDERS = flag('api-orders', 20_000);
const IMPORT_ORDERS = flag('import-orders', 1_000_000);
/** Orders in the per-row baseline samples (~3.5 rows each with items: ~20k rows for import). */
const BASELINE_SAMPLE = flag('sample', 6_000);
const API_BASELINE_SAMPLE = flag('api-sample', 2_000);
const CONCURRENCY = flag('concurrency', 4);
const API_BATCH = 100;
const ROUNDS = 10;

function makeOrder(rng: Rng, prefix: string, n: number): Order {
  const lines = rng.int(1, 4);
  const items = Array.from({ length: lines }, (_, i) => ({
    product_id: `prod_${rng.int(1, 500)}`, sku: `SKU-${i}`, name: 'Product name', category: 'Category', quantity: rng.int(1, 3), unit_price: rng.int(500, 20_000),
  }));
  const subtotal = items.reduce((s, i) => s + i.quantity * i.unit_price, 0);
  const tax = Math.round(subtotal * 0.2);
  return {
    id: `${prefix}${n}`, customer_id: `c${rng.int(1, 100_000)}`, visitor_id: `v${rng.int(1, 500_000)}`, status: 'paid', payment_status: 'paid',
    currency: 'EUR', subtotal, discount: 0, tax, shipping: 490, total: subtotal + tax + 490,
    created_at: new Date(Date.UTC(2026, 0, 1) + rng.int(0, 300 * 86_400_000)).toISOString(), items,
  };
}

/** The baseline: each order and each item its own INSERT statement. */
async function insertPerRow(client: pg.PoolClient, siteId: string, orders: Order[]): Promise<void> {
  await client.query('BEGIN');
  for (const o of orders) {
    await client.query(
      `INSERT INTO orders (site_id, id, customer_id, visitor_id, status, payment_status, currency, subtotal, discount, tax, shipping, total, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [siteId, o.id, o.customer_id, o.visitor_id, o.status, o.payment_status, o.currency, o.subtotal, o.discount, o.tax, o.shipping, o.total, o.created_at],
    );
    for (const [line, i] of o.items.entries()) {
      await client.query(
        `INSERT INTO order_items (site_id, order_id, line, product_id, sku, name, category, quantity, unit_price) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [siteId, o.id, line + 1, i.product_id, i.sku, i.name, i.category, i.quantity, i.unit_price],
      );
    }
  }
  await client.query('COMMIT');
}

async function parallel<T>(work: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < work.length) await fn(work[next++]!);
  }));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bench-commerce-writes-'));
  const fileDir = mkdtempSync(join(tmpdir(), 'tally-bench-commerce-file-'));
  const pgServer = await startEmbedded({ dataDir: dir, settings: { shared_buffers: '256MB' } });
  const pool = createPool(pgServer.url, { max: CONCURRENCY + 4 });
  const rng = new Rng(42);
  const started = performance.now();
  try {
    const client = await pool.connect();
    await migrate(client).finally(() => client.release());
    const { rows: fsync } = await pool.query<{ fsync: string }>('SHOW fsync');
    const site = await createSite(pool, { name: 'Bench', domain: 'bench.test' });
    const token = await createToken(pool, site.id, 'write');
    const app = createApp({ config: loadConfig({ DATABASE_URL: pgServer.url }), pool, logger: createLogger('silent'), registry: new Registry() });
    const http = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(http, 'listening');
    const port = (http.address() as { port: number }).port;
    console.log(`PostgreSQL fsync=${fsync[0]!.fsync}; ${CONCURRENCY} concurrent clients`);

    // 1. API vs per-row, interleaved in ROUNDS so both see the same machine load (the box is
    // shared; a phase-after-phase comparison measured the neighbours as much as the code).
    const apiOrders = Array.from({ length: API_ORDERS }, (_, n) => makeOrder(rng, 'api', n));
    const rowOrders = Array.from({ length: Math.min(API_ORDERS, API_BASELINE_SAMPLE) }, (_, n) => makeOrder(rng, 'row', n));
    await pool.query('CHECKPOINT');
    let apiMs = 0;
    let rowMs = 0;
    const apiRounds = chunks(apiOrders, Math.ceil(API_ORDERS / ROUNDS));
    const rowRounds = chunks(rowOrders, Math.ceil(rowOrders.length / ROUNDS));
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      await parallel(chunks(apiRounds[r] ?? [], API_BATCH), CONCURRENCY, async (batch) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/sites/${site.id}/orders`, {
          method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(batch),
        });
        if (res.status !== 200) throw new Error(`API answered ${res.status}: ${await res.text()}`);
      });
      apiMs += performance.now() - t;
      t = performance.now();
      await parallel(chunks(rowRounds[r] ?? [], API_BATCH), CONCURRENCY, async (batch) => {
        const c = await pool.connect();
        try {
          await insertPerRow(c, site.id, batch);
        } finally {
          c.release();
        }
      });
      rowMs += performance.now() - t;
    }
    const apiRate = API_ORDERS / (apiMs / 1000);
    const rowRate = rowOrders.length / (rowMs / 1000);
    console.log(`API upserts, ${API_BATCH}-order batches: ${Math.round(apiRate)} orders/s (${API_ORDERS} orders)`);
    console.log(`one INSERT per order and per item, ${API_BATCH} orders per transaction: ${Math.round(rowRate)} orders/s (${rowOrders.length} orders)`);
    console.log(`ratio API / per-row: ${(apiRate / rowRate).toFixed(1)}× (${ROUNDS} interleaved rounds)`);
    http.close();

    // 2. tally import vs per-row
    const file = join(fileDir, 'orders.ndjson');
    let t = performance.now();
    const out = createWriteStream(file);
    let items = 0;
    for (let n = 0; n < IMPORT_ORDERS; n++) {
      const o = makeOrder(rng, 'imp', n);
      items += o.items.length;
      if (!out.write(`${JSON.stringify(o)}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    await pool.query('CHECKPOINT');
    console.log(`generated ${IMPORT_ORDERS} orders (${items} items, ${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const sample = Array.from({ length: BASELINE_SAMPLE }, (_, n) => makeOrder(rng, 'base', n));
    // The per-row baseline runs half before and half after the import, for the same reason.
    const perRow = async (orders: Order[]) => {
      const t0 = performance.now();
      for (const batch of chunks(orders, 5_000)) {
        const c = await pool.connect();
        try {
          await insertPerRow(c, site.id, batch);
        } finally {
          c.release();
        }
      }
      return performance.now() - t0;
    };
    let baseMs = await perRow(sample.slice(0, BASELINE_SAMPLE / 2));
    await pool.query('CHECKPOINT');
    t = performance.now();
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/tally.mjs', 'import', 'orders', file, '--site', site.id], {
      env: { ...process.env, DATABASE_URL: pgServer.url, LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20,
    });
    const importSeconds = (performance.now() - t) / 1000;
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { loaded: number; rejected: number; rowsPerSecond: number };
    if (summary.rejected > 0) throw new Error(`import rejected rows: ${stderr.slice(0, 500)}`);
    const importRate = summary.loaded / importSeconds;
    await pool.query('CHECKPOINT');
    baseMs += await perRow(sample.slice(BASELINE_SAMPLE / 2));
    const baseRate = BASELINE_SAMPLE / (baseMs / 1000);
    const itemsPerOrder = items / IMPORT_ORDERS;
    console.log(`tally import (child process, incl. start-up): ${summary.loaded} orders in ${importSeconds.toFixed(1)} s = ${Math.round(importRate)} orders/s (${Math.round(importRate * (1 + itemsPerOrder))} rows/s with items)`);
    console.log(`one INSERT per row, 5,000 orders per transaction: ${Math.round(baseRate)} orders/s (${Math.round(baseRate * (1 + itemsPerOrder))} rows/s) on ${BASELINE_SAMPLE} orders → ${(IMPORT_ORDERS / baseRate).toFixed(0)} s extrapolated for ${IMPORT_ORDERS}`);
    console.log(`ratio import / per-row: ${(importRate / baseRate).toFixed(1)}×`);
    console.log(`total bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await pool.end();
    await pgServer.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(fileDir, { recursive: true, force: true });
  }
}

await main();
