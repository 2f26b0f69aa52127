/**
 * `npm run bench:reports` — report latency from rollups vs the same reports computed from the raw
 * tables in the same run (the Umami way, loadtest/bench-reports-raw.ts), rollup throughput and
 * full-rebuild time.
 *
 * Own embedded PostgreSQL in a temp dir (fsync off: only generation speed is affected, reads are
 * what is measured). Dataset (BENCH_DATA):
 * - `demo` (default): `tally demo --scale` — the demo store simulation (src/demo) writing
 *   BENCH_EVENTS raw rows (default 10M: pageviews, events, heatmap points, errors, vitals) and
 *   BENCH_EVENTS/50 orders over the 90 days ending yesterday (~1.15M visits at 10M);
 * - `sql`: bench-reports-data.ts, BENCH_EVENTS events = 70 % pageviews + 30 % custom events,
 *   BENCH_EVENTS/10 visits, BENCH_EVENTS/50 orders, generated set-based in SQL (faster).
 * Then a full rollup build, an incremental run over BENCH_EVENTS/50 new events from the last hour
 * (traffic + product-traffic rollups, i.e. everything a new beacon goes through), and the HTTP
 * phase, in three passes so no measurement depends on what ran just before it:
 * 1. a warm-up pass, one request per (endpoint, range), printed as `first` (the cold read);
 * 2. BENCH_ITER (40) timed sequential requests per (endpoint, range): p50 / p95;
 * 3. only then the raw computations (BENCH_RAW_RUNS (3) runs each, median).
 * Prints a table and one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/log.ts';
import { addDays, localDateToUtc, todayIn } from '../src/reports/common/params.ts';
import { startServer } from '../src/server.ts';
import { featureCases } from './bench-reports-features.ts';
import { prepareData, reusePrepared } from './bench-reports-prepare.ts';
import { RAW } from './bench-reports-raw.ts';

const ITER = Number(process.env.BENCH_ITER ?? 40);
const RAW_RUNS = Number(process.env.BENCH_RAW_RUNS ?? 3);
// Time budgets so one slow report cannot stall the run (the ad-hoc funnel took 2.4 s per request
// at 500k events under load 14): a case stops after BENCH_CASE_SECONDS (with at least 5
// requests; `n` says how many were timed), a raw baseline is cancelled after BENCH_RAW_TIMEOUT_S.
// Ranges in days (BENCH_DAYS, comma-separated): the standard reports use each; the feature
// reports those of 30 and 90 in the list (retention and the experiment: 90 days always).
const DAYS = (process.env.BENCH_DAYS ?? '7,30,90').split(',').map(Number);
const CASE_SECONDS = Number(process.env.BENCH_CASE_SECONDS ?? 90);
const RAW_TIMEOUT_S = Number(process.env.BENCH_RAW_TIMEOUT_S ?? 600);
const DATA = process.env.BENCH_DATA ?? 'demo';
const TZ = 'America/New_York';

const log = (msg: string) => process.stderr.write(`[bench-reports ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number) => Math.round(x * 10) / 10;

async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

async function main(): Promise<void> {
  // BENCH_DIR: keep the cluster there (not removed at the end) so a run's data set can be
  // profiled afterwards, e.g. with BENCH_SKIP_HTTP=1; without it, a temp dir removed at the end.
  const keptDir = process.env.BENCH_DIR;
  const dir = keptDir ?? await mkdtemp(join(tmpdir(), 'tally-bench-reports-'));
  const pg = await startEmbedded({
    dataDir: dir,
    settings: {
      fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '2GB', work_mem: '64MB', maintenance_work_mem: '1GB', max_wal_size: '8GB',
      // BENCH_LOG_MS: statements slower than this go to <dir>/pg/log (with BENCH_DIR, kept).
      ...(process.env.BENCH_LOG_MS ? { log_min_duration_statement: process.env.BENCH_LOG_MS, logging_collector: 'on', log_directory: 'log' } : {}),
    },
  });
  // 60 s to connect: on the shared 2 cores at load 13–14 a new backend took > 5 s (the default) to start.
  const pool = createPool(pg.url, { max: 12, connectionTimeoutMillis: 60_000 });
  try {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    const config = loadConfig({ DATABASE_URL: pg.url, LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', PORT: '0', HOST: '127.0.0.1', TALLY_DATA_DIR: dir, PG_POOL_MAX: '12' });
    const ctx = { pool, config, logger: createLogger('silent') };
    // BENCH_REUSE=1 (with BENCH_DIR): the data set and builds of an earlier run kept there
    // (bench-reports-prepare.ts) — only a catch-up run of every job, then the HTTP phase.
    const prep = process.env.BENCH_REUSE ? await reusePrepared(ctx, dir, log) : await prepareData(ctx, dir, log);
    const { site, visits, counts, rebuildMs, builtRows, incRows, incMs, incEvents, incEventsPerSecond, ptMs, commerceMs, featureBuild, featureKeepUp } = prep;
    if (process.env.BENCH_SKIP_HTTP) return;
    const server = await startServer(config, createLogger('silent'));
    const rawPool = createPool(`${pg.url}?options=${encodeURIComponent(`-c statement_timeout=${RAW_TIMEOUT_S * 1000}`)}`, { max: 12, connectionTimeoutMillis: 60_000 });
    const results: { endpoint: string; days: number; status: number; n: number; first: number; p50: number; p95: number; rawP50: number | null; speedup: number | null; rawTimedOut?: boolean }[] = [];
    const summary = {
      data: DATA, rawRows: counts.raw, events: counts.pv + counts.ev, pageviews: counts.pv, visits, orders: counts.o,
      trafficRebuildSeconds: round(rebuildMs / 1000), trafficRebuildRowsPerSecond: Math.round(builtRows / (rebuildMs / 1000)),
      incrementalRows: incRows, incrementalRowsPerSecond: Math.round(incRows / (incMs / 1000)),
      incrementalEvents: incEvents, incrementalEventsPerSecond: incEventsPerSecond, productTrafficMs: round(ptMs),
      commerceRebuildSeconds: round(commerceMs / 1000), featureBuild, featureKeepUp, reused: Boolean(process.env.BENCH_REUSE), results,
    };
    try {
      const today = todayIn(TZ);
      type Case = { name: string; days: number; url: string; method: 'GET' | 'POST'; body?: unknown; raw: (() => { text: string; values: unknown[] }[]) | null };
      const cases: Case[] = [];
      for (const days of DAYS) {
        const from = addDays(today, -(days - 1));
        const endpoints: Record<string, string> = {
          overview: `/reports/overview?from=${from}&to=${today}`,
          revenue: `/reports/revenue?from=${from}&to=${today}&currency=USD`,
          products: `/reports/products?from=${from}&to=${today}`,
          realtime: `/reports/realtime`,
        };
        for (const [name, path] of Object.entries(endpoints)) {
          if (name === 'realtime' && days !== DAYS[0]) continue;
          const raw = RAW[name];
          const start = localDateToUtc(from, TZ);
          const end = localDateToUtc(addDays(today, 1), TZ);
          cases.push({ name, days, method: 'GET', url: `${server.url}/api/v1/sites/${site.id}${path}`, raw: raw ? () => raw(site.id, start, end, TZ) : null });
        }
      }
      for (const f of await featureCases(pool, site.id, today, TZ, DAYS.filter((d) => d === 30 || d === 90))) {
        const raw = f.raw;
        cases.push({ name: f.name, days: f.days, method: f.method, body: f.body, url: `${server.url}/api/v1/sites/${site.id}${f.path}`, raw: raw ? () => raw : null });
      }
      const request = async (c: Case) => {
        const t = performance.now();
        try {
          const res = await fetch(c.url, {
            method: c.method,
            signal: AbortSignal.timeout(RAW_TIMEOUT_S * 1000),
            headers: { authorization: `Bearer ${site.token}`, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
          });
          await res.arrayBuffer();
          return { ms: performance.now() - t, status: res.status };
        } catch (error) {
          // Cancelled after BENCH_RAW_TIMEOUT_S: status 0, the time it ran.
          if (error instanceof DOMException && error.name === 'TimeoutError') return { ms: performance.now() - t, status: 0 };
          throw error;
        }
      };
      // 1. Warm-up pass: one request per (report, range), kept out of the percentiles and
      //    printed as `first` (the first read on a just-started server: new connections).
      const first = new Map<string, number>();
      for (const c of cases) first.set(`${c.name} ${c.days}`, (await request(c)).ms);
      // 2. Timed: BENCH_ITER sequential requests per (report, range), all before any raw
      //    baseline. Interleaved, a raw baseline (6–100 s) outlasted the pool's 30 s idle
      //    timeout, so the next report ran on new connections whose backends had not touched
      //    the rollup pages yet (the overview's top-list query: 112 ms on a fresh backend, all
      //    shared-buffer hits but ~1,400 minor page faults, then 6–8 ms). Together with a
      //    parallel plan for that query that came and went with ANALYZE (now always serial:
      //    src/reports/common/serial.ts), this gave overview 90 d p95 26–109 ms across runs of the
      //    same code (docs/benchmarks.md).
      for (const c of cases) {
        const times: number[] = [];
        let status = 0;
        const caseStart = performance.now();
        // At least 5 requests, or 1 when the warm-up alone took a fifth of the budget (the
        // experiment report took 9.5 s at 500k events).
        const minIter = (first.get(`${c.name} ${c.days}`) ?? 0) > (CASE_SECONDS * 1000) / 5 ? 1 : 5;
        for (let i = 0; i < ITER && (i < minIter || performance.now() - caseStart < CASE_SECONDS * 1000); i++) {
          const r = await request(c);
          times.push(r.ms);
          status = r.status;
        }
        const row = { endpoint: c.name, days: c.days, status, n: times.length, first: round(first.get(`${c.name} ${c.days}`)!), p50: round(pct(times, 50)), p95: round(pct(times, 95)), rawP50: null, speedup: null };
        results.push(row);
        log(JSON.stringify(row));
      }
      // 3. Raw baselines, after every timed request.
      for (const row of results) {
        const c = cases.find((x) => x.name === row.endpoint && x.days === row.days)!;
        const raw = c.raw;
        if (!raw) continue;
        const rawTimes: number[] = [];
        let timedOut = false;
        for (let i = 0; i < RAW_RUNS && !timedOut; i++) {
          const [ms] = await timeIt(() => Promise.all(raw().map((q) => rawPool.query(q)))
            .catch((error: unknown) => {
              if (!String(error).includes('statement timeout')) throw error;
              timedOut = true;
            }));
          rawTimes.push(ms);
        }
        if (timedOut) row.rawTimedOut = true;
        Object.assign(row, { rawP50: round(pct(rawTimes, 50)), speedup: round(pct(rawTimes, 50) / row.p50) });
        log(`raw ${row.endpoint} ${row.days} d: ${row.rawP50} ms`);
      }
    } finally {
      await server.close();
      await rawPool.end();
    }
    console.log('\n| report | range | n | first ms | p50 ms | p95 ms | raw p50 ms | raw ÷ report (p50) |\n|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const raw = r.rawTimedOut ? `> ${RAW_TIMEOUT_S * 1000} (cancelled)` : r.rawP50 ?? '—';
      console.log(`| ${r.endpoint} | ${r.days} d | ${r.n} | ${r.first} | ${r.p50} | ${r.p95} | ${raw} | ${r.speedup ? `${r.rawTimedOut ? '> ' : ''}${r.speedup}×` : '—'} |`);
    }
    console.log('\n| job | full build ms | keep-up new rows | keep-up ms | rows/s |\n|---|---|---|---|---|');
    for (const b of featureBuild) {
      const k = featureKeepUp.find((x) => x.job === b.job);
      console.log(`| ${b.job} | ${b.ms} | ${k?.newRows ?? '—'} | ${k?.ms ?? '—'} | ${k?.rowsPerSecond ?? '—'} |`);
    }
    console.log(JSON.stringify(summary));
  } finally {
    await pool.end();
    await pg.stop();
    if (!keptDir) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
