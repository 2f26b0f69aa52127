/**
 * `node bin/run-ts.mjs loadtest/bench-rls.ts` — report latency with row-level security on vs off
 * (TALLY_RLS, src/db/rls.ts) on the same data in one run (issue #21 point 3).
 *
 * Own embedded PostgreSQL in a temp dir (fsync off: only generation is affected), the demo store
 * writing BENCH_EVENTS raw rows (default 1M) over 90 days (BENCH_DATA=sql: bench-reports-data.ts), every rollup built as bench:reports
 * builds it. Then two apps on the same pool, one with TALLY_RLS=on and one off, called in-process
 * (`app.request`, no HTTP socket, so the difference measured is the database side: the extra
 * BEGIN/SET LOCAL and COMMIT round trips and the policy's qual in the plans). For each case a
 * warm-up request on each app, then BENCH_ITER (60) pairs (at most BENCH_CASE_SECONDS, 60), the order inside a pair alternating so
 * drift on the shared machine falls on both sides. Prints p50/p95 per case and one JSON line.
 * Also times `SELECT 1` through both pools: the round-trip cost alone. BENCH_REUSE=1 with
 * BENCH_DIR: the data set a bench:reports run kept there (bench-kept.ts) instead of a new one.
 */
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config.ts';
import { runWithSite, siteScopedPool } from '../src/db/rls.ts';
import { runDemo } from '../src/demo/run.ts';
import { createApp } from '../src/http/app.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { addDays, todayIn } from '../src/reports/common/params.ts';
import { runTrafficRollup } from '../src/reports/overview/traffic-rollup.ts';
import { createFunnel } from '../src/reports/funnel/saved.ts';
import { createSite } from '../src/sites/sites.ts';
import { openBenchCluster, type BenchCluster } from './bench-kept.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';
import { BENCH_FUNNEL } from './bench-reports-features.ts';
import { buildFeatureRollups } from './bench-reports-jobs.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ITER = Number(process.env.BENCH_ITER ?? 60);
// A case stops after BENCH_CASE_SECONDS (at least 5 pairs; `n` says how many): the ad-hoc funnel
// took 7+ s per request at load 25 in the first run, which would have taken half an hour.
const CASE_SECONDS = Number(process.env.BENCH_CASE_SECONDS ?? 60);
const TZ = 'America/New_York';
/** `demo` (default): the demo store simulation; `sql`: bench-reports-data.ts (as bench:reports' BENCH_DATA). */
const DATA = process.env.BENCH_DATA ?? 'demo';

const log = (msg: string) => process.stderr.write(`[bench-rls ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
/** Nearest-rank percentile, as bench-reports.ts computes it. */
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number) => Math.round(x * 100) / 100;

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/** A fresh data set with every rollup built, as bench:reports builds it. */
async function generate(ctx: BenchCluster['ctx']): Promise<{ id: string; token: string }> {
  const { pool } = ctx;
  let site: { id: string; token: string };
  if (DATA === 'demo') {
    log(`demo: ${EVENTS} raw rows over 90 days`);
    site = (await runDemo(pool, { days: 90, visitors: 2_000_000_000, seed: 1, targetRows: EVENTS, targetOrders: Math.round(EVENTS / 50) }, log)).site;
  } else {
    // bench-reports-data.ts: 70 % pageviews + 30 % custom events set-based in SQL, BENCH_EVENTS/10 visits.
    site = await createSite(pool, { name: 'Bench store', domain: 'shop.example', timezone: TZ, currency: 'USD' });
    await pool.query(`SELECT tally_ensure_partitions((now() - interval '100 days')::date, (now() + interval '1 month')::date)`);
    const visits = Math.round(EVENTS / 10);
    const visitors = Math.round(visits * 0.4);
    for (let from = 0; from < visits; from += 100_000) await generateTraffic(pool, site.id, from, Math.min(visits, from + 100_000), visitors);
    await generateCommerce(pool, site.id, Math.round(EVENTS / 50), visitors);
    await createFunnel(pool, site.id, { name: 'bench', steps: BENCH_FUNNEL, window_seconds: 604_800, order: 'ordered', unit: 'visitor' });
    log(`sql data: ${visits} visits`);
  }
  await pool.query('VACUUM ANALYZE');
  log('rollups: full build');
  await runTrafficRollup(pool, { batchSpan: 1_000_000, lockTimeoutMs: 60_000 });
  await runJobsNow(ctx, 'commerce-rollups');
  await buildFeatureRollups(ctx, log);
  await pool.query('VACUUM ANALYZE');
  return site;
}

async function main(): Promise<void> {
  const cluster = await openBenchCluster('bench-rls', { shared_buffers: '1GB', work_mem: '64MB', maintenance_work_mem: '512MB', max_wal_size: '4GB' }, log);
  const { pool, ctx } = cluster;
  try {
    // BENCH_REUSE=1 + BENCH_DIR: the data set a bench:reports run kept (bench-kept.ts), e.g. the 10M one.
    const site = cluster.kept ?? await generate(ctx);
    const base = { pool, logger: createLogger('silent'), registry: new Registry() };
    const apps = {
      on: createApp({ ...base, config: loadConfig({ DATABASE_URL: cluster.url, TALLY_RLS: 'on' }) }),
      off: createApp({ ...base, config: loadConfig({ DATABASE_URL: cluster.url, TALLY_RLS: 'off' }) }),
    };
    const today = addDays(todayIn(TZ), -1);
    const saved = (await pool.query<{ id: string }>({ text: 'SELECT id::text AS id FROM funnels WHERE site_id = $1::bigint ORDER BY id LIMIT 1', values: [site.id] })).rows[0]!;
    const cases: Case[] = [];
    for (const days of [30, 90]) {
      const from = addDays(today, -(days - 1));
      const range = `from=${from}&to=${today}&tz=${encodeURIComponent(TZ)}`;
      cases.push(
        { name: `overview ${days}d`, method: 'GET', path: `/reports/overview?${range}` },
        { name: `revenue ${days}d`, method: 'GET', path: `/reports/revenue?${range}&currency=USD` },
        { name: `funnel ad-hoc ${days}d`, method: 'POST', path: '/reports/funnel', body: { steps: BENCH_FUNNEL, window_seconds: 604_800, from, to: today, tz: TZ } },
        { name: `saved funnel ${days}d`, method: 'GET', path: `/funnels/${saved.id}/report?${range}` },
        { name: `errors ${days}d`, method: 'GET', path: `/errors?${range}` },
      );
    }
    // BENCH_CASES: a regular expression of the case names to run (e.g. skip the ad-hoc funnel at 10M).
    const only = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES) : null;
    const call = async (mode: 'on' | 'off', c: Case): Promise<number> => {
      const t = performance.now();
      const res = await apps[mode].request(`/api/v1/sites/${site.id}${c.path}`, {
        method: c.method,
        headers: { authorization: `Bearer ${site.token}`, 'content-type': 'application/json' },
        body: c.body ? JSON.stringify(c.body) : undefined,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${c.name} (${mode}): ${res.status} ${text.slice(0, 200)}`);
      return performance.now() - t;
    };

    const results: Record<string, { on: { p50: number; p95: number }; off: { p50: number; p95: number }; n: number }> = {};
    for (const c of cases.filter((x) => !only || only.test(x.name))) {
      await call('on', c);
      await call('off', c);
      const times = { on: [] as number[], off: [] as number[] };
      const stopAt = performance.now() + CASE_SECONDS * 1000;
      for (let i = 0; i < ITER && (i < 5 || performance.now() < stopAt); i++) {
        const order: ('on' | 'off')[] = i % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
        for (const mode of order) times[mode].push(await call(mode, c));
      }
      const stat = (xs: number[]) => ({ p50: round(pct(xs, 50)), p95: round(pct(xs, 95)) });
      results[c.name] = { on: stat(times.on), off: stat(times.off), n: times.on.length };
      log(`${c.name.padEnd(20)} n ${times.on.length} on p50 ${results[c.name]!.on.p50} p95 ${results[c.name]!.on.p95} | off p50 ${results[c.name]!.off.p50} p95 ${results[c.name]!.off.p95} ms`);
    }

    // The plumbing alone: SELECT 1 on the pool vs through the site-scoped pool.
    const scoped = siteScopedPool(pool, { enabled: true });
    const one = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < ITER * 10; i++) {
      let t = performance.now();
      await runWithSite(site.id, () => scoped.query('SELECT 1'));
      one.on.push(performance.now() - t);
      t = performance.now();
      await pool.query('SELECT 1');
      one.off.push(performance.now() - t);
    }
    const select1 = { on: { p50: round(pct(one.on, 50)), p95: round(pct(one.on, 95)) }, off: { p50: round(pct(one.off, 50)), p95: round(pct(one.off, 95)) } };
    log(`SELECT 1             on p50 ${select1.on.p50} p95 ${select1.on.p95} | off p50 ${select1.off.p50} p95 ${select1.off.p95} ms`);
    const counts = (await pool.query<{ raw: number; orders: number }>(
      `SELECT (SELECT count(*) FROM pageviews) + (SELECT count(*) FROM events) + (SELECT count(*) FROM heatmap_points)
        + (SELECT count(*) FROM errors) + (SELECT count(*) FROM vitals) AS raw, (SELECT count(*) FROM orders) AS orders`)).rows[0]!;
    process.stdout.write(`${JSON.stringify({ bench: 'rls', events: counts.raw, orders: counts.orders, iter: ITER, results, select1 })}\n`);
  } finally {
    await cluster.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
