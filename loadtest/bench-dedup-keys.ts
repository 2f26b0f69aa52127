/**
 * `npm run bench:dedup-keys`: what an event id's shape costs the idempotency index. Every accepted
 * event inserts its (site, id) into ingest_dedup's primary key, kept for the replay window (7 days:
 * ~60 M keys at 100 events/s). Random version-4 ids land on a random leaf page each, which after
 * every checkpoint is logged to the WAL whole on its first change (full-page writes), and which
 * has to be read back from disk once the index outgrows memory; version-7 ids (time first: what
 * Tally and its tracker assign) land at the index's right edge. The bench fills the index with
 * BENCH_DEDUP_KEYS random keys (default 3 M), then after a CHECKPOINT inserts 300 batches of 166
 * keys of each kind, twice, and prints time and WAL bytes per key and their ratios.
 */
import { randomUUID } from 'node:crypto';
import { migrate } from '../src/db/migrate.ts';
import { uuidv7 } from '../src/ingest/enrich/event-id.ts';
import pg from 'pg';
import { withTempPostgres } from './ingest/temp-postgres.ts';

const KEYS = Number(process.env.BENCH_DEDUP_KEYS ?? 3_000_000);
const BATCHES = 300;
const BATCH = 166;

await withTempPostgres('bench-dedup', { max_connections: '20' }, async (server) => {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await migrate(c);
  await c.query({ text: `INSERT INTO ingest_dedup (site_id, event_id, received_at) SELECT 1, gen_random_uuid(), now() FROM generate_series(1, $1::int)`, values: [KEYS] });
  await c.query('VACUUM ANALYZE ingest_dedup');
  const result = { v4: { us: 0, wal: 0 }, v7: { us: 0, wal: 0 } };
  for (let round = 1; round <= 2; round++) {
    for (const [kind, next] of [['v4', randomUUID], ['v7', () => uuidv7()]] as const) {
      await c.query('CHECKPOINT');
      const before = (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
      const t = performance.now();
      for (let b = 0; b < BATCHES; b++) {
        await c.query({
          text: 'INSERT INTO ingest_dedup (site_id, event_id, received_at) SELECT 1, e, now() FROM unnest($1::uuid[]) e ON CONFLICT DO NOTHING',
          values: [Array.from({ length: BATCH }, next)],
        });
      }
      const us = ((performance.now() - t) * 1000) / (BATCHES * BATCH);
      const wal = Number((await c.query<{ d: string }>({ text: 'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS d', values: [before] })).rows[0]!.d) / (BATCHES * BATCH);
      console.log(`round ${round}, ${kind} ids: ${us.toFixed(1)} µs per key (with its batch's commit), ${wal.toFixed(0)} WAL bytes per key`);
      result[kind].us += us;
      result[kind].wal += wal;
    }
  }
  console.log(`index of ${KEYS.toLocaleString('en-US')} random keys: version-7 ids take ${(result.v4.us / result.v7.us).toFixed(1)}× less time and ${(result.v4.wal / result.v7.wal).toFixed(1)}× less WAL per key than version-4 ids`);
  await c.end();
});
