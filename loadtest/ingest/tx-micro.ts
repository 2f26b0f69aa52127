/**
 * Where a write transaction's PostgreSQL time goes, statement by statement, for batches of single
 * beacons from distinct visitors (the shape `tally single @ 5000/s` gives the writer): run with
 * `node bin/run-ts.mjs loadtest/ingest/tx-micro.ts`. Each statement runs on its own, so the
 * times are PostgreSQL's (plus one local round trip), on an otherwise idle machine.
 */
import { mergeStatesQuery } from '../../src/ingest/writer/sessions.ts';
import { keysQuery, writeTransaction } from '../../src/ingest/writer/write.ts';
import { withWriteFixture } from './write-fixture.ts';

const BATCH = Number(process.env.TX_BATCH ?? 166);
const ROUNDS = Number(process.env.TX_ROUNDS ?? 200);

await withWriteFixture('tx-micro', async ({ pool, site, partitions, prepare: prepareN }) => {
  const prepare = () => prepareN(BATCH);
  const totals = new Map<string, number>();
  const time = async (name: string, run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    totals.set(name, (totals.get(name) ?? 0) + performance.now() - t);
  };
  const client = await pool.connect();
  for (let i = 0; i < ROUNDS; i++) {
    const events = prepare();
    await client.query('BEGIN');
    await time('dedup keys', () => client.query(keysQuery(events)));
    await client.query('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
    const merge = mergeStatesQuery(events)!;
    await time('session states (MERGE)', () => client.query(merge));
    await client.query('ROLLBACK');
    const cpu = process.cpuUsage();
    await time('whole transaction (writeTransaction)', () => writeTransaction(pool, partitions, events));
    const used = process.cpuUsage(cpu);
    totals.set('  of it Node CPU (this process)', (totals.get('  of it Node CPU (this process)') ?? 0) + (used.user + used.system) / 1000);
    await time('a one-row commit (WAL flush)', () =>
      client.query(`BEGIN; INSERT INTO ingest_dedup (site_id, event_id, received_at) VALUES (${site.id}, gen_random_uuid(), now()); COMMIT`),
    );
  }
  client.release();
  for (const [name, ms] of totals) console.log(`${name.padEnd(40)} ${((ms * 1000) / ROUNDS / BATCH).toFixed(1).padStart(6)} µs/event  ${(ms / ROUNDS).toFixed(2)} ms/batch`);
});
