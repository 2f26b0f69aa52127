/**
 * CPU of a write transaction per event, by batch size: `node bin/run-ts.mjs loadtest/ingest/tx-cost.ts`
 * (TX_BATCHES=1,10,50,166 by default). Each size writes ~30,000 single beacons of distinct
 * visitors (the shape of `tally single` in bench:ingest) through writeTransaction, one
 * transaction at a time, and prints PostgreSQL's CPU (all its processes, from /proc) and this
 * process's CPU per event. What it shows: a transaction's fixed cost (the commit's WAL flush,
 * each statement) dominates below ~50 events.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { prepareEvent } from '../../src/ingest/prepare.ts';
import { validateEvent } from '../../src/ingest/schema.ts';
import type { PreparedEvent } from '../../src/ingest/tables.ts';
import { PartitionCache, writeTransaction } from '../../src/ingest/write.ts';
import { createSite } from '../../src/sites/sites.ts';
import { postgresCpuMs } from './cpu.ts';
import { event, prng, userAgents, visitors } from './traffic.ts';

const SIZES = (process.env.TX_BATCHES ?? '1,10,50,166').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'tally-tx-cost-'));
chmodSync(dir, 0o755);
const server = await startEmbedded({ dataDir: join(dir, 'db'), settings: { max_connections: '20' } });
try {
  const pool = createPool(server.url, { max: 2 });
  const c = await pool.connect();
  await migrate(c);
  c.release();
  const site = await createSite(pool, { name: 'tx-cost', domain: 'shop.example' });
  const rand = prng(1);
  const vs = visitors(5000, userAgents(1200, rand), rand);
  const salt = Buffer.alloc(32);
  const prepare = (n: number): PreparedEvent[] =>
    Array.from({ length: n }, () => {
      const v = vs[Math.floor(rand() * vs.length)]!;
      const r = validateEvent(event(v, rand, site.publicKey));
      if (!r.ok) throw new Error(r.error);
      const p = prepareEvent(r.event, { siteId: site.id, visitorIdMode: 'auto', ip: v.ip, ua: v.ua, receivedAt: Date.now(), salt });
      if (p.bot) throw new Error('bot');
      return p.prepared;
    });
  const partitions = new PartitionCache();
  // Warm: every visitor has a state row, as after the first seconds of a benchmark.
  for (let i = 0; i < 60; i++) await writeTransaction(pool, partitions, prepare(166));
  console.log('| events per transaction | PostgreSQL CPU µs/event | Node CPU µs/event | wall µs/event |');
  console.log('|---:|---:|---:|---:|');
  for (const size of SIZES) {
    const rounds = Math.max(20, Math.round((size === 1 ? 3000 : 30_000) / size));
    const batches = Array.from({ length: rounds }, () => prepare(size));
    const pg0 = postgresCpuMs(join(dir, 'db', 'pg'));
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (const b of batches) await writeTransaction(pool, partitions, b);
    const wall = performance.now() - t;
    const node = process.cpuUsage(cpu);
    const per = (ms: number) => ((ms * 1000) / (rounds * size)).toFixed(1);
    console.log(`| ${size} | ${per(postgresCpuMs(join(dir, 'db', 'pg')) - pg0)} | ${per((node.user + node.system) / 1000)} | ${per(wall)} |`);
  }
  await pool.end();
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
