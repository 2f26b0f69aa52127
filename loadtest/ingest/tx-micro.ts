/**
 * Where a write transaction's PostgreSQL time goes, statement by statement, for batches of single
 * beacons from distinct visitors (the shape `tally single @ 5000/s` gives the writer): run with
 * `node bin/run-ts.mjs loadtest/ingest/tx-micro.ts`. Each statement runs on its own, so the
 * times are PostgreSQL's (plus one local round trip), on an otherwise idle machine.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { prepareEvent } from '../../src/ingest/prepare.ts';
import { validateEvent } from '../../src/ingest/schema.ts';
import { mergeStatesQuery } from '../../src/ingest/sessions.ts';
import { PartitionCache, writeTransaction } from '../../src/ingest/write.ts';
import type { PreparedEvent } from '../../src/ingest/tables.ts';
import { createSite } from '../../src/sites/sites.ts';
import { event, prng, userAgents, visitors } from './traffic.ts';

const BATCH = Number(process.env.TX_BATCH ?? 166);
const ROUNDS = Number(process.env.TX_ROUNDS ?? 200);

const dir = mkdtempSync(join(tmpdir(), 'tally-tx-micro-'));
chmodSync(dir, 0o755);
const server = await startEmbedded({ dataDir: join(dir, 'db'), settings: { max_connections: '20' } });
try {
  const pool = createPool(server.url, { max: 2 });
  const c = await pool.connect();
  await migrate(c);
  c.release();
  const site = await createSite(pool, { name: 'micro', domain: 'shop.example' });
  const rand = prng(1);
  const vs = visitors(5000, userAgents(1200, rand), rand);
  const salt = Buffer.alloc(32);
  const prepare = (): PreparedEvent[] =>
    Array.from({ length: BATCH }, () => {
      const v = vs[Math.floor(rand() * vs.length)]!;
      const r = validateEvent(event(v, rand, site.publicKey));
      if (!r.ok) throw new Error(r.error);
      const p = prepareEvent(r.event, { siteId: site.id, visitorIdMode: 'auto', ip: v.ip, ua: v.ua, receivedAt: Date.now(), salt });
      if (p.bot) throw new Error('bot');
      return p.prepared;
    });
  const partitions = new PartitionCache();
  // Warm: every visitor has a state row, as after the first seconds of a benchmark.
  for (let i = 0; i < 60; i++) await writeTransaction(pool, partitions, prepare());

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
    await time('dedup keys', () =>
      client.query({
        text: 'INSERT INTO ingest_dedup (site_id, event_id, received_at) SELECT s, e, now() FROM unnest($1::bigint[], $2::uuid[]) u(s, e) ON CONFLICT DO NOTHING',
        values: [events.map((e) => e.siteId), events.map((e) => e.eventId)],
      }),
    );
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
  await pool.end();
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
