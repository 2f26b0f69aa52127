import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { loadConfig } from '../src/config.ts';
import { ingestDirect } from '../src/ingest/writer/direct.ts';
import { runJobsNow } from '../src/jobs/run.ts';
import { createLogger } from '../src/log.ts';
import { createSite } from '../src/sites/sites.ts';

/** The experiment-exposures job through the scheduler's runner: incremental runs, then a rebuild, equal the first exposures of what was sent. */
let db: TestDatabase;
let ctx: Parameters<typeof runJobsNow>[0];
beforeAll(async () => {
  db = await createTestDatabase();
  ctx = { config: loadConfig({ DATABASE_URL: db.url }), pool: db.pool, logger: createLogger('silent') };
});
afterAll(async () => db?.drop());

const T = Date.parse('2026-11-02T10:00:00Z');
const exposure = (vid: string, variant: string, ts: number, experiment = 'button') =>
  ({ type: 'event', name: '$exposure', props: { experiment, variant }, vid, ts });
const table = async () =>
  (await db.pool.query<{ row: string }>(`SELECT experiment || ' ' || visitor_id || ' ' || variant || ' ' || (extract(epoch FROM first_exposed_at) * 1000)::bigint AS "row"
    FROM experiment_exposures ORDER BY 1`)).rows.map((r) => r.row);

describe('experiment-exposures job', () => {
  it('folds new exposures incrementally (earliest time wins, out of order too); the rebuild gives the same table', async () => {
    const site = await createSite(db.pool, { name: 'jobs', domain: 'jobs.test' });
    await ingestDirect(db.pool, { siteId: site.id, events: [exposure('a', 'control', T + 5000), exposure('b', 'treatment', T), { type: 'event', name: 'checkout', vid: 'a', ts: T }] });
    const [first] = await runJobsNow(ctx, 'experiment-exposures');
    expect(first).toMatchObject({ ok: true });
    expect(await table()).toEqual([`button a control ${T + 5000}`, `button b treatment ${T}`]);
    // Later arrivals: an earlier exposure of a, a second variant of b, another experiment.
    await ingestDirect(db.pool, { siteId: site.id, events: [exposure('a', 'control', T + 1000), exposure('b', 'control', T + 9000), exposure('a', 'x', T, 'other')] });
    await runJobsNow(ctx, 'experiment-exposures');
    const want = [`button a control ${T + 1000}`, `button b control ${T + 9000}`, `button b treatment ${T}`, `other a x ${T}`];
    expect(await table()).toEqual(want);
    await runJobsNow(ctx, 'experiment-exposures-rebuild');
    expect(await table()).toEqual(want);
  });
});
