import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { loadConfig } from '../src/config.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';

/** The error-groups jobs as registered (src/jobs/registry.ts): incremental, and a rebuild that agrees with it. */
let db: TestDatabase;
let ctx: Parameters<typeof runJobsNow>[0];
beforeAll(async () => {
  db = await createTestDatabase();
  ctx = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent') };
});
afterAll(async () => db?.drop());

const snapshot = async () =>
  (await db.pool.query(`SELECT g.fingerprint, g.status, g.regressed, g.first_seen, g.last_seen, g.message, g.file, g.line,
      (SELECT sum(occurrences)::int FROM error_group_slots s WHERE s.site_id = g.site_id AND s.group_id = g.id) AS n
    FROM error_groups g ORDER BY g.fingerprint`)).rows;

describe('error-groups job', () => {
  it('folds new rows once per run and error-groups-rebuild recounts to the same groups, keeping statuses', async () => {
    const site = await createSite(db.pool, { name: 'jobs', domain: 'shop.test' });
    const now = Date.now();
    const ev = (i: number) => ({ type: 'error', ts: now - i * 60_000, vid: `v${i % 5}`, url: 'https://shop.test/', kind: 'TypeError',
      message: `x${i % 2 ? '' : 'y'} is not a function (${i})`, stack: `at go (https://shop.test/a.js:${i}:1)` });
    await ingestDirect(db.pool, { siteId: site.id, events: Array.from({ length: 30 }, (_, i) => ev(i)) });
    const [first] = await runJobsNow(ctx, 'error-groups');
    expect(first).toMatchObject({ ok: true });
    await ingestDirect(db.pool, { siteId: site.id, events: Array.from({ length: 10 }, (_, i) => ev(100 + i)) });
    await runJobsNow(ctx, 'error-groups');
    await runJobsNow(ctx, 'error-groups');
    const incremental = await snapshot();
    expect(incremental).toHaveLength(2);
    expect(incremental.reduce((n, r) => n + (r.n as number), 0)).toBe(40);
    await db.pool.query(`UPDATE error_groups SET status = 'ignored' WHERE fingerprint = $1`, [incremental[0]!.fingerprint]);
    const [rebuilt] = await runJobsNow(ctx, 'error-groups-rebuild');
    expect(rebuilt).toMatchObject({ ok: true });
    expect(await snapshot()).toEqual(incremental.map((r, i) => (i === 0 ? { ...r, status: 'ignored' } : r)));
  });
});
