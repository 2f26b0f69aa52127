/**
 * `node bin/run-ts.mjs loadtest/bench-retention.ts` — retention report latency from the rollups
 * (sql/090) vs the same numbers from raw rows in the same run, the rollup's full build and its
 * incremental keep-up (new pageviews folded per second). Issue #16 point 5.
 *
 * Own embedded PostgreSQL in a temp dir (fsync off). Data: bench-reports-data.ts's SQL
 * generator, BENCH_VISITS visits (default 200k, ≈ 1.4M pageviews) over the last 365 days and
 * BENCH_ORDERS orders (default 40k), so there are 12 monthly cohorts. Queries: 12 weekly and
 * 12 monthly cohorts, visitor and customer, BENCH_ITER (20) timed runs each after a warm-up:
 * p50 / p95; the raw baseline (first-seen and activity computed from pageviews/orders,
 * bench-reports-raw-features.ts, also used by `npm run bench:reports`) once.
 * Prints one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { addDays, todayIn } from '../src/reports/common/params.ts';
import { retentionReport, type RetentionQuery } from '../src/reports/retention/report.ts';
import { runRetentionRollup } from '../src/reports/retention/rollup.ts';
import { createSite } from '../src/sites/sites.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';
import { rawRetentionSql } from './bench-reports-raw-features.ts';

const VISITS = Number(process.env.BENCH_VISITS ?? 200_000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 40_000);
const ITER = Number(process.env.BENCH_ITER ?? 20);
const TZ = 'America/New_York';
const log = (msg: string) => process.stderr.write(`[bench-retention ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tally-bench-retention-'));
  const pg = await startEmbedded({ dataDir: dir, settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '1GB', work_mem: '64MB' } });
  const pool = createPool(pg.url, { max: 4 });
  try {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    await pool.query(`SELECT tally_ensure_partitions((now() - interval '370 days')::date, (now() + interval '1 month')::date)`);
    const site = await createSite(pool, { name: 'bench', domain: 'bench.test', timezone: TZ, currency: 'USD' });
    const visitors = Math.round(VISITS * 0.4);
    log(`generating ${VISITS} visits over 365 days, ${ORDERS} orders`);
    for (let i = 0; i < VISITS; i += 50_000) await generateTraffic(pool, site.id, i, Math.min(VISITS, i + 50_000), visitors, 365 * 86_400);
    await generateCommerce(pool, site.id, ORDERS, visitors);
    await pool.query('ANALYZE');
    const pageviews = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM pageviews')).rows[0]!.n);
    let t = performance.now();
    await runRetentionRollup(pool);
    const buildMs = performance.now() - t;
    log(`full build over ${pageviews} pageviews: ${Math.round(buildMs)} ms`);
    const before = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM pageviews')).rows[0]!.n);
    await generateTraffic(pool, site.id, VISITS, VISITS + 20_000, visitors, 3600);
    const added = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM pageviews')).rows[0]!.n) - before;
    t = performance.now();
    await runRetentionRollup(pool);
    const incMs = performance.now() - t;
    log(`incremental: ${added} new pageviews in ${Math.round(incMs)} ms = ${Math.round(added / (incMs / 1000))}/s`);
    const to = todayIn(TZ);
    const queries: [string, RetentionQuery][] = [
      ['visitor week ×12', { cohort: 'visitor', period: 'week', from: addDays(to, -83), to, tz: TZ, currency: 'USD' }],
      ['visitor month ×12', { cohort: 'visitor', period: 'month', from: `${addDays(to, -365).slice(0, 7)}-01`, to, tz: TZ, currency: 'USD' }],
      ['customer week ×12', { cohort: 'customer', period: 'week', from: addDays(to, -83), to, tz: TZ, currency: 'USD' }],
      ['customer month ×12', { cohort: 'customer', period: 'month', from: `${addDays(to, -365).slice(0, 7)}-01`, to, tz: TZ, currency: 'USD' }],
    ];
    const results = [];
    for (const [name, q] of queries) {
      const first = await retentionReport(pool, site.id, q);
      const times = [];
      for (let i = 0; i < ITER; i++) {
        const s = performance.now();
        await retentionReport(pool, site.id, q);
        times.push(performance.now() - s);
      }
      const s = performance.now();
      await pool.query(rawRetentionSql(q, site.id));
      const rawMs = performance.now() - s;
      const row = { name, cohorts: first.cohorts.length, p50: Math.round(pct(times, 50)), p95: Math.round(pct(times, 95)), raw: Math.round(rawMs), speedup: Math.round((rawMs / pct(times, 95)) * 10) / 10 };
      log(JSON.stringify(row));
      results.push(row);
    }
    console.log(JSON.stringify({ pageviews, orders: ORDERS, buildMs: Math.round(buildMs), keepUpPerSecond: Math.round(added / (incMs / 1000)), results }));
  } finally {
    await pool.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
