/**
 * Commerce reports benchmark (helper C2): revenue and products reports on ORDERS paid/pending
 * orders over 90 days, from the rollups vs the same numbers computed from the raw commerce and
 * event tables in the same run; plus the rollup's full build and incremental refresh times.
 *
 *   node bin/run-ts.mjs loadtest/bench-commerce-reports.ts [--orders 200000] [--pageviews 1000000] [--iterations 40]
 *
 * Starts its own embedded PostgreSQL in a temporary directory (or uses BENCH_DATABASE_URL),
 * generates data set-based with generate_series, and removes everything afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createApp } from '../src/http/app.ts';
import { runCommerceRollups } from '../src/reports/revenue/commerce-rollups.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';
import { createToken } from '../src/sites/tokens.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const ORDERS = flag('orders', 200_000);
const PAGEVIEWS = flag('pageviews', 1_000_000);
const ITERATIONS = flag('iterations', 40);
const DAYS = 90;

function pct(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const out = await fn();
  return [performance.now() - t, out];
}
const ms = (x: number) => x.toFixed(1);

/** Per-step durations of a rollup run (the beforeStep hook marks each step's start). */
function stepTimer(): { options: { beforeStep: (name: string) => void }; report: () => string } {
  const marks: [string, number][] = [];
  return {
    options: { beforeStep: (name: string) => void marks.push([name, performance.now()]) },
    report: () => marks.slice(0, -1).map(([name, t], i) => [name, marks[i + 1]![1] - t] as const)
      .filter(([, d]) => d >= 5).map(([name, d]) => `${name} ${Math.round(d)}`).join(', '),
  };
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'tally-bench-commerce-'));
  const server = dir ? await startEmbedded({ dataDir: dir, settings: { fsync: 'off', synchronous_commit: 'off', shared_buffers: '512MB' } }) : undefined;
  const url = process.env.BENCH_DATABASE_URL ?? server!.url;
  const pool = createPool(url, { max: 8 });
  try {
    const client = await pool.connect();
    await migrate(client).finally(() => client.release());
    const site = await createSite(pool, { name: 'Bench', domain: 'bench.test', timezone: 'Europe/Paris', currency: 'EUR' });
    const token = await createToken(pool, site.id, 'read');
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - DAYS * 86_400_000);
    await pool.query(`SELECT tally_ensure_partitions($1::date, now()::date)`, [start]);

    console.log(`generating ${ORDERS} orders, ~${ORDERS * 2} items, ${PAGEVIEWS} pageviews, ${PAGEVIEWS / 10} add_to_cart events over ${DAYS} days …`);
    const [genMs] = await time(async () => {
      await pool.query(`INSERT INTO products (site_id, id, name, category, price, currency)
        SELECT $1::bigint, 'prod_' || g, 'Product ' || g, 'cat ' || (g % 12), 1000 + g * 7, 'EUR' FROM generate_series(1, 300) g`, [site.id]);
      await pool.query(`INSERT INTO orders (site_id, id, customer_id, visitor_id, status, currency, subtotal, discount, tax, shipping, total, created_at)
        SELECT $1::bigint, 'o' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'c' || (hashint4(g) & 65535) END, 'v' || (hashint4(g + 7) & 262143),
               (ARRAY['paid','paid','paid','fulfilled','fulfilled','pending','cancelled','refunded'])[1 + (g % 8)],
               CASE WHEN g % 10 = 0 THEN 'USD' ELSE 'EUR' END, s, 0, s / 5, 490, s + s / 5 + 490,
               $2::timestamptz + (random() * ${DAYS}) * interval '1 day'
        FROM (SELECT g, 2000 + (hashint4(g) & 16383) AS s FROM generate_series(1, $3::int) g) x`, [site.id, start, ORDERS]);
      await pool.query(`INSERT INTO order_items (site_id, order_id, line, product_id, name, quantity, unit_price)
        SELECT o.site_id, o.id, l, 'prod_' || (1 + (hashtext(o.id || ':' || l) & 2147483647) % 300), 'Product', 1 + l % 2, o.subtotal / 3
        FROM orders o, generate_series(1, 2) l WHERE o.site_id = $1::bigint`, [site.id]);
      await pool.query(`INSERT INTO refunds (site_id, id, order_id, amount, currency, created_at)
        SELECT site_id, 'r' || id, id, total / 2, currency, LEAST(now(), created_at + interval '3 days')
        FROM orders WHERE site_id = $1::bigint AND status IN ('refunded') `, [site.id]);
      await pool.query(`UPDATE orders o SET refunded = r.amount FROM refunds r WHERE r.site_id = o.site_id AND r.order_id = o.id AND o.site_id = $1::bigint`, [site.id]);
      await pool.query(`INSERT INTO pageviews (site_id, occurred_at, received_at, event_id, visitor_id, session_id, url, host, path, channel, device)
        SELECT $1::bigint, t, t, gen_random_uuid(), 'v' || (hashint4(g) & 262143), 's' || g / 4, 'https://bench.test/', 'bench.test',
               CASE WHEN g % 2 = 0 THEN '/products/prod_' || (1 + g % 300) ELSE '/' END,
               (ARRAY['direct','organic','paid','social','email','referral'])[1 + g % 6], 'desktop'
        FROM (SELECT g, $2::timestamptz + (random() * ${DAYS}) * interval '1 day' AS t FROM generate_series(1, $3::int) g) x`, [site.id, start, PAGEVIEWS]);
      await pool.query(`INSERT INTO events (site_id, occurred_at, received_at, event_id, visitor_id, session_id, name, props)
        SELECT $1::bigint, t, t, gen_random_uuid(), 'v' || (hashint4(g) & 262143), 's' || g, 'add_to_cart', jsonb_build_object('product_id', 'prod_' || (1 + g % 300))
        FROM (SELECT g, $2::timestamptz + (random() * ${DAYS}) * interval '1 day' AS t FROM generate_series(1, $3::int) g) x`, [site.id, start, PAGEVIEWS / 10]);
      await pool.query('ANALYZE');
    });
    console.log(`generated in ${ms(genMs / 1000)} s`);

    const signal = new AbortController().signal;
    const [fullMs, full] = await time(() => runCommerceRollups({ pool, signal }));
    const rawRows = ORDERS * 3 + PAGEVIEWS * 1.1;
    console.log(`full build: ${ms(fullMs)} ms (${Math.round(rawRows / (fullMs / 1000))} source rows/s) ${JSON.stringify(full.detail)}`);
    await pool.query('ANALYZE');

    // Incremental: 1,000 orders re-sent (status/total/created_at change) + 200 new refunds.
    await pool.query(`UPDATE orders SET status = 'paid', created_at = created_at + interval '1 day', updated_at = now()
      WHERE site_id = $1::bigint AND id IN (SELECT 'o' || g FROM generate_series(1, 8000, 8) g)`, [site.id]);
    await pool.query(`INSERT INTO refunds (site_id, id, order_id, amount, currency, created_at)
      SELECT site_id, 'rx' || id, id, 100, currency, now() FROM orders WHERE site_id = $1::bigint AND status = 'paid' AND refunded = 0 LIMIT 200`, [site.id]);
    const incSteps = stepTimer();
    const [incMs, inc] = await time(() => runCommerceRollups({ pool, signal }, incSteps.options));
    console.log(`incremental (1,000 changed orders + 200 refunds): ${ms(incMs)} ms ${JSON.stringify(inc.detail)}\n  steps ≥ 5 ms: ${incSteps.report()}`);
    const idleSteps = stepTimer();
    const [idleMs] = await time(() => runCommerceRollups({ pool, signal }, idleSteps.options));
    console.log(`idle run: ${ms(idleMs)} ms\n  steps ≥ 5 ms: ${idleSteps.report()}`);

    const app = createApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), pool, logger: createLogger('silent'), registry: new Registry() });
    const today = new Date().toISOString().slice(0, 10);
    const dayStr = (n: number) => new Date(Date.parse(today) - n * 86_400_000).toISOString().slice(0, 10);
    const rows: string[] = [];
    for (const days of [7, 30, 90]) {
      const from = dayStr(days - 1);
      for (const report of ['revenue', 'products']) {
        const path = `/api/v1/sites/${site.id}/reports/${report}?from=${from}&to=${today}`;
        const samples: number[] = [];
        for (let i = 0; i < ITERATIONS + 3; i++) {
          const [t, res] = await time(async () => app.request(path, { headers: { authorization: `Bearer ${token}` } }));
          if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
          if (i >= 3) samples.push(t);
        }
        // The same report straight from the raw tables (what the rollups replace).
        const raw = report === 'revenue' ? rawRevenueSql : rawProductsSql;
        const rawSamples: number[] = [];
        for (let i = 0; i < Math.max(3, Math.floor(ITERATIONS / 8)); i++) {
          const [t] = await time(() => pool.query(raw, [site.id, 'EUR', `${from} 00:00 Europe/Paris`, `${today} 24:00 Europe/Paris`]));
          rawSamples.push(t);
        }
        const line = `| ${report} | ${days} d | ${ms(pct(samples, 50))} | ${ms(pct(samples, 95))} | ${ms(pct(rawSamples, 50))} | ${(pct(rawSamples, 50) / pct(samples, 50)).toFixed(0)}× |`;
        rows.push(line);
        console.log(line);
      }
    }
    console.log('\n| report | range | p50 ms | p95 ms | raw p50 ms | speed-up |\n|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await pool.end();
    if (process.env.BENCH_KEEP) {
      console.log(`kept: ${url} (${dir ?? 'external'})`);
    } else {
      if (server) await server.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

// Raw equivalents: totals, daily series, channels (first touch by a visitor scan), top products.
const rawRevenueSql = `
  WITH paid AS (SELECT * FROM orders WHERE site_id = $1::bigint AND currency = $2::text AND status IN ('paid','fulfilled','refunded')
                AND created_at >= $3::timestamptz AND created_at < $4::timestamptz),
       ref AS (SELECT * FROM refunds WHERE site_id = $1::bigint AND currency = $2::text AND created_at >= $3::timestamptz AND created_at < $4::timestamptz),
       ft AS (SELECT DISTINCT ON (visitor_id) visitor_id, channel, occurred_at FROM pageviews WHERE site_id = $1::bigint ORDER BY visitor_id, occurred_at)
  SELECT (SELECT count(*) FROM paid), (SELECT sum(total) FROM paid), (SELECT sum(amount) FROM ref),
         (SELECT count(DISTINCT coalesce(customer_id, visitor_id)) FROM paid),
         (SELECT json_agg(x) FROM (SELECT date_trunc('day', created_at AT TIME ZONE 'Europe/Paris') d, count(*), sum(total) FROM paid GROUP BY 1) x),
         (SELECT json_agg(x) FROM (SELECT coalesce(ft.channel, 'unknown') c, sum(total) FROM paid p LEFT JOIN ft ON ft.visitor_id = p.visitor_id AND ft.occurred_at <= p.created_at GROUP BY 1) x),
         (SELECT json_agg(x) FROM (SELECT i.product_id, sum(i.quantity * i.unit_price) r FROM paid p JOIN order_items i ON i.site_id = p.site_id AND i.order_id = p.id GROUP BY 1 ORDER BY 2 DESC LIMIT 10) x)`;
const rawProductsSql = `
  SELECT json_agg(x) FROM (
    SELECT product_id, sum(v) views, sum(a) atc, sum(u) units FROM (
      SELECT substring(path FROM '^/products/([^/]+)') product_id, 1 v, 0 a, 0 u FROM pageviews
        WHERE site_id = $1::bigint AND occurred_at >= $3::timestamptz AND occurred_at < $4::timestamptz AND path LIKE '/products/%'
      UNION ALL SELECT props->>'product_id', 0, 1, 0 FROM events
        WHERE site_id = $1::bigint AND occurred_at >= $3::timestamptz AND occurred_at < $4::timestamptz AND name = 'add_to_cart'
      UNION ALL SELECT i.product_id, 0, 0, i.quantity FROM orders o JOIN order_items i ON i.site_id = o.site_id AND i.order_id = o.id
        WHERE o.site_id = $1::bigint AND o.status IN ('paid','fulfilled','refunded') AND o.created_at >= $3::timestamptz AND o.created_at < $4::timestamptz
    ) u WHERE $2::text IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 100) x`;

await main();
