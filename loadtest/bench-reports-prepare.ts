import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import type { Config } from '../src/config.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import type { Logger } from '../src/log.ts';
import { runDemo } from '../src/demo/run.ts';
import { runTrafficRollup } from '../src/reports/overview/traffic-rollup.ts';
import { runProductTrafficRollup } from '../src/reports/products/traffic-rollup.ts';
import { createSite } from '../src/sites/sites.ts';
import { createToken } from '../src/sites/tokens.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';
import { seedDiscountCodes } from './bench-reports-features.ts';
import { addLastHourFeatureRows, buildFeatureRollups, keepUpFeatureRollups, type JobTiming } from './bench-reports-jobs.ts';

/**
 * The data set and build half of `npm run bench:reports` (bench-reports.ts): generation, the
 * full builds, one keep-up run. What it measured is written to <dir>/bench-prep.json so that a
 * later run with BENCH_REUSE=1 and the same BENCH_DIR can skip it (a 10M-event set takes 40–60
 * minutes to generate and build on 2 cores) and time the HTTP phase of newer code on the same
 * data: it migrates, runs every job once to catch up (a migration that resets a rollup makes
 * that run its rebuild, timed and logged), and takes a new admin token (tokens are stored hashed).
 */

interface PreparedBase {
  site: { id: string; token: string };
  visits: number;
  counts: { pv: number; ev: number; raw: number; o: number };
  rebuildMs: number; builtRows: number;
  commerceMs: number;
  featureBuild: JobTiming[];
}
type KeepUp = { incRows: number; incMs: number; incEvents: number; incEventsPerSecond: number; ptMs: number; featureKeepUp: JobTiming[] };
export interface Prepared extends PreparedBase, KeepUp {}

type Ctx = { pool: pg.Pool; config: Config; logger: Logger };

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const DATA = process.env.BENCH_DATA ?? 'demo';
const VISITS = Math.round(EVENTS / 10);
const ORDERS = Math.round(EVENTS / 50);
const VISITORS = Math.round(VISITS * 0.4);
const TZ = 'America/New_York';
const PREP_FILE = 'bench-prep.json';

const round = (x: number) => Math.round(x * 10) / 10;
async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

/**
 * Keep-up: new events (as if just ingested: the last hour; returning visitors of the dataset
 * among new ones) folded in by one incremental run of each job a beacon goes through.
 */
async function measureKeepUp(ctx: Ctx, siteId: string, log: (m: string) => void): Promise<KeepUp> {
  const { pool } = ctx;
  const inc = Math.max(10_000, Math.round(EVENTS / 50));
  const seq0 = (await pool.query<{ seq: string }>(`SELECT last_value::text AS seq FROM tally_ingest_seq`)).rows[0]!.seq;
  // A later keep-up run on a kept set (BENCH_KEEPUP) takes visit numbers no earlier run used.
  const base = 50_000_000 + Math.round(Number(seq0) % 1_000_000_000 / 1000) * 1000;
  await generateTraffic(pool, siteId, base, base + Math.round(inc / 10), VISITORS, 3600);
  const fresh = (await pool.query<{ pv: number; ev: number }>(
    `SELECT (SELECT count(*) FROM pageviews WHERE ingest_seq > (SELECT seq FROM rollup_watermarks WHERE name = 'traffic')) AS pv,
      (SELECT count(*) FROM events WHERE ingest_seq > (SELECT seq FROM rollup_watermarks WHERE name = 'traffic')) AS ev`,
  )).rows[0]!;
  // Heatmap points, errors and vitals for the feature jobs: 2 % of each table, as the
  // pageviews and events above are 2 % of the data set.
  await addLastHourFeatureRows(pool, siteId, 0.02);
  await pool.query('ANALYZE pageviews, events, vitals, heatmap_points, errors');
  const [incMs, incRun] = await timeIt(() => runTrafficRollup(pool));
  const [ptMs] = await timeIt(() => runProductTrafficRollup(pool));
  const incEvents = Number(fresh.pv) + Number(fresh.ev);
  const incEventsPerSecond = Math.round(incEvents / ((incMs + ptMs) / 1000));
  log(`incremental: ${incRun.rows} new pageviews (of ${fresh.pv}) in ${round(incMs)} ms ${JSON.stringify(incRun.stepMs)}; `
    + `product traffic ${round(ptMs)} ms; ${incEvents} new events → ${incEventsPerSecond} events/s`);
  const featureKeepUp = await keepUpFeatureRollups(ctx, log, seq0);
  return { incRows: incRun.rows, incMs, incEvents, incEventsPerSecond, ptMs, featureKeepUp };
}

export async function prepareData(ctx: Ctx, dir: string, log: (m: string) => void): Promise<Prepared> {
  const { pool } = ctx;
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
  if (await seedDiscountCodes(pool, site.id)) log('seeded discount codes (loadtest/bench-discounts-raw.ts)');
  await pool.query('VACUUM ANALYZE');
  const counts = await rawCounts(pool);
  log(`generated in ${round((performance.now() - genStart) / 1000)} s: ${JSON.stringify(counts)}`);

  // Full build of the traffic rollups = a rebuild from scratch.
  log('traffic rollups: full build');
  const [rebuildMs, built] = await timeIt(() => runTrafficRollup(pool, { batchSpan: 1_000_000, lockTimeoutMs: 60_000 }));
  const [commerceMs, commerce] = await timeIt(() => runJobsNow(ctx, 'commerce-rollups'));
  // The feature reports' rollups (errors, heatmaps, vitals, cohorts, exposures, saved funnels …).
  const featureBuild = await buildFeatureRollups(ctx, log);
  await pool.query('VACUUM ANALYZE');
  log(`traffic rebuild ${round(rebuildMs / 1000)} s (${built.rows} pageviews, steps ${JSON.stringify(built.stepMs)}), commerce ${round(commerceMs / 1000)} s ok=${commerce.every((o) => o.ok)}`);

  const keep = await measureKeepUp(ctx, site.id, log);
  const prep: Prepared = { site, visits, counts, rebuildMs, builtRows: built.rows, commerceMs, featureBuild, ...keep };
  await writeFile(join(dir, PREP_FILE), JSON.stringify({ ...prep, site: { id: site.id, token: '' } }));
  return prep;
}

export async function reusePrepared(ctx: Ctx, dir: string, log: (m: string) => void): Promise<Prepared> {
  const prep = JSON.parse(await readFile(join(dir, PREP_FILE), 'utf8')) as Prepared;
  const token = await createToken(ctx.pool, prep.site.id, 'admin', 'bench-reports reuse');
  log(`reusing the data set in ${dir} (site ${prep.site.id}); catch-up run of every job`);
  const [ms, out] = await timeIt(() => runJobsNow(ctx, 'all'));
  log(`catch-up ${round(ms / 1000)} s: ${out.map((o) => `${o.job} ${Math.round(o.ms)} ms ${o.ok ? 'ok' : `FAILED ${o.error ?? ''}`}`).join(', ')}`);
  await ctx.pool.query('VACUUM ANALYZE');
  // BENCH_KEEPUP=1: measure the keep-up again with this code (new rows are added to the kept set).
  const keep = process.env.BENCH_KEEPUP ? await measureKeepUp(ctx, prep.site.id, log) : {};
  return { ...prep, ...keep, site: { id: prep.site.id, token }, counts: await rawCounts(ctx.pool) };
}

async function rawCounts(pool: pg.Pool) {
  return (await pool.query<{ pv: number; ev: number; raw: number; o: number }>(
    `SELECT (SELECT count(*) FROM pageviews)::float8 AS pv, (SELECT count(*) FROM events)::float8 AS ev, (SELECT count(*) FROM orders)::float8 AS o,
      ((SELECT count(*) FROM pageviews) + (SELECT count(*) FROM events) + (SELECT count(*) FROM heatmap_points)
      + (SELECT count(*) FROM errors) + (SELECT count(*) FROM vitals))::float8 AS raw`,
  )).rows[0]!;
}
