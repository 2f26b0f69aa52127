import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/db/migrate.ts';
import { createSite, getSite } from '../src/sites/sites.ts';
import { createToken, findToken } from '../src/sites/tokens.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestServer } from './helpers/server.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('migrations', () => {
  it('are all applied to the template and re-running applies nothing', async () => {
    const client = await db.pool.connect();
    try {
      expect(await migrate(client)).toEqual([]);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query('SELECT count(*) AS n FROM tally_migrations');
    expect(rows[0].n).toBe(readMigrations().length);
  });

  it('refuse to run when an applied file was edited', async () => {
    await db.pool.query("UPDATE tally_migrations SET checksum = 'edited' WHERE id = 1");
    const client = await db.pool.connect();
    try {
      await expect(migrate(client)).rejects.toThrow(/was edited after it was applied/);
    } finally {
      client.release();
      const real = readMigrations()[0]!.checksum;
      await db.pool.query('UPDATE tally_migrations SET checksum = $1 WHERE id = 1', [real]);
    }
  });

  it('do not race when two processes migrate at once', async () => {
    const c1 = await db.pool.connect();
    const c2 = await db.pool.connect();
    try {
      const [a, b] = await Promise.all([migrate(c1), migrate(c2)]);
      expect([...a, ...b]).toEqual([]);
    } finally {
      c1.release();
      c2.release();
    }
  });

  it('create monthly partitions for this month and two ahead', async () => {
    const { rows } = await db.pool.query(
      `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'pageviews'::regclass`,
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(3);
  });
});

describe('sites and tokens', () => {
  it('create a site with an admin token, and scoped tokens', async () => {
    const site = await createSite(db.pool, { name: 'Shop', domain: 'shop.example', timezone: 'Europe/Paris', currency: 'EUR' });
    expect(site.publicKey).toMatch(/^pk_/);
    expect((await getSite(db.pool, site.id))?.timezone).toBe('Europe/Paris');
    expect(await findToken(db.pool, site.token)).toEqual({ id: expect.stringMatching(/^\d+$/), siteId: site.id, scope: 'admin' });
    const read = await createToken(db.pool, site.id, 'read');
    expect(await findToken(db.pool, read)).toEqual({ id: expect.stringMatching(/^\d+$/), siteId: site.id, scope: 'read' });
    expect(await findToken(db.pool, `${read}x`)).toBeUndefined();
    const stored = await db.pool.query('SELECT token_hash FROM api_tokens WHERE site_id = $1', [site.id]);
    for (const row of stored.rows) expect(row.token_hash.toString()).not.toContain(read.slice(10));
  });

  it('reject a bad time zone or currency', async () => {
    await expect(createSite(db.pool, { name: 'x', domain: 'x', timezone: 'Mars/Olympus' })).rejects.toThrow(/time zone/);
    await expect(createSite(db.pool, { name: 'x', domain: 'x', currency: 'euro' })).rejects.toThrow(/ISO 4217/);
  });
});

describe('server', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    const server = await startTestServer(db.url);
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const metrics = await fetch(`${server.url}/metrics`);
      expect(await metrics.text()).toContain('process_cpu');
      const missing = await fetch(`${server.url}/nope`);
      expect(missing.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
