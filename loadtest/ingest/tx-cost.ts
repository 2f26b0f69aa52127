/**
 * CPU of a write transaction per event, by batch size: `node bin/run-ts.mjs loadtest/ingest/tx-cost.ts`
 * (TX_BATCHES=1,10,50,166 by default). Each size writes ~30,000 single beacons of distinct
 * visitors (the shape of `tally single` in bench:ingest) through writeTransaction, one
 * transaction at a time, and prints PostgreSQL's CPU (all its processes, from /proc) and this
 * process's CPU per event. What it shows: a transaction's fixed cost (the commit's WAL flush,
 * each statement) dominates below ~50 events.
 */
import { writeTransaction } from '../../src/ingest/writer/write.ts';
import { postgresCpuMs } from './cpu.ts';
import { withWriteFixture } from './write-fixture.ts';

const SIZES = (process.env.TX_BATCHES ?? '1,10,50,166').split(',').map(Number);
/** Events per visitor in a row: 20 is the shape of bench:ingest's `tally 20-batch`. */
const PER_VISITOR = Number(process.env.TX_PER_VISITOR ?? 1);

await withWriteFixture('tx-cost', async ({ pool, pgDir, partitions, prepare }) => {
  console.log('| events per transaction | PostgreSQL CPU µs/event | Node CPU µs/event | wall µs/event |');
  console.log('|---:|---:|---:|---:|');
  for (const size of SIZES) {
    const rounds = Math.max(20, Math.round((size === 1 ? 3000 : 30_000) / size));
    const batches = Array.from({ length: rounds }, () => prepare(size, PER_VISITOR));
    const pg0 = postgresCpuMs(pgDir);
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (const b of batches) await writeTransaction(pool, partitions, b);
    const wall = performance.now() - t;
    const node = process.cpuUsage(cpu);
    const per = (ms: number) => ((ms * 1000) / (rounds * size)).toFixed(1);
    console.log(`| ${size} | ${per(postgresCpuMs(pgDir) - pg0)} | ${per((node.user + node.system) / 1000)} | ${per(wall)} |`);
  }
});
