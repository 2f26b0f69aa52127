import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { runWithSite, siteScopedPool } from '../src/db/rls.ts';
import { runDemo, type DemoResult } from '../src/demo/run.ts';
import { EXPERIMENT, ORIGIN } from '../src/demo/world.ts';
import { createApp } from '../src/http/app.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { resolveRange } from '../src/reports/common/params.ts';
import { EXPORT_TABLES } from '../src/reports/export/csv.ts';
import { grainFor, seriesQuery, topQuery, totalsQuery } from '../src/reports/overview/report.ts';
import { byChannelSql, seriesSql, topProductsSql } from '../src/reports/revenue/report.ts';
import { getSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

/**
 * Row-level security end to end (issue #21 point 3): report queries with their site filter
 * stripped, run through the site-scoped pool, see nothing of the other site; every report route
 * answers the same with RLS on as with TALLY_RLS=off, and really reads as the reader role.
 */
let db: TestDatabase;
let a: DemoResult;
let rlsApp: ReturnType<typeof createApp>;
let plainApp: ReturnType<typeof createApp>;
const endMs = Date.UTC(2024, 5, 1);
const from = '2024-05-12';
const to = '2024-05-31';

beforeAll(async () => {
  db = await createTestDatabase();
  a = await runDemo(db.pool, { days: 20, visitors: 1500, seed: 21, endMs });
  await runDemo(db.pool, { days: 20, visitors: 1000, seed: 22, endMs }); // site B: the rows A must not see
  const base = { pool: db.pool, logger: createLogger('silent'), registry: new Registry() };
  const config = loadConfig({ DATABASE_URL: db.url });
  await runJobsNow({ ...base, config }, 'all');
  rlsApp = createApp({ ...base, config });
  plainApp = createApp({ ...base, config: loadConfig({ DATABASE_URL: db.url, TALLY_RLS: 'off' }) });
}, 240_000);
afterAll(async () => db?.drop());

type Query = { text: string; values: unknown[] };

/** The query with every `site_id = $1::bigint` (the site filter of the builders) made true. */
function stripSiteFilter(q: Query): Query {
  let n = 0;
  const text = q.text.replace(/(?:\b\w+\.)?site_id = \$1::bigint/g, () => {
    n++;
    return '$1::bigint IS NOT NULL';
  });
  expect(n).toBeGreaterThan(0);
  return { text, values: q.values };
}

describe('a report query without its site filter, under RLS', () => {
  it('sees exactly its own site of every site-scoped table, nothing of the other', async () => {
    const scoped = siteScopedPool(db.pool, { enabled: true });
    const { rows: tables } = await db.pool.query<{ t: string }>(`
      SELECT c.relname AS "t" FROM pg_class c JOIN pg_attribute at ON at.attrelid = c.oid AND at.attname = 'site_id'
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'api_tokens'
      ORDER BY 1`);
    let nonEmpty = 0;
    for (const { t } of tables) {
      const table = pg.escapeIdentifier(t);
      const seen = await runWithSite(a.site.id, () => scoped.query<{ n: number; others: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE site_id <> ${Number(a.site.id)})::int AS others FROM ${table}`));
      const own = await db.pool.query<{ n: number; all: number }>({
        text: `SELECT count(*) FILTER (WHERE site_id = $1::bigint)::int AS n, count(*)::int AS "all" FROM ${table}`, values: [a.site.id] });
      expect({ t, ...seen.rows[0] }).toEqual({ t, n: own.rows[0]!.n, others: 0 });
      if (own.rows[0]!.all > own.rows[0]!.n && own.rows[0]!.n > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(20); // both sites have rows in most tables: the test means something
  });

  it('overview and revenue builders, filter stripped: site A under RLS equals the filtered query; the owner sees both sites', async () => {
    const scoped = siteScopedPool(db.pool, { enabled: true });
    const site = (await getSite(db.pool, a.site.id))!;
    const range = resolveRange({ from, to, limit: 10 }, site.timezone);
    const grain = grainFor(site, range);
    const queries: Query[] = [
      totalsQuery(site.id, grain, range), seriesQuery(site.id, grain, range), topQuery(site.id, grain, range, 10),
      seriesSql(site.id, 'USD', range), byChannelSql(site.id, 'USD', range.start, range.end), topProductsSql(site.id, 'USD', range.start, range.end, 10),
    ];
    for (const q of queries) {
      const filtered = (await db.pool.query(q)).rows;
      const stripped = stripSiteFilter(q);
      expect((await runWithSite(site.id, () => scoped.query(stripped))).rows).toEqual(filtered);
      expect((await db.pool.query(stripped)).rows).not.toEqual(filtered); // B's rows are really there without RLS
    }
    // And with no site set at all, the reader sees nothing rather than everything.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN; SET LOCAL ROLE tally_report_reader');
      const totals = (await client.query(stripSiteFilter(totalsQuery(site.id, grain, range)))).rows[0];
      expect(totals.pageviews).toBe(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('every report route with RLS on answers as with TALLY_RLS=off', () => {
  const get = (app: ReturnType<typeof createApp>, path: string, init: RequestInit = {}) =>
    app.request(`/api/v1/sites/${a.site.id}${path}`, { ...init, headers: { authorization: `Bearer ${a.site.token}`, 'content-type': 'application/json' } });
  const range = `from=${from}&to=${to}`;
  const funnelBody = JSON.stringify({ from, to, steps: [{ type: 'pageview', path: '/' }, { type: 'pageview', path: '/products/*' }, { type: 'order' }] });

  async function routes(): Promise<[string, RequestInit?][]> {
    const list = (await (await get(plainApp, '/funnels')).json()) as { funnels: { id: string }[] };
    const funnel = list.funnels[0]!.id;
    return [
      [`/reports/overview?${range}&compare=previous`], [`/reports/overview?${range}&interval=week&tz=Europe/Paris`],
      ['/reports/realtime'], [`/reports/revenue?${range}`], [`/reports/products?${range}`],
      [`/reports/retention?cohort=visitor&period=week&${range}`], [`/reports/retention?cohort=customer&period=week&${range}`],
      [`/reports/heatmap?url=${encodeURIComponent(`${ORIGIN}/`)}&${range}`], [`/reports/heatmap/pages?${range}`],
      [`/reports/vitals?${range}`], [`/errors?${range}`], [`/experiments/${EXPERIMENT.key}/report`],
      [`/reports/search?${range}`], [`/reports/discounts?${range}&currency=USD`],
      ['/reports/funnel', { method: 'POST', body: funnelBody }], ['/funnels'], [`/funnels/${funnel}/report?${range}`],
      [`/funnels/${funnel}/people.csv?${range}&step=1`],
      ...EXPORT_TABLES.map((t): [string] => [`/export/${t}.csv?${range}`]),
    ];
  }

  it('same status and body for each route and export', async () => {
    const checked: string[] = [];
    for (const [path, init] of await routes()) {
      const [on, off] = [await get(rlsApp, path, init), await get(plainApp, path, init)];
      const [bodyOn, bodyOff] = [await on.text(), await off.text()];
      expect({ path, status: on.status }).toEqual({ path, status: 200 });
      expect({ path, status: off.status }).toEqual({ path, status: 200 });
      expect({ path, body: bodyOn }).toEqual({ path, body: bodyOff });
      checked.push(path);
    }
    expect(checked.length).toBeGreaterThan(25);
  }, 120_000);

  it('and those reads really run as the reader: without its grant on sites every one fails', async () => {
    await db.pool.query('REVOKE SELECT ON sites FROM tally_report_reader');
    try {
      for (const [path, init] of await routes()) {
        const res = await get(rlsApp, path, init);
        expect({ path, status: res.status, body: await res.text() }).toEqual({ path, status: 500, body: expect.any(String) });
        const plain = await get(plainApp, path, init);
        await plain.text(); // an export's cursor holds its connection until the body is read
        expect(plain.status).toBe(200);
      }
    } finally {
      await db.pool.query('GRANT SELECT ON sites TO tally_report_reader');
    }
  }, 120_000);

  it('the API reads outside the reports too: the site, its audit log, its experiments — each fails without the reader\'s grant on its table', async () => {
    await get(plainApp, '', { method: 'PATCH', body: JSON.stringify({ name: 'RLS shop' }) }); // an audit entry to list
    const reads: [string, string][] = [['', 'sites'], ['/audit', 'audit_log'], ['/experiments', 'experiments'], [`/experiments/${EXPERIMENT.key}`, 'experiments']];
    for (const [path, table] of reads) {
      const [on, off] = [await get(rlsApp, path), await get(plainApp, path)];
      expect({ path, status: on.status, body: await on.text() }).toEqual({ path, status: 200, body: await off.text() });
      await db.pool.query(`REVOKE SELECT ON ${table} FROM tally_report_reader`);
      try {
        expect({ path, status: (await get(rlsApp, path)).status }).toEqual({ path, status: 500 });
        expect({ path, status: (await get(plainApp, path)).status }).toEqual({ path, status: 200 });
      } finally {
        await db.pool.query(`GRANT SELECT ON ${table} TO tally_report_reader`);
      }
    }
  });
});
