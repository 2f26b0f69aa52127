import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createPool, type Pool } from '../../db/pool.ts';
import { migrate, SQL_DIR } from '../../db/migrate.ts';
import { generateVisits, insertPageviews, rng } from '../../../test/helpers/traffic-data.ts';
import { createSite } from '../../sites/sites.ts';
import { rebuildTrafficRollups } from './traffic-rollup.ts';

/**
 * sql/050 converts an existing installation's rollup_visitors (sql/030) into visitor_days,
 * visitor_day_links and month rows: the result must equal what the new job builds from the raw
 * rows. The pre-050 sets are written here as the old job wrote them (SQL of its semantics).
 */
let admin: pg.Client;
let pool: Pool;
const name = `tally_mig050_${process.pid}`;
let siteId: string;

const snapshot = async () => ({
  days: (await pool.query(`SELECT site_id, visitor_key, day, hours, ARRAY(SELECT k FROM unnest(keys) k ORDER BY k) AS keys FROM visitor_days ORDER BY 1, 2, 3`)).rows,
  links: (await pool.query(`SELECT site_id, day, prev_day, n FROM visitor_day_links WHERE n <> 0 ORDER BY 1, 2, 3`)).rows,
  months: (await pool.query(`SELECT site_id, bucket, dim, key, pageviews, visitors FROM traffic_rollups WHERE grain = 'm' AND dim = 0 ORDER BY 1, 2, 3, 4`)).rows,
});

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${name}`;
  pool = createPool(url.toString(), { max: 4 });
  // Migrations up to 043 only.
  const dir = mkdtempSync(join(tmpdir(), 'tally-mig-'));
  for (const f of readdirSync(SQL_DIR)) if (/^\d+_/.test(f) && Number(f.split('_')[0]) < 50) cpSync(join(SQL_DIR, f), join(dir, f));
  const client = await pool.connect();
  await migrate(client, dir);
  client.release();
  rmSync(dir, { recursive: true, force: true });
  await pool.query(`SELECT tally_ensure_partitions('2026-03-01', '2026-05-01')`);
  siteId = (await createSite(pool, { name: 'Paris', domain: 'shop.test', timezone: 'Europe/Paris' })).id;
  await insertPageviews(pool, generateVisits(rng(5), siteId, new Date('2026-03-26T00:00:00Z'), new Date('2026-04-03T00:00:00Z'), 600, 150, 'p'));
  // The old job's state: day and whole-site hour sets, and day counters.
  const pv = `SELECT p.site_id, hashtextextended(p.visitor_id, 0) AS vk, p.occurred_at,
      date_bin('1 hour', p.occurred_at, timestamptz '2000-01-01 00:00+00') AS hb,
      date_trunc('day', date_bin('15 minutes', p.occurred_at, timestamptz '2000-01-01 00:00+00'), s.timezone) AS db,
      p.path, CASE WHEN p.ref_domain = p.host OR p.channel = 'internal' THEN NULL ELSE p.ref_domain END AS ref_domain,
      NULLIF(p.channel, 'internal') AS channel, p.utm_source, p.utm_medium, p.utm_campaign, p.country, p.browser, p.os, p.device
    FROM pageviews p JOIN sites s ON s.id = p.site_id`;
  const dims = `(VALUES (0::smallint, ''::text), (1, x.path), (2, coalesce(x.ref_domain, '')), (3, coalesce(x.channel, '')), (4, coalesce(x.utm_source, '')),
    (5, coalesce(x.utm_medium, '')), (6, coalesce(x.utm_campaign, '')), (7, coalesce(x.country, '')), (8, coalesce(x.browser, '')),
    (9, coalesce(x.os, '')), (10, coalesce(x.device, '')))`;
  await pool.query(`INSERT INTO rollup_visitors (site_id, grain, dim, bucket, key, visitor_key)
    SELECT DISTINCT x.site_id, 'd', d.dim, x.db, d.key, x.vk FROM (${pv}) x CROSS JOIN LATERAL ${dims} d(dim, key)
    UNION SELECT DISTINCT x.site_id, 'h', 0, x.hb, '', x.vk FROM (${pv}) x`);
  await pool.query(`INSERT INTO traffic_rollups (site_id, grain, bucket, dim, key, pageviews, visitors)
    SELECT x.site_id, 'd', x.db, 0, '', count(*), count(DISTINCT x.vk) FROM (${pv}) x GROUP BY 1, 2, 3, 4, 5`);
  await pool.query(`INSERT INTO rollup_watermarks (name, seq) VALUES ('traffic', (SELECT max(ingest_seq) FROM pageviews))
    ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq`);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin?.end();
});

describe('sql/050 on an existing installation', () => {
  it('converts the old visitor sets into the rows the new job builds', async () => {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    const gone = await pool.query<{ gone: boolean }>(`SELECT to_regclass('rollup_visitors') IS NULL AS gone`);
    expect(gone.rows[0]!.gone).toBe(true);
    const converted = await snapshot();
    expect(converted.links.length).toBeGreaterThan(0);
    expect(converted.months.length).toBe(2); // March and April in Paris
    await rebuildTrafficRollups(pool);
    expect(await snapshot()).toEqual(converted);
  });
});
