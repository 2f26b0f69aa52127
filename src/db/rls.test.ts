import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { generateVisits, insertPageviews, rng } from '../../test/helpers/traffic-data.ts';
import { createSite } from '../sites/sites.ts';
import { SQL_DIR } from './migrate.ts';
import { READER_ROLE, currentSiteId, rowLevelSecurityState, runWithSite, siteScopedPool } from './rls.ts';

let db: TestDatabase;
let a: string;
let b: string;

beforeAll(async () => {
  db = await createTestDatabase();
  a = (await createSite(db.pool, { name: 'a', domain: 'a.test' })).id;
  b = (await createSite(db.pool, { name: 'b', domain: 'b.test' })).id;
  await db.pool.query(`SELECT tally_ensure_partitions('2026-11-01'::date, '2026-11-01'::date)`);
  const rows = (site: string, n: number) => generateVisits(rng(n), site, new Date('2026-11-10T00:00:00Z'), new Date('2026-11-11T00:00:00Z'), n, n, 'v')
    .slice(0, n);
  await insertPageviews(db.pool, [...rows(a, 3), ...rows(b, 5)]);
}, 60_000);
afterAll(async () => db?.drop());

const count = async (client: pg.ClientBase, sql = 'SELECT count(*)::int AS n FROM pageviews') => (await client.query<{ n: number }>(sql)).rows[0]!.n;

describe('row-level security: coverage of the schema', () => {
  it('every table with site_id (not a partition) has RLS on and the site policy for the reader', async () => {
    const { rows } = await db.pool.query<{ table: string; rls: boolean; policy: boolean }>(`
      SELECT c.relname AS "table", c.relrowsecurity AS "rls",
             EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = current_schema() AND p.tablename = c.relname
                     AND '${READER_ROLE}' = ANY (p.roles) AND p.cmd = 'SELECT' AND p.qual LIKE '%site_id%tally.site_id%') AS "policy"
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'site_id' AND NOT a.attisdropped
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY 1`);
    // A table added after sql/150 needs its own ENABLE ROW LEVEL SECURITY + tally_site_isolation policy.
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.filter((r) => !r.rls || !r.policy).map((r) => r.table)).toEqual([]);
  });

  it('the reader may read no partition directly, and no token hash at all', async () => {
    const { rows } = await db.pool.query<{ table: string }>(`
      SELECT c.relname AS "table" FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
        AND (c.relispartition OR c.relname = 'api_tokens') AND has_table_privilege('${READER_ROLE}', c.oid, 'SELECT')`);
    expect(rows).toEqual([]);
    const partitions = await db.pool.query(`SELECT count(*)::int AS n FROM pg_class WHERE relispartition AND relname LIKE 'pageviews%'`);
    expect(partitions.rows[0].n).toBeGreaterThan(0);
  });

  it('no view or materialized view exposes site_id (a view reads with its owner’s rights, past RLS)', async () => {
    const { rows } = await db.pool.query(`
      SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'site_id'
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm')
        AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)`);
    expect(rows).toEqual([]);
  });
});

describe('row-level security: the policies', () => {
  it('the owner (here a superuser) bypasses them; SET ROLE to the reader makes them apply', async () => {
    const client = await db.pool.connect();
    try {
      expect((await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0].rolsuper).toBe(true);
      expect(await count(client)).toBe(8);
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${READER_ROLE}`);
      expect(await count(client)).toBe(0); // no site set: nothing, not everything
      await client.query(`SELECT set_config('tally.site_id', $1::text, true)`, [a]);
      expect(await count(client)).toBe(3);
      expect(await count(client, 'SELECT count(*)::int AS n FROM sites')).toBe(1);
      await client.query(`SELECT set_config('tally.site_id', $1::text, true)`, [b]);
      expect(await count(client)).toBe(5);
      await client.query('COMMIT');
      expect(await count(client)).toBe(8); // SET LOCAL ended with the transaction
    } finally {
      client.release();
    }
  });

  it('a partition named directly is refused to the reader, not read past the policy', async () => {
    const { rows } = await db.pool.query<{ name: string }>(`SELECT c.relname AS "name" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'pageviews'::regclass ORDER BY 1 LIMIT 1`);
    const scoped = siteScopedPool(db.pool, { enabled: true });
    await expect(runWithSite(a, () => scoped.query(`SELECT count(*) FROM ${pg.escapeIdentifier(rows[0]!.name)}`))).rejects.toMatchObject({ code: '42501' });
  });
});

describe('siteScopedPool', () => {
  it('query: scoped inside runWithSite, the plain pool outside it; parallel queries each scoped', async () => {
    const scoped = siteScopedPool(db.pool, { enabled: true });
    const sql = 'SELECT count(*)::int AS n, current_user AS "user" FROM pageviews';
    expect((await scoped.query(sql)).rows[0]).toMatchObject({ n: 8 });
    const [x, y] = await Promise.all([runWithSite(a, () => scoped.query(sql)), runWithSite(b, () => scoped.query(sql))]);
    expect(x.rows[0]).toEqual({ n: 3, user: READER_ROLE });
    expect(y.rows[0]).toEqual({ n: 5, user: READER_ROLE });
    expect(currentSiteId()).toBeUndefined();
    // A failed query rolls back and the connection goes back clean.
    await expect(runWithSite(a, () => scoped.query('SELECT 1/0'))).rejects.toMatchObject({ code: '22012' });
    expect((await db.pool.query('SELECT current_user AS u')).rows[0].u).not.toBe(READER_ROLE);
  });

  it('connect: one scoped transaction until release (the caller’s transactions nest as savepoints), committed before the client is pooled again', async () => {
    const { url } = db;
    const one = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const scoped = siteScopedPool(one, { enabled: true });
      await runWithSite(b, async () => {
        const client = await scoped.connect();
        await client.query('BEGIN');
        expect(await count(client)).toBe(5);
        await client.query('COMMIT');
        expect(await count(client)).toBe(5); // the caller's COMMIT does not end the scope
        await client.query('BEGIN');
        await expect(client.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
        await client.query('ROLLBACK'); // nor its ROLLBACK after an error
        expect(await count(client)).toBe(5);
        // One transaction, not a session-level role (a pooler in transaction mode would hand that on).
        expect((await client.query(`SELECT now() = statement_timestamp() AS fresh`)).rows[0].fresh).toBe(false);
        client.release();
      });
      const again = await one.connect(); // the same (only) connection
      try {
        expect((await again.query('SELECT current_user AS u, current_setting($1::text, true) AS s', ['tally.site_id'])).rows[0]).toMatchObject({ s: '' });
        expect((await again.query('SELECT current_user AS u')).rows[0].u).not.toBe(READER_ROLE);
        expect(await count(again)).toBe(8);
      } finally {
        again.release();
      }
    } finally {
      await one.end();
    }
  });

  it('TALLY_RLS=off gives the pool itself; a site id that is not one is refused', async () => {
    expect(siteScopedPool(db.pool, { enabled: false })).toBe(db.pool);
    expect(() => runWithSite("1'; DROP TABLE sites; --", async () => 1)).toThrow(/not a site id/);
    expect(await rowLevelSecurityState(db.pool)).toEqual({ on: true });
  });
});

describe('a database user that may not create roles (a managed PostgreSQL)', () => {
  it('the migration logs a NOTICE instead of failing, and RLS is reported off', async () => {
    const adminUrl = inject('pgAdminUrl');
    const suffix = Math.random().toString(36).slice(2, 8);
    const user = `tally_rls_app_${suffix}`;
    const name = `tally_rls_managed_${suffix}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD 'x' NOCREATEROLE`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${user}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    url.username = user;
    url.password = 'x';
    const app = new pg.Client({ connectionString: url.toString() });
    const notices: string[] = [];
    app.on('notice', (n) => notices.push(n.message ?? ''));
    try {
      await app.connect();
      await app.query('CREATE TABLE sites (id bigserial PRIMARY KEY); CREATE TABLE pageviews (site_id bigint NOT NULL)');
      const migration = readFileSync(resolve(SQL_DIR, '150_row_level_security.sql'), 'utf8');
      // The reader role exists in this cluster (the template made it) and this user is no member of it.
      await app.query(migration);
      // A reader role that does not exist yet: CREATE ROLE itself is refused.
      await app.query(migration.replaceAll(READER_ROLE, `tally_rls_reader_${suffix}`));
      expect(notices.join('\n')).toMatch(/row-level security off: .* may not be granted role tally_report_reader/);
      expect(notices.join('\n')).toMatch(/row-level security off: .* may not create role tally_rls_reader_/);
      expect(await rowLevelSecurityState(app)).toMatchObject({ on: false, reason: expect.stringMatching(/may not SET ROLE/) });
      const off: string[] = [];
      const scoped = siteScopedPool(new pg.Pool({ connectionString: url.toString(), max: 1 }), { enabled: true, onUnavailable: (r) => off.push(r) });
      expect((await runWithSite('1', () => scoped.query('SELECT count(*)::int AS n FROM pageviews'))).rows[0].n).toBe(0);
      expect(off).toHaveLength(1);
      await scoped.end();
    } finally {
      await app.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${user}`);
      await admin.end();
    }
  });
});
