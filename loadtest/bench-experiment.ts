/**
 * `npm run bench:experiment` — issue #17 point 7:
 * (1) the experiment report for BENCH_VISITORS (200 000) exposed visitors and BENCH_EVENTS
 *     (1 000 000) metric events plus BENCH_ORDERS (20 000) orders, all inserted by set-based SQL
 *     into the real tables, then the `experiment-exposures` job run (its build time printed):
 *     the report through the route (createApp().request, so auth, definition and site lookups
 *     count) BENCH_ITER (40) times per metric, p50 / p95, against a raw-rows SQL baseline computing
 *     the same numbers in the same run (the exact query of report-sql.ts over the raw events and
 *     orders), whose sums must equal the kept ones;
 * (2) `GET /collect/assign` req/s with autocannon on `tally serve` vs a no-op Hono route answering
 *     the same JSON on the same @hono/node-server setup (this file run with `noop`, as
 *     loadtest/ingest/noop-server.ts is the ingest's ceiling), alternating BENCH_ROUNDS (3) slices
 *     of BENCH_SECONDS (5) each, 10 connections.
 * Own embedded PostgreSQL in a temp dir (fsync off). Prints one JSON line (and the load average).
 * BENCH_EXPLAIN=1 first prints EXPLAIN ANALYZE of the job's visitor statements (how the quadratic
 * plan of sql/063's first version was found).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { experimentInputSchema } from '../src/experiments/definition.ts';
import { saveExperiment } from '../src/experiments/store.ts';
import { createApp } from '../src/http/app.ts';
import { createLogger } from '../src/log.ts';
import { addDays, localDateToUtc, todayIn } from '../src/reports/common/params.ts';
import { foldExposuresSql, runExposureRollup } from '../src/reports/experiment/exposure-rollup.ts';
import { batchVisitorsSql, TEMP_TABLES } from '../src/reports/experiment/metrics-rollup-sql.ts';
import { experimentReport, experimentSums } from '../src/reports/experiment/report.ts';
import { experimentReportSql } from '../src/reports/experiment/report-sql.ts';
import { createSite } from '../src/sites/sites.ts';
import { createToken } from '../src/sites/tokens.ts';

const VISITORS = Number(process.env.BENCH_VISITORS ?? 200_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 20_000);
const ITER = Number(process.env.BENCH_ITER ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const TZ = 'UTC';
const log = (msg: string) => process.stderr.write(`[bench-experiment ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const h = (x: string, salt: number) => `abs(hashint8((${x})::bigint * 1000003 + ${salt})::bigint)`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startChild(args: string[], env: Record<string, string>): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 90_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return { base, child };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${base} did not become healthy`);
}

/** Exposures (a few visitors twice, 1 % to both variants), metric events spread over the exposed visitors and others, orders. */
async function generate(pool: ReturnType<typeof createPool>, siteId: string): Promise<void> {
  const cols = `site_id, occurred_at, received_at, event_id, visitor_id, session_id, name, props, url, host, path, channel, browser, os, device, country`;
  const rest = `'https://shop.example/', 'shop.example', '/', 'direct', 'Chrome', 'Linux', 'desktop', 'DE'`;
  const t0 = `now() - interval '30 days'`;
  await pool.query(`INSERT INTO events (${cols})
    SELECT ${siteId}, ${t0} + (${h('i', 1)} % 2500000) * interval '1 second', now(), gen_random_uuid(), 'v' || i, 's' || i, '$exposure',
      jsonb_build_object('experiment', 'bench_button', 'variant', CASE WHEN (${h('i', 2)} % 100 < 1) THEN 'treatment' WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END), ${rest}
    FROM generate_series(0, ${VISITORS - 1}) i
    UNION ALL
    SELECT ${siteId}, ${t0} + (${h('i', 1)} % 2500000 + 600) * interval '1 second', now(), gen_random_uuid(), 'v' || i, 's' || i, '$exposure',
      jsonb_build_object('experiment', 'bench_button', 'variant', CASE WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END), ${rest}
    FROM generate_series(0, ${VISITORS - 1}) i WHERE ${h('i', 3)} % 10 = 0`);
  for (let s = 0; s < EVENTS; s += 250_000) {
    const e = Math.min(EVENTS, s + 250_000);
    // Visitors 0 … 1.25·VISITORS: a fifth of the events belong to visitors never exposed.
    await pool.query(`INSERT INTO events (${cols})
      SELECT ${siteId}, ${t0} + (${h('i', 4)} % 2592000) * interval '1 second', now(), gen_random_uuid(), 'v' || (${h('i', 5)} % ${Math.round(VISITORS * 1.25)}), 's' || i,
        (ARRAY['checkout', 'add_to_cart', 'view_item'])[1 + ${h('i', 6)} % 3], jsonb_build_object('step', (ARRAY['pay', 'cart'])[1 + ${h('i', 7)} % 2]), ${rest}
      FROM generate_series(${s}, ${e - 1}) i`);
  }
  await pool.query(`INSERT INTO orders (site_id, id, customer_id, visitor_id, status, currency, subtotal, total, created_at)
    SELECT ${siteId}, 'o' || i, NULL, 'v' || (${h('i', 8)} % ${VISITORS}), (ARRAY['paid', 'paid', 'fulfilled', 'cancelled'])[1 + ${h('i', 9)} % 4], 'USD',
      1000 + ${h('i', 10)} % 9000, 1000 + ${h('i', 10)} % 9000, ${t0} + (${h('i', 11)} % 2592000) * interval '1 second'
    FROM generate_series(0, ${ORDERS - 1}) i`);
}

/**
 * The raw-rows baseline: the report's exact query (report-sql.ts, the path every request took
 * before the kept sums) — per visitor joining the raw events or orders of every exposed visitor,
 * with the exposed set from experiment_exposures.
 */
const rawSql = experimentReportSql;

async function loadSlice(url: string, paths: string[]): Promise<number> {
  const r = await autocannon({ url, connections: 10, duration: SECONDS, requests: paths.map((path) => ({ method: 'GET', path })) });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.total / SECONDS;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tally-bench-experiment-'));
  const pg = await startEmbedded({ dataDir: dir, settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '512MB', work_mem: '64MB' } });
  const pool = createPool(pg.url, { max: 4 });
  const children: ChildProcess[] = [];
  try {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    await pool.query(`SELECT tally_ensure_partitions((now() - interval '60 days')::date, (now() + interval '1 month')::date)`);
    const site = await createSite(pool, { name: 'bench', domain: 'bench.test', timezone: TZ, currency: 'USD' });
    const token = await createToken(pool, site.id, 'read');
    const metrics = [
      { key: 'pay', type: 'event', name: 'checkout', props: { step: 'pay' } },
      { key: 'checkouts', type: 'event', name: 'checkout', statistic: 'count' },
      { key: 'revenue', type: 'order', statistic: 'revenue' },
    ];
    const definition = experimentInputSchema.parse({ key: 'bench_button', status: 'running', variants: [{ key: 'control', weight: 0.5 }, { key: 'treatment', weight: 0.5 }], metrics });
    const { experiment } = await saveExperiment(pool, site.id, definition);
    log(`generating ${VISITORS} exposed visitors, ${EVENTS} metric events, ${ORDERS} orders`);
    let t = performance.now();
    await generate(pool, site.id);
    await pool.query('ANALYZE');
    log(`generated in ${Math.round(performance.now() - t)} ms`);
    if (process.env.BENCH_EXPLAIN) {
      const c = await pool.connect();
      await c.query('BEGIN');
      for (const tt of TEMP_TABLES) await c.query(tt);
      const hi = Number((await c.query<{ n: string }>('SELECT max(ingest_seq) AS n FROM events')).rows[0]!.n);
      await c.query(foldExposuresSql(0, hi));
      for (const q of batchVisitorsSql(0, hi)) {
        const plan = await c.query({ text: `EXPLAIN ANALYZE ${q.text}`, values: q.values });
        log(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'));
      }
      await c.query('ROLLBACK');
      c.release();
    }
    t = performance.now();
    const job = await runExposureRollup(pool);
    const buildMs = performance.now() - t;
    await pool.query('ANALYZE');
    log(`job (exposures + metric sums + totals) built in ${Math.round(buildMs)} ms (${job.rows} exposures)`);

    const app = createApp({ config: loadConfig({ DATABASE_URL: pg.url }), pool, logger: createLogger('silent'), registry: new Registry() });
    const end = localDateToUtc(addDays(todayIn(TZ), 1), TZ);
    const reports = [];
    for (const m of experiment.metrics) {
      const input = { siteId: site.id, experiment: 'bench_button', variants: ['control', 'treatment'], start: null, end, metric: m, currency: 'USD' };
      const kept = await experimentSums(pool, { siteId: site.id, experiment, metric: m, engine: 'bayesian', start: null, end, currency: 'USD' });
      if (kept.source !== 'kept') throw new Error(`${m.key}: the report did not read the kept sums`);
      const times: number[] = [];
      for (let i = 0; i < ITER + 3; i++) {
        const s = performance.now();
        const res = await app.request(`/api/v1/sites/${site.id}/experiments/bench_button/report?metric=${m.key}${i % 2 ? '&cuped=true' : ''}`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status !== 200) throw new Error(`report ${res.status}`);
        await res.json();
        if (i >= 3) times.push(performance.now() - s);
      }
      // The report's own work in-process (kept totals read + statistics), without the route's token check and lookups.
      const direct: number[] = [];
      for (let i = 0; i < ITER; i++) {
        const s = performance.now();
        await experimentReport(pool, { siteId: site.id, experiment, metric: m, engine: 'bayesian', start: null, end, currency: 'USD', cuped: i % 2 === 1 });
        direct.push(performance.now() - s);
      }
      const rawTimes: number[] = [];
      let raw: { rows: { variant: string | null; users: number; sum: number; sumSquares: number; crossSum: number }[] } = { rows: [] };
      for (let i = 0; i < 3; i++) {
        const s = performance.now();
        raw = await pool.query(rawSql(input));
        rawTimes.push(performance.now() - s);
      }
      for (const [i, v] of ['control', 'treatment'].entries()) {
        const r = raw.rows.find((x) => x.variant === v)!;
        const k = kept.sums[i]!;
        if (r.users !== k.users || r.sum !== k.sum || r.sumSquares !== k.sumSquares || r.crossSum !== k.crossSum) {
          throw new Error(`${m.key} ${v}: raw ${JSON.stringify(r)} ≠ kept ${JSON.stringify(k)}`);
        }
      }
      const p95 = pct(times, 95);
      const rawMedian = pct(rawTimes, 50);
      const directP95 = pct(direct, 95);
      reports.push({
        metric: m.key, users: kept.sums.map((s) => s.users), routeP50: +pct(times, 50).toFixed(1), routeP95: +p95.toFixed(1),
        reportP50: +pct(direct, 50).toFixed(1), reportP95: +directP95.toFixed(1), rawMedianMs: Math.round(rawMedian),
        speedupRoute: +(rawMedian / p95).toFixed(1), speedupReport: +(rawMedian / directP95).toFixed(1),
      });
      log(`${m.key}: route p95 ${p95.toFixed(1)} ms, report p95 ${directP95.toFixed(1)} ms over ${ITER}, raw ${Math.round(rawMedian)} ms → ${(rawMedian / p95).toFixed(1)}× / ${(rawMedian / directP95).toFixed(1)}×`);
    }

    const tallyEnv = { DATABASE_URL: pg.url, TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '0', JOBS_ENABLED: 'false', LOG_LEVEL: 'warn', TALLY_DATA_DIR: join(dir, 'data') };
    const noop = await startChild(['bin/run-ts.mjs', 'loadtest/bench-experiment.ts', 'noop'], {});
    const tally = await startChild(['--max-semi-space-size=32', '--heap-growing-percent=30', 'bin/tally.mjs', 'serve'], tallyEnv);
    children.push(noop.child, tally.child);
    const paths = Array.from({ length: 2000 }, (_, i) => `/collect/assign?site=${site.publicKey}&experiments=bench_button&vid=bench-${i}`);
    await loadSlice(noop.base, paths.slice(0, 100));
    await loadSlice(tally.base, paths.slice(0, 100));
    const noopRates: number[] = [];
    const tallyRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      noopRates.push(await loadSlice(noop.base, paths));
      tallyRates.push(await loadSlice(tally.base, paths));
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const assign = { noopReqPerSec: Math.round(sum(noopRates) / ROUNDS), tallyReqPerSec: Math.round(sum(tallyRates) / ROUNDS), ratio: +(sum(tallyRates) / sum(noopRates)).toFixed(2), rounds: { noop: noopRates.map(Math.round), tally: tallyRates.map(Math.round) } };
    log(`assign: ${assign.tallyReqPerSec} req/s vs no-op ${assign.noopReqPerSec} → ${Math.round(assign.ratio * 100)} %`);
    process.stdout.write(`${JSON.stringify({ visitors: VISITORS, events: EVENTS, orders: ORDERS, buildMs: Math.round(buildMs), reports, assign, loadavg: loadavg().map((x) => +x.toFixed(2)) })}\n`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await pool.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'noop') {
  // The ceiling: Hono answering /collect/assign's JSON without looking anything up.
  const app = new Hono();
  app.get('/collect/assign', (c) => c.json({ bench_button: 'treatment' }));
  app.get('/healthz', (c) => c.json({ ok: true }));
  serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
} else {
  await main();
}
