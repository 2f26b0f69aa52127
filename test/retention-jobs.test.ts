import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { loadConfig } from '../src/config.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { bruteRetention, type BrutePageview, type BruteQuery } from '../src/reports/retention/brute.test-helper.ts';
import { retentionReport } from '../src/reports/retention/report.ts';
import { runRetentionRollup } from '../src/reports/retention/rollup.ts';
import { createSite } from '../src/sites/sites.ts';

/**
 * The cohort-rollups job on beacons sent like /collect (ingestDirect: validation, enrichment,
 * COPY) with persistent visitor ids: incremental runs, an interrupted run, a late older pageview
 * moving a visitor to an earlier cohort, and the rebuild job, all equal to the brute force.
 */

let db: TestDatabase;
let ctx: Parameters<typeof runJobsNow>[0];
beforeAll(async () => {
  db = await createTestDatabase();
  ctx = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent') };
});
afterAll(async () => db?.drop());

const DAY = 86_400_000;

describe('cohort-rollups job', () => {
  it('folds beacons incrementally, survives an interrupted run, and the rebuild job agrees', async () => {
    const site = await createSite(db.pool, { name: 'jobs', domain: 'shop.test', timezone: 'Asia/Kolkata' });
    await db.pool.query(`SELECT tally_ensure_partitions('2026-08-01'::date, '2026-12-01'::date)`);
    const base = Date.parse('2026-10-01T18:30:00Z'); // Kolkata Oct 2 00:00
    const beacon = (vid: string, ts: number) => ({ type: 'pageview', ts, vid, url: 'https://shop.test/', id: crypto.randomUUID() });
    const send = (events: unknown[]) => ingestDirect(db.pool, { siteId: site.id, events });
    await send(Array.from({ length: 60 }, (_, i) => beacon(`p${i % 12}`, base + i * 0.9 * DAY - (i % 2))));
    const [first] = await runJobsNow(ctx, 'cohort-rollups');
    expect(first).toMatchObject({ ok: true });

    // An interrupted run changes nothing; the next run does the work.
    await send(Array.from({ length: 30 }, (_, i) => beacon(`p${(i * 5) % 15}`, base + (i + 20) * DAY)));
    await expect(runRetentionRollup(db.pool, { beforeStep: (name) => { if (name === 'customer first') throw new Error('stop'); } })).rejects.toThrow('stop');
    // A late pageview older than p3's first: p3 moves to an earlier week.
    await send([beacon('p3', base - 9 * DAY)]);
    await runJobsNow(ctx, 'cohort-rollups');

    const { rows } = await db.pool.query<BrutePageview>(
      `SELECT visitor_id, occurred_at, event_id::text AS event_id, channel, country, device FROM pageviews WHERE site_id = $1`, [site.id]);
    const pageviews = rows.map((r) => ({ ...r, occurred_at: new Date(r.occurred_at).toISOString() }));
    expect(new Set(pageviews.map((p) => p.visitor_id)).has('p3')).toBe(true);
    const queries: BruteQuery[] = [
      { cohort: 'visitor', period: 'week', from: '2026-09-14', to: '2026-11-18', tz: 'Asia/Kolkata', currency: 'USD' },
      { cohort: 'visitor', period: 'day', from: '2026-09-20', to: '2026-10-10', tz: 'Europe/Paris', currency: 'USD', segment: 'device' },
    ];
    const incremental = [];
    for (const q of queries) {
      const got = await retentionReport(db.pool, site.id, q);
      const want = bruteRetention({ pageviews, orders: [], refunds: [] }, q);
      expect(got.cohorts.map((c) => [c.cohort, c.segment, c.size, c.values.map((v) => v.count)]))
        .toEqual(want.cohorts.map((c) => [c.cohort, c.segment, c.size, c.values.map((v) => v.count)]));
      incremental.push(got);
    }
    const [rebuilt] = await runJobsNow(ctx, 'cohort-rollups-rebuild');
    expect(rebuilt).toMatchObject({ ok: true });
    expect(await Promise.all(queries.map((q) => retentionReport(db.pool, site.id, q)))).toEqual(incremental);
  });
});
