/**
 * `node bin/run-ts.mjs loadtest/bench-funnel.ts` — funnels (issue #15) on a generated store:
 * - the ad-hoc 4-step funnel ending in an order over 30 and 90 days (p50/p95 of BENCH_ITER
 *   calls of funnelReport) against the self-join SQL baseline (bench-funnel-raw.ts) measured in
 *   the same run (median of BENCH_RAW_RUNS) — the ratio is the speed-up;
 * - the saved twin's report from the funnel-state job's precomputed attempts (30 and 90 days);
 * - the funnel-state job: the first build (events/s over all history) and one incremental run
 *   over BENCH_EVENTS/50 new events of the last hour from returning visitors (new events/s).
 * Own embedded PostgreSQL in a temp dir (fsync off); data from bench-reports-data.ts (the `sql`
 * data set of bench:reports: BENCH_EVENTS events, 70 % pageviews, over 90 days). Prints one JSON
 * line. Env: BENCH_EVENTS (1,000,000), BENCH_ITER (20), BENCH_RAW_RUNS (3).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { addDays, localDateToUtc, todayIn } from '../src/reports/common/params.ts';
import { funnelReport } from '../src/reports/funnel/report.ts';
import { createFunnel } from '../src/reports/funnel/saved.ts';
import { savedFunnelReport } from '../src/reports/funnel/saved-report.ts';
import { runFunnelStateJob } from '../src/reports/funnel/state-job.ts';
import { createSite } from '../src/sites/sites.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';
import { BENCH_FUNNEL, rawFunnelSelfJoinSql } from './bench-funnel-raw.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ITER = Number(process.env.BENCH_ITER ?? 20);
const RAW_RUNS = Number(process.env.BENCH_RAW_RUNS ?? 3);
const VISITS = Math.round(EVENTS / 10);
const VISITORS = Math.round(VISITS * 0.4);
const TZ = 'America/New_York';


const log = (msg: string) => process.stderr.write(`[bench-funnel ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number) => Math.round(x * 10) / 10;
async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tally-bench-funnel-'));
  const pg = await startEmbedded({
    dataDir: dir,
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '1GB', work_mem: '64MB', maintenance_work_mem: '512MB', max_wal_size: '4GB' },
  });
  const pool = createPool(pg.url, { max: 4 });
  try {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    await pool.query(`SELECT tally_ensure_partitions((now() - interval '100 days')::date, (now() + interval '1 month')::date)`);
    const site = await createSite(pool, { name: 'Bench store', domain: 'shop.example', timezone: TZ, currency: 'USD' });
    log(`generating ${EVENTS} events (${VISITS} visits)`);
    for (let from = 0; from < VISITS; from += 100_000) await generateTraffic(pool, site.id, from, Math.min(VISITS, from + 100_000), VISITORS);
    await generateCommerce(pool, site.id, Math.round(EVENTS / 50), VISITORS);
    await pool.query('VACUUM ANALYZE');
    const events = (await pool.query<{ n: number }>('SELECT ((SELECT count(*) FROM pageviews) + (SELECT count(*) FROM events))::int AS n')).rows[0]!.n;

    // Steady state: the generated orders are not "just changed" (else the first incremental run
    // would re-read them all as changed orders).
    await pool.query(`UPDATE orders SET updated_at = now() - interval '1 hour'`);
    const funnel = await createFunnel(pool, site.id, { name: 'bench', ...BENCH_FUNNEL });
    const [buildMs, build] = await timed(() => runFunnelStateJob(pool, { lockTimeoutMs: 60_000 }));
    const attempts = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM funnel_attempts')).rows[0]!.n;
    log(`state build: ${round(buildMs)} ms for ${events} events (${attempts} attempts kept)`);

    // Keep-up: BENCH_EVENTS/50 new events in the last hour from the same visitor ids.
    const newVisits = Math.max(1000, Math.round(EVENTS / 500));
    await generateTraffic(pool, site.id, 50_000_000, 50_000_000 + newVisits, VISITORS, 3600);
    // and 2 % new orders of the last hour (new order links: their visitors are recomputed too)
    await pool.query({
      text: `INSERT INTO orders (site_id, id, visitor_id, status, currency, subtotal, total, created_at)
        SELECT $1::bigint, 'new' || i, 'v' || (abs(hashint8(i)) % $2::bigint), 'paid', 'USD', 1000, 1000, now() - (i % 3600) * interval '1 second'
        FROM generate_series(1, $3::int) i`,
      values: [site.id, VISITORS, Math.max(10, Math.round(EVENTS / 2500))],
    });
    await pool.query('ANALYZE pageviews, events');
    const [incMs, inc] = await timed(() => runFunnelStateJob(pool, { lockTimeoutMs: 60_000 }));
    log(`incremental: ${inc.rows} new events, ${inc.visitors} visitors recomputed in ${round(incMs)} ms`);

    const today = todayIn(TZ);
    const results: Record<string, unknown>[] = [];
    for (const days of [30, 90]) {
      const from = addDays(today, -(days - 1));
      const start = localDateToUtc(from, TZ);
      const end = localDateToUtc(addDays(today, 1), TZ);
      const adhoc = () => funnelReport(pool, { siteId: site.id, start, end, definition: BENCH_FUNNEL });
      const saved = () => savedFunnelReport(pool, { siteId: site.id, funnel, start, end });
      const a = await adhoc();
      const s = await saved();
      // equal up to float summation order (avg of the same doubles)
      const norm = (r: unknown) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v));
      if (s.source !== 'state' || norm(s.report) !== norm(a)) log(`WARNING: saved (${s.source}) differs from ad-hoc`);
      const times = { adhoc: [] as number[], saved: [] as number[] };
      for (let i = 0; i < ITER; i++) times.adhoc.push((await timed(adhoc))[0]);
      for (let i = 0; i < ITER * 3; i++) times.saved.push((await timed(saved))[0]);
      const raw: number[] = [];
      let rawCounts: unknown = null;
      for (let i = 0; i < RAW_RUNS; i++) {
        const [ms, res] = await timed(() => pool.query(rawFunnelSelfJoinSql(site.id, BENCH_FUNNEL.steps, BENCH_FUNNEL.window_seconds, start, end)));
        raw.push(ms);
        rawCounts = res.rows[0];
      }
      const row = {
        days, counts: a.steps.map((x) => x.count), rawCounts,
        adhocP50: round(pct(times.adhoc, 50)), adhocP95: round(pct(times.adhoc, 95)),
        savedP50: round(pct(times.saved, 50)), savedP95: round(pct(times.saved, 95)),
        rawMedian: round(pct(raw, 50)), speedup: round(pct(raw, 50) / pct(times.adhoc, 95)),
      };
      results.push(row);
      log(JSON.stringify(row));
    }
    console.log(JSON.stringify({
      events, attempts,
      buildMs: round(buildMs), buildEventsPerSecond: Math.round(events / (buildMs / 1000)),
      incrementalEvents: inc.rows, incrementalVisitors: inc.visitors, incrementalMs: round(incMs),
      incrementalEventsPerSecond: Math.round(inc.rows / (incMs / 1000)), built: build.built, results,
    }));
  } finally {
    await pool.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
