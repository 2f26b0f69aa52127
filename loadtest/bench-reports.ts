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
import { runJobsNow } from '../src/jobs/run.ts';
import { runTrafficRollup } from '../src/reports/overview/traffic-rollup.ts';
import { runDemo } from '../src/demo/run.ts';
import { runProductTrafficRollup } from '../src/reports/products/traffic-rollup.ts';
import { createLogger } from '../src/log.ts';
import { addDays, localDateToUtc, todayIn } from '../src/reports/common/params.ts';
import { startServer } from '../src/server.ts';
import { createSite } from '../src/sites/sites.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';
import { RAW } from './bench-reports-raw.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const ITER = Number(process.env.BENCH_ITER ?? 40);
const RAW_RUNS = Number(process.env.BENCH_RAW_RUNS ?? 3);
const DATA = process.env.BENCH_DATA ?? 'demo';
const VISITS = Math.round(EVENTS / 10);
const ORDERS = Math.round(EVENTS / 50);
const VISITORS = Math.round(VISITS * 0.4);
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
  const dir = await mkdtemp(join(tmpdir(), 'tally-bench-reports-'));
  const pg = await startEmbedded({
    dataDir: dir,
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '2GB', work_mem: '64MB', maintenance_work_mem: '1GB', max_wal_size: '8GB' },
  });
  const pool = createPool(pg.url, { max: 12 });
  try {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    const config = loadConfig({ DATABASE_URL: pg.url, LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', PORT: '0', HOST: '127.0.0.1', TALLY_DATA_DIR: dir, PG_POOL_MAX: '12' });
    const ctx = { pool, config, logger: createLogger('silent') };
    await pool.query(`SELECT tally_ensure_partitions((now() - interval '100 days')::date, (now() + interval '1 month')::date)`);
    const genStart = performance.now();
    let site: { id: string; token: string };
    let visits = VISITS;
    if (DATA === 'demo') {
      log(`tally demo --events ${EVENTS} --orders ${ORDERS} (scale mode)`);
      const demo = await runDemo(pool, { days: 90, visitors: 2_000_000_000, seed: 1, targetRows: EVENTS, targetOrders: ORDERS }, log);
      site = demo.site;
      visits = demo.stats.visits;
      log(`demo: ${JSON.stringify(demo.stats)} in ${round(demo.seconds)} s`);
    } else {
      site = await createSite(pool, { name: 'Bench store', domain: 'shop.example', timezone: TZ, currency: 'USD' });
      log(`generating ${EVENTS} events (${VISITS} visits) and ${ORDERS} orders`);
      const chunk = 100_000;
      for (let from = 0; from < VISITS; from += chunk) {
        await generateTraffic(pool, site.id, from, Math.min(VISITS, from + chunk), VISITORS);
        log(`  visits ${Math.min(VISITS, from + chunk)}/${VISITS}`);
      }
      await generateCommerce(pool, site.id, ORDERS, VISITORS);
    }
    await pool.query('VACUUM ANALYZE');
    const counts = (await pool.query<{ pv: number; ev: number; raw: number; o: number }>(
      `SELECT (SELECT count(*) FROM pageviews) AS pv, (SELECT count(*) FROM events) AS ev, (SELECT count(*) FROM orders) AS o,
        (SELECT count(*) FROM pageviews) + (SELECT count(*) FROM events) + (SELECT count(*) FROM heatmap_points)
        + (SELECT count(*) FROM errors) + (SELECT count(*) FROM vitals) AS raw`,
    )).rows[0]!;
    log(`generated in ${round((performance.now() - genStart) / 1000)} s: ${JSON.stringify(counts)}`);

    // Full build of the traffic rollups = a rebuild from scratch.
    log('traffic rollups: full build');
    const [rebuildMs, built] = await timeIt(() => runTrafficRollup(pool, { batchSpan: 1_000_000, lockTimeoutMs: 60_000 }));
    const [commerceMs, commerce] = await timeIt(() => runJobsNow(ctx, 'commerce-rollups'));
    await pool.query('VACUUM ANALYZE');
    log(`traffic rebuild ${round(rebuildMs / 1000)} s (${built.rows} pageviews, steps ${JSON.stringify(built.stepMs)}), commerce ${round(commerceMs / 1000)} s ok=${commerce.every((o) => o.ok)}`);

    // Keep-up: new events (as if just ingested: the last hour; returning visitors of the dataset
    // among new ones) folded in by one incremental run of each job a beacon goes through.
    const inc = Math.max(10_000, Math.round(EVENTS / 50));
    await generateTraffic(pool, site.id, 50_000_000, 50_000_000 + Math.round(inc / 10), VISITORS, 3600);
    const fresh = (await pool.query<{ pv: number; ev: number }>(
      `SELECT (SELECT count(*) FROM pageviews WHERE ingest_seq > (SELECT seq FROM rollup_watermarks WHERE name = 'traffic')) AS pv,
        (SELECT count(*) FROM events WHERE ingest_seq > (SELECT seq FROM rollup_watermarks WHERE name = 'traffic')) AS ev`,
    )).rows[0]!;
    await pool.query('ANALYZE pageviews, events');
    const [incMs, incRun] = await timeIt(() => runTrafficRollup(pool));
    const [ptMs] = await timeIt(() => runProductTrafficRollup(pool));
    const incEventsPerSecond = Math.round((fresh.pv + fresh.ev) / ((incMs + ptMs) / 1000));
    log(`incremental: ${incRun.rows} new pageviews (of ${fresh.pv}) in ${round(incMs)} ms ${JSON.stringify(incRun.stepMs)}; `
      + `product traffic ${round(ptMs)} ms; ${fresh.pv + fresh.ev} new events → ${incEventsPerSecond} events/s`);

    if (process.env.BENCH_SKIP_HTTP) return;
    const server = await startServer(config, createLogger('silent'));
    const results: { endpoint: string; days: number; status: number; first: number; p50: number; p95: number; rawP50: number | null; speedup: number | null }[] = [];
    try {
      const today = todayIn(TZ);
      const cases: { name: string; days: number; url: string; start: Date; end: Date }[] = [];
      for (const days of [7, 30, 90]) {
        const from = addDays(today, -(days - 1));
        const endpoints: Record<string, string> = {
          overview: `/reports/overview?from=${from}&to=${today}`,
          revenue: `/reports/revenue?from=${from}&to=${today}&currency=USD`,
          products: `/reports/products?from=${from}&to=${today}`,
          realtime: `/reports/realtime`,
        };
        for (const [name, path] of Object.entries(endpoints)) {
          if (name === 'realtime' && days !== 7) continue;
          cases.push({ name, days, url: `${server.url}/api/v1/sites/${site.id}${path}`,
            start: localDateToUtc(from, TZ), end: localDateToUtc(addDays(today, 1), TZ) });
        }
      }
      const request = async (url: string) => {
        const t = performance.now();
        const res = await fetch(url, { headers: { authorization: `Bearer ${site.token}` } });
        await res.arrayBuffer();
        return { ms: performance.now() - t, status: res.status };
      };
      // 1. Warm-up pass: one request per (report, range), kept out of the percentiles and
      //    printed as `first` (the first read on a just-started server: new connections).
      const first = new Map<string, number>();
      for (const c of cases) first.set(`${c.name} ${c.days}`, (await request(c.url)).ms);
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
        for (let i = 0; i < ITER; i++) {
          const r = await request(c.url);
          times.push(r.ms);
          status = r.status;
        }
        const row = { endpoint: c.name, days: c.days, status, first: round(first.get(`${c.name} ${c.days}`)!), p50: round(pct(times, 50)), p95: round(pct(times, 95)), rawP50: null, speedup: null };
        results.push(row);
        log(JSON.stringify(row));
      }
      // 3. Raw baselines, after every timed request.
      for (const row of results) {
        const raw = RAW[row.endpoint];
        const c = cases.find((x) => x.name === row.endpoint && x.days === row.days)!;
        if (!raw) continue;
        const rawTimes: number[] = [];
        for (let i = 0; i < RAW_RUNS; i++) {
          const [ms] = await timeIt(() => Promise.all(raw(site.id, c.start, c.end, TZ).map((q) => pool.query(q))));
          rawTimes.push(ms);
        }
        Object.assign(row, { rawP50: round(pct(rawTimes, 50)), speedup: round(pct(rawTimes, 50) / row.p50) });
        log(`raw ${row.endpoint} ${row.days} d: ${row.rawP50} ms`);
      }
    } finally {
      await server.close();
    }
    const summary = {
      data: DATA, rawRows: counts.raw, events: counts.pv + counts.ev, pageviews: counts.pv, visits, orders: counts.o,
      trafficRebuildSeconds: round(rebuildMs / 1000), trafficRebuildRowsPerSecond: Math.round(built.rows / (rebuildMs / 1000)),
      incrementalRows: incRun.rows, incrementalRowsPerSecond: Math.round(incRun.rows / (incMs / 1000)),
      incrementalEvents: fresh.pv + fresh.ev, incrementalEventsPerSecond: incEventsPerSecond, productTrafficMs: round(ptMs),
      commerceRebuildSeconds: round(commerceMs / 1000), results,
    };
    console.log('\n| report | range | first ms | p50 ms | p95 ms | raw p50 ms | raw ÷ rollup |\n|---|---|---|---|---|---|---|');
    for (const r of results) console.log(`| ${r.endpoint} | ${r.days} d | ${r.first} | ${r.p50} | ${r.p95} | ${r.rawP50 ?? '—'} | ${r.speedup ? `${r.speedup}×` : '—'} |`);
    console.log(JSON.stringify(summary));
  } finally {
    await pool.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
