import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { insertPageviews, type RawPageview } from '../../../test/helpers/traffic-data.ts';
import { createSite } from '../../sites/sites.ts';
import { rebuildTrafficRollups, runTrafficRollup } from './traffic-rollup.ts';

/**
 * Watermark safety: a writer that took its sequence numbers BEFORE a rollup read the watermark
 * but commits AFTER must still be counted, exactly once.
 */
let db: TestDatabase;
let siteId: string;

const row = (visitor: string, session: string, at: string): RawPageview => ({
  siteId, occurredAt: new Date(at), visitorId: visitor, sessionId: session, path: '/', host: 'shop.test', refDomain: null,
  channel: 'direct', utmSource: null, utmMedium: null, utmCampaign: null, country: 'FR', browser: 'Chrome', os: 'macOS', device: 'desktop',
});

async function totals() {
  const { rows } = await db.pool.query<{ pageviews: number; visits: number }>({
    text: `SELECT coalesce(sum(pageviews), 0) AS pageviews, coalesce(sum(visits), 0) AS visits FROM traffic_rollups WHERE site_id = $1 AND grain = 'd' AND dim = 0`,
    values: [siteId],
  });
  return rows[0]!;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`SELECT tally_ensure_partitions('2026-05-01', '2026-05-01')`);
  siteId = (await createSite(db.pool, { name: 's', domain: 'shop.test' })).id;
});
afterAll(async () => db?.drop());

describe('traffic rollup watermark', () => {
  it('waits for an in-flight writer and counts its rows once', async () => {
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await insertPageviews(writer, [row('a', 'sa', '2026-05-02T10:00:00Z')]); // lower sequence number, not committed
      await insertPageviews(db.pool, [row('b', 'sb', '2026-05-02T10:01:00Z')]); // higher number, committed
      const run = runTrafficRollup(db.pool, { lockTimeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      await writer.query('COMMIT');
      await run;
    } finally {
      writer.release();
    }
    expect(await totals()).toEqual({ pageviews: 2, visits: 2 });
    await runTrafficRollup(db.pool);
    expect(await totals()).toEqual({ pageviews: 2, visits: 2 });
  });

  it('gives up (retry later) rather than skip a row when a writer stays open', async () => {
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await insertPageviews(writer, [row('c', 'sc', '2026-05-03T10:00:00Z')]);
      await insertPageviews(db.pool, [row('d', 'sd', '2026-05-03T10:01:00Z')]);
      await expect(runTrafficRollup(db.pool, { lockTimeoutMs: 200 })).rejects.toThrow(/lock timeout/);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    await runTrafficRollup(db.pool);
    expect(await totals()).toEqual({ pageviews: 4, visits: 4 });
  });

  it('a full rebuild gives the same counters', async () => {
    const before = await db.pool.query(`SELECT grain, bucket, dim, key, pageviews, visits, bounces, duration_seconds FROM traffic_rollups ORDER BY 1, 2, 3, 4`);
    await rebuildTrafficRollups(db.pool);
    const after = await db.pool.query(`SELECT grain, bucket, dim, key, pageviews, visits, bounces, duration_seconds FROM traffic_rollups ORDER BY 1, 2, 3, 4`);
    expect(after.rows).toEqual(before.rows);
  });
});
