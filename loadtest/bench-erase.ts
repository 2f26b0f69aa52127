/**
 * `node bin/run-ts.mjs loadtest/bench-erase.ts` — how long erasing a person takes on a large site
 * (contract §8, issue #21 point 1), and whether ingestion stalls meanwhile.
 *
 * Own embedded PostgreSQL in a temp dir (fsync off, as bench-reports). Data (BENCH_DATA): `sql`
 * (default) = bench-reports-data.ts, BENCH_EVENTS raw rows (default 1M: 70 % pageviews, 30 %
 * events; BENCH_EVENTS/10 visits of BENCH_EVENTS/25 visitors; BENCH_EVENTS/50 orders) over 90
 * days; `demo` = `tally demo --scale` (heatmaps, errors, vitals too). Every rollup is built by
 * `jobs run all` first. BENCH_REUSE=1 with BENCH_DIR: the data set a bench:reports run kept there
 * instead (bench-kept.ts; the 10M-event set), whose erased people are gone afterwards. Then BENCH_ERASES
 * (default 5) visitors and as many customers (those with the most rows / orders) are erased one
 * at a time while a writer keeps ingesting 50-pageview batches through ingestDirect (the COPY
 * path of /collect) into the current partitions; printed per erase: total, the commerce and raw
 * transactions, rows deleted, and the writer's batch latencies during the erase vs before it.
 * Also the plan of the row lookup (no per-visitor index on the raw tables).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { runDemo } from '../src/demo/run.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { erasePerson } from '../src/privacy/erase.ts';
import { createSite } from '../src/sites/sites.ts';
import { openBenchCluster } from './bench-kept.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ERASES = Number(process.env.BENCH_ERASES ?? 5);
const DATA = process.env.BENCH_DATA ?? 'sql';
const log = (msg: string) => process.stderr.write(`[bench-erase ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const round = (x: number) => Math.round(x * 10) / 10;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0;
};

/** A fresh data set (BENCH_DATA): the demo simulation or bench-reports-data.ts's SQL generator. */
async function generate(pool: pg.Pool): Promise<string> {
  await pool.query(`SELECT tally_ensure_partitions((now() - interval '100 days')::date, (now() + interval '1 month')::date)`);
  if (DATA === 'demo') {
    log(`tally demo --events ${EVENTS} (scale mode)`);
    return (await runDemo(pool, { days: 90, visitors: 2_000_000_000, seed: 1, targetRows: EVENTS, targetOrders: Math.round(EVENTS / 50) }, log)).site.id;
  }
  const siteId = (await createSite(pool, { name: 'Bench store', domain: 'demo-store.example', timezone: 'America/New_York', currency: 'USD' })).id;
  const visits = Math.round(EVENTS / 10);
  log(`generating ${EVENTS} events (${visits} visits) and ${EVENTS / 50} orders`);
  for (let from = 0; from < visits; from += 100_000) await generateTraffic(pool, siteId, from, Math.min(visits, from + 100_000), Math.round(visits * 0.4));
  await generateCommerce(pool, siteId, Math.round(EVENTS / 50), Math.round(visits * 0.4));
  return siteId;
}

async function main(): Promise<void> {
  const cluster = await openBenchCluster('bench-erase', { shared_buffers: '1GB', work_mem: '64MB', maintenance_work_mem: '512MB', max_wal_size: '8GB' }, log);
  const { pool, ctx } = cluster;
  try {
    let siteId: string;
    if (cluster.kept) {
      // BENCH_REUSE=1 + BENCH_DIR: the kept bench:reports data set, its rollups already current.
      siteId = cluster.kept.id;
    } else {
      siteId = await generate(pool);
      await pool.query('VACUUM ANALYZE');
      const t0 = performance.now();
      const jobs = await runJobsNow(ctx, 'all');
      log(`rollups built in ${round((performance.now() - t0) / 1000)} s (${jobs.filter((j) => !j.ok).length} failed)`);
    }
    await pool.query(`SELECT tally_ensure_partitions(now()::date, (now() + interval '1 month')::date)`);
    const raw = (await pool.query<{ n: string }>(`SELECT ((SELECT count(*) FROM pageviews) + (SELECT count(*) FROM events) + (SELECT count(*) FROM heatmap_points)
      + (SELECT count(*) FROM errors) + (SELECT count(*) FROM vitals))::text AS n`)).rows[0]!.n;
    const orders = (await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM orders`)).rows[0]!.n;

    const plan = await pool.query<{ 'QUERY PLAN': string }>({
      text: `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM pageviews WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`,
      values: [siteId, ['nobody']],
    });
    const visitors = (await pool.query<{ v: string; n: number }>({
      text: `SELECT visitor_id AS v, count(*)::int AS n FROM pageviews WHERE site_id = $1::bigint GROUP BY 1 ORDER BY 2 DESC LIMIT $2::int`,
      values: [siteId, ERASES],
    })).rows;
    const customers = (await pool.query<{ c: string; n: number }>({
      text: `SELECT customer_id AS c, count(*)::int AS n FROM orders WHERE site_id = $1::bigint AND customer_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT $2::int`,
      values: [siteId, ERASES],
    })).rows;

    // The writer: 50 pageviews of a new visitor per batch, back to back, timing each batch.
    let stop = false;
    const latencies: { at: number; ms: number }[] = [];
    const writer = (async () => {
      for (let b = 0; !stop; b++) {
        const now = Date.now();
        const events = Array.from({ length: 50 }, (_, i) => ({ type: 'pageview', id: randomUUID(), ts: now - i * 1000, url: `https://demo-store.example/w${i}`, vid: `writer-${b}`, sid: `writer-${b}` }));
        const t = performance.now();
        await ingestDirect(pool, { siteId, events });
        latencies.push({ at: t, ms: performance.now() - t });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 3000));
    const results: Record<string, unknown>[] = [];
    for (const person of [...visitors.map((v) => ({ visitorId: v.v, label: `visitor with ${v.n} pageviews` })), ...customers.map((c) => ({ customerId: c.c, label: `customer with ${c.n} orders` }))]) {
      const start = performance.now();
      const marks: Record<string, number> = {};
      const steps: Record<string, number> = {};
      const { deleted } = await erasePerson(pool, { siteId, ...('visitorId' in person ? { visitorId: person.visitorId } : { customerId: person.customerId }), actorTokenId: null }, {
        beforeCommit: async (group) => {
          marks[group] = performance.now();
        },
        onStep: (name, ms) => {
          steps[name] = Math.round(ms);
        },
      });
      const end = performance.now();
      const during = latencies.filter((l) => l.at >= start && l.at <= end).map((l) => l.ms);
      results.push({
        person: person.label, totalMs: Math.round(end - start), commerceMs: Math.round((marks.commerce ?? start) - start), rawMs: Math.round(end - (marks.commerce ?? start)),
        deleted: Object.fromEntries(Object.entries(deleted).filter(([, n]) => n > 0)),
        stepMs: steps, writerBatchesDuring: during.length, writerP50Ms: round(pct(during, 0.5)), writerMaxMs: round(Math.max(0, ...during)),
      });
      log(JSON.stringify(results.at(-1)));
      await new Promise((r) => setTimeout(r, 1000));
    }
    stop = true;
    await writer;
    const before = latencies.filter((l) => l.at < latencies[0]!.at + 3000).map((l) => l.ms);
    console.log(JSON.stringify({
      rawRows: Number(raw), orders: Number(orders), reused: Boolean(cluster.kept), writerBeforeP50Ms: round(pct(before, 0.5)), writerBeforeMaxMs: round(Math.max(...before)),
      lookupPlan: plan.rows.map((r) => r['QUERY PLAN']).filter((l) => /Scan|Append/.test(l)).slice(0, 6), erases: results,
    }, null, 1));
  } finally {
    await cluster.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
