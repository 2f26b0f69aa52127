/**
 * `npm run bench:reports` — report latency from rollups vs the same reports computed from the raw
 * tables in the same run (the Umami way), rollup throughput and full-rebuild time.
 *
 * Own embedded PostgreSQL in a temp dir (fsync off: only generation speed is affected, reads are
 * what is measured). Dataset: BENCH_EVENTS (default 10M) events = 70 % pageviews + 30 % custom
 * events, BENCH_EVENTS/10 visits, BENCH_EVENTS/50 orders over the last 90 days.
 * BENCH_EVENTS=1000000 for a quick run. BENCH_ITER requests per (endpoint, range) (default 40).
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
import { runTrafficRollup } from '../src/jobs/rollups.ts';
import { createLogger } from '../src/log.ts';
import { addDays, localDateToUtc, todayIn } from '../src/reports/params.ts';
import { startServer } from '../src/server.ts';
import { createSite } from '../src/sites/sites.ts';
import { generateCommerce, generateTraffic } from './bench-reports-data.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const ITER = Number(process.env.BENCH_ITER ?? 40);
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
    const site = await createSite(pool, { name: 'Bench store', domain: 'shop.example', timezone: TZ, currency: 'USD' });
    await pool.query(`SELECT tally_ensure_partitions((now() - interval '100 days')::date, (now() + interval '1 month')::date)`);

    log(`generating ${EVENTS} events (${VISITS} visits) and ${ORDERS} orders`);
    const genStart = performance.now();
    const chunk = 100_000;
    for (let from = 0; from < VISITS; from += chunk) {
      await generateTraffic(pool, site.id, from, Math.min(VISITS, from + chunk), VISITORS);
      log(`  visits ${Math.min(VISITS, from + chunk)}/${VISITS}`);
    }
    await generateCommerce(pool, site.id, ORDERS, VISITORS);
    await pool.query('VACUUM ANALYZE');
    const counts = (await pool.query<{ pv: number; ev: number; o: number }>(
      `SELECT (SELECT count(*) FROM pageviews) AS pv, (SELECT count(*) FROM events) AS ev, (SELECT count(*) FROM orders) AS o`,
    )).rows[0]!;
    log(`generated in ${round((performance.now() - genStart) / 1000)} s: ${JSON.stringify(counts)}`);

    // Full build of the traffic rollups = a rebuild from scratch.
    log('traffic rollups: full build');
    const [rebuildMs, built] = await timeIt(() => runTrafficRollup(pool, { batchSpan: 1_000_000, lockTimeoutMs: 60_000 }));
    const [commerceMs, commerce] = await timeIt(() => runJobsNow(ctx, 'commerce-rollups'));
    await pool.query('VACUUM ANALYZE');
    log(`traffic rebuild ${round(rebuildMs / 1000)} s (${built.rows} pageviews, steps ${JSON.stringify(built.stepMs)}), commerce ${round(commerceMs / 1000)} s ok=${commerce.every((o) => o.ok)}`);

    // Keep-up: new events (as if just ingested) folded in by one incremental run.
    const inc = Math.max(10_000, Math.round(EVENTS / 50));
    await generateTraffic(pool, site.id, VISITS + 1, VISITS + 1 + Math.round(inc / 10), VISITORS);
    const newRows = (await pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM pageviews WHERE ingest_seq > (SELECT seq FROM rollup_watermarks WHERE name = 'traffic')`,
    )).rows[0]!.n;
    const [incMs, incRun] = await timeIt(() => runTrafficRollup(pool));
    log(`incremental: ${incRun.rows} new pageviews (+ ${newRows - incRun.rows} skipped) in ${round(incMs)} ms ${JSON.stringify(incRun.stepMs)}`);

    if (process.env.BENCH_SKIP_HTTP) return;
    const server = await startServer(config, createLogger('silent'));
    const results: Record<string, unknown>[] = [];
    try {
      const today = todayIn(TZ);
      for (const days of [7, 30, 90]) {
        const from = addDays(today, -(days - 1));
        const start = localDateToUtc(from, TZ);
        const end = localDateToUtc(addDays(today, 1), TZ);
        const endpoints: Record<string, string> = {
          overview: `/reports/overview?from=${from}&to=${today}`,
          revenue: `/reports/revenue?from=${from}&to=${today}&currency=USD`,
          products: `/reports/products?from=${from}&to=${today}`,
          realtime: `/reports/realtime`,
        };
        for (const [name, path] of Object.entries(endpoints)) {
          if (name === 'realtime' && days !== 7) continue;
          const url = `${server.url}/api/v1/sites/${site.id}${path}`;
          const times: number[] = [];
          let status = 0;
          for (let i = 0; i < ITER + 3; i++) {
            const t = performance.now();
            const res = await fetch(url, { headers: { authorization: `Bearer ${site.token}` } });
            await res.arrayBuffer();
            status = res.status;
            if (i >= 3) times.push(performance.now() - t);
          }
          const raw = RAW[name];
          const rawTimes: number[] = [];
          if (raw) {
            for (let i = 0; i < 3; i++) {
              const [ms] = await timeIt(() => Promise.all(raw(site.id, start, end).map((q) => pool.query(q))));
              rawTimes.push(ms);
            }
          }
          const row = {
            endpoint: name, days, status, p50: round(pct(times, 50)), p95: round(pct(times, 95)),
            rawP50: rawTimes.length ? round(pct(rawTimes, 50)) : null,
            speedup: rawTimes.length ? round(pct(rawTimes, 50) / pct(times, 50)) : null,
          };
          results.push(row);
          log(JSON.stringify(row));
        }
      }
    } finally {
      await server.close();
    }
    const summary = {
      events: counts.pv + counts.ev, pageviews: counts.pv, visits: VISITS, orders: counts.o,
      trafficRebuildSeconds: round(rebuildMs / 1000), trafficRebuildRowsPerSecond: Math.round(built.rows / (rebuildMs / 1000)),
      incrementalRows: incRun.rows, incrementalRowsPerSecond: Math.round(incRun.rows / (incMs / 1000)),
      commerceRebuildSeconds: round(commerceMs / 1000), results,
    };
    console.log('\n| report | range | p50 ms | p95 ms | raw p50 ms | raw ÷ rollup |\n|---|---|---|---|---|---|');
    for (const r of results) console.log(`| ${r.endpoint} | ${r.days} d | ${r.p50} | ${r.p95} | ${r.rawP50 ?? '—'} | ${r.speedup ? `${r.speedup}×` : '—'} |`);
    console.log(JSON.stringify(summary));
  } finally {
    await pool.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

type Q = { text: string; values: unknown[] };
/** The same reports straight from the raw tables, as a rollup-less tool computes them. */
const RAW: Record<string, (site: string, start: Date, end: Date) => Q[]> = {
  overview: (site, start, end) => {
    const v = [site, start, end, TZ];
    const w = `site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz`;
    const top = (col: string) => ({ text: `SELECT ${col} AS key, count(DISTINCT visitor_id), count(*) FROM pageviews WHERE ${w} AND $4::text IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 10`, values: v });
    return [
      { text: `SELECT count(DISTINCT visitor_id), count(*) FROM pageviews WHERE ${w} AND $4::text IS NOT NULL`, values: v },
      { text: `SELECT count(*), count(*) FILTER (WHERE n = 1), avg(d) FROM (SELECT session_id, count(*) AS n, max(occurred_at) - min(occurred_at) AS d
          FROM pageviews WHERE ${w} AND $4::text IS NOT NULL GROUP BY session_id) s`, values: v },
      { text: `SELECT date_trunc('day', occurred_at, $4::text), count(DISTINCT visitor_id), count(*), count(DISTINCT session_id) FROM pageviews WHERE ${w} GROUP BY 1`, values: v },
      ...['path', 'ref_domain', 'channel', 'utm_source', 'country', 'browser', 'os', 'device'].map(top),
    ];
  },
  revenue: (site, start, end) => {
    const v = [site, start, end, TZ];
    const w = `site_id = $1::bigint AND created_at >= $2::timestamptz AND created_at < $3::timestamptz AND $4::text IS NOT NULL`;
    return [
      { text: `SELECT date_trunc('day', created_at, $4::text), count(*), sum(total), sum(discount), sum(tax), sum(shipping), count(DISTINCT customer_id)
          FROM orders WHERE ${w} AND currency = 'USD' AND status IN ('paid', 'fulfilled', 'refunded') GROUP BY 1`, values: v },
      { text: `SELECT date_trunc('day', created_at, $4::text), sum(amount) FROM refunds WHERE ${w} AND currency = 'USD' GROUP BY 1`, values: v },
      { text: `SELECT count(*) FROM customers c WHERE ${w.replaceAll('created_at', 'c.created_at')}`, values: v },
    ];
  },
  products: (site, start, end) => {
    const v = [site, start, end];
    return [
      { text: `SELECT i.product_id, sum(i.quantity), sum(i.quantity * i.unit_price), count(DISTINCT o.id) FROM order_items i JOIN orders o ON o.site_id = i.site_id AND o.id = i.order_id
          WHERE o.site_id = $1::bigint AND o.created_at >= $2::timestamptz AND o.created_at < $3::timestamptz AND o.status IN ('paid', 'fulfilled', 'refunded')
          GROUP BY 1 ORDER BY 3 DESC LIMIT 10`, values: v },
      { text: `SELECT substring(path FROM '^/products/([^/?#]+)'), count(*) FROM pageviews WHERE site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
          AND path LIKE '/products/%' GROUP BY 1`, values: v },
      { text: `SELECT props->>'product_id', count(*) FROM events WHERE site_id = $1::bigint AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz
          AND name = 'add_to_cart' GROUP BY 1`, values: v },
    ];
  },
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
