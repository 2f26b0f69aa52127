/**
 * Memory while the writer is stalled: `node bin/run-ts.mjs loadtest/ingest/stall-memory.ts`.
 * Starts PostgreSQL and Tally (the flags of `npm start`), holds a lock that every write
 * transaction needs (visitor_sessions), and drives 300 connections of 500-event requests for
 * 15 s: accepted rows pile up to MAX_INFLIGHT_ROWS (default of src/config.ts, or STALL_CAP), past
 * which /collect must answer 503. Prints the answers, and peak RSS during the stall and after the
 * lock is released and the backlog written (every 202 must then be stored).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { createSite } from '../../src/sites/sites.ts';
import { withTempPostgres } from './temp-postgres.ts';
import { batches, prng, userAgents, visitors } from './traffic.ts';

const status = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

await withTempPostgres('stall', { max_connections: '100' }, async (server, dir) => {
  const db = createPool(server.url, { max: 2 });
  const c = await db.connect();
  await migrate(c);
  c.release();
  const site = await createSite(db, { name: 'stall', domain: 'shop.example' });
  const rand = prng(5);
  const requests = batches(site.publicKey, visitors(5000, userAgents(1200, rand), rand), 100, 500, rand);
  const port = await freePort();
  const env = { DATABASE_URL: server.url, PORT: String(port), HOST: '127.0.0.1', TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '0', JOBS_ENABLED: 'false', LOG_LEVEL: 'error', TALLY_DATA_DIR: join(dir, 'data') };
  if (process.env.STALL_CAP) Object.assign(env, { MAX_INFLIGHT_ROWS: process.env.STALL_CAP });
  const tally = spawn(process.execPath, ['--max-semi-space-size=32', '--heap-growing-percent=30', 'bin/tally.mjs', 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  while (!(await fetch(`${base}/healthz`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 200));

  const locker = new pg.Client({ connectionString: server.url });
  await locker.connect();
  await locker.query('BEGIN; LOCK TABLE visitor_sessions IN ACCESS EXCLUSIVE MODE');
  const pick = prng(9);
  const result = await autocannon({
    url: base,
    connections: 300,
    duration: 15,
    timeout: 30,
    requests: [{ method: 'POST', path: '/collect', setupRequest: (req) => ({ ...req, ...requests[Math.floor(pick() * requests.length)]! }) }],
  });
  const stalledPeak = status(tally.pid!, 'VmHWM');
  const inflight = async () => Number(/^tally_ingest_inflight_rows (\d+)/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? NaN);
  const held = await inflight();
  await locker.query('COMMIT');
  await locker.end();
  // The requests still waiting when autocannon stopped get their 202 once the backlog is written.
  const deadline = Date.now() + 120_000;
  while ((await inflight()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const stored = (await db.query<{ n: string }>('SELECT (SELECT count(*) FROM pageviews) + (SELECT count(*) FROM events) + (SELECT count(*) FROM errors) AS n')).rows[0]!.n;
  console.log(`cap ${process.env.STALL_CAP ?? 'default'}: during the stall ${result['2xx']} × 202, ${result.non2xx} × non-2xx (503), ${result.errors} errors, ${result.timeouts} timeouts`);
  console.log(`rows in flight when the lock was released: ${held}; stored afterwards (pageviews, events, errors): ${stored}`);
  console.log(`peak RSS ${stalledPeak.toFixed(0)} MB during the stall, ${status(tally.pid!, 'VmHWM').toFixed(0)} MB after the backlog was written`);
  tally.kill('SIGTERM');
  await new Promise((r) => tally.once('exit', r));
  await db.end();
});
