import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { partitionJob } from '../src/jobs/partitions.ts';
import { retentionJob } from '../src/jobs/retention.ts';
import { dedupCleanupJob, saltJob } from '../src/jobs/salts.ts';
import type { JobContext } from '../src/jobs/types.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

let db: TestDatabase;
let ctx: JobContext;
beforeAll(async () => {
  db = await createTestDatabase();
  ctx = { pool: db.pool, config: loadConfig({ DATABASE_URL: db.url }), logger: createLogger('silent'), signal: new AbortController().signal };
});
afterAll(async () => db?.drop());

const monthName = (table: string, monthsFromNow: number) => {
  const d = new Date();
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + monthsFromNow, 1));
  return `${table}_y${m.getUTCFullYear()}m${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
};
const exists = async (name: string) => (await db.pool.query('SELECT to_regclass($1::text) AS r', [name])).rows[0].r !== null;

describe('ingestion jobs', () => {
  it('partitions: this month and three ahead exist for every raw table', async () => {
    await partitionJob.run(ctx);
    for (const t of ['pageviews', 'events', 'heatmap_points', 'errors', 'vitals']) {
      for (const k of [0, 1, 2, 3]) expect(await exists(monthName(t, k)), monthName(t, k)).toBe(true);
    }
  });

  it('retention: drops partitions older than RETENTION_MONTHS, keeps the rest; shorter site retention deletes rows', async () => {
    const site = await createSite(db.pool, { name: 'R', domain: 'r.example' });
    const short = await createSite(db.pool, { name: 'S', domain: 's.example', retentionMonths: 2 });
    const d = new Date();
    const at = (months: number) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 10);
    const pv = (ts: number) => ({ type: 'pageview', ts, url: 'https://r.example/', vid: 'v' });
    await ingestDirect(db.pool, { siteId: site.id, events: [pv(at(30)), pv(at(24))] });
    await ingestDirect(db.pool, { siteId: short.id, events: [pv(at(5)), pv(at(0))] });
    expect(await exists(monthName('pageviews', -30))).toBe(true);
    const r = await retentionJob.run(ctx);
    expect(await exists(monthName('pageviews', -30))).toBe(false);
    expect(await exists(monthName('pageviews', -24))).toBe(true);
    expect(r.detail?.deleted).toBe(1);
    const left = await db.pool.query('SELECT count(*)::int AS n FROM pageviews WHERE site_id = $1::bigint', [short.id]);
    expect(left.rows[0].n).toBe(1);
  });

  it('salts: keeps today and yesterday (and tomorrow), destroys older', async () => {
    await db.pool.query("INSERT INTO visitor_salts (day, salt) VALUES (current_date - 3, '\\x01'), (current_date - 1, '\\x02') ON CONFLICT DO NOTHING");
    await saltJob.run(ctx);
    const days = (await db.pool.query("SELECT (day - (now() AT TIME ZONE 'UTC')::date) AS d FROM visitor_salts ORDER BY day")).rows.map((r) => r.d);
    expect(days).toEqual([-1, 0, 1]);
  });

  it('dedup-cleanup: deletes idempotency keys older than a week', async () => {
    await db.pool.query("INSERT INTO ingest_dedup (site_id, event_id, received_at) VALUES (1, gen_random_uuid(), now() - interval '8 days'), (1, gen_random_uuid(), now())");
    const r = await dedupCleanupJob.run(ctx);
    expect(r.rows).toBeGreaterThanOrEqual(1);
    expect((await db.pool.query("SELECT count(*)::int AS n FROM ingest_dedup WHERE received_at < now() - interval '7 days'")).rows[0].n).toBe(0);
  });
});
