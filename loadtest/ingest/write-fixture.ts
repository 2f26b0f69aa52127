import { join } from 'node:path';
import { migrate } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { prepareEvent } from '../../src/ingest/enrich/prepare.ts';
import { validateEvent } from '../../src/ingest/validate/validate.ts';
import type { PreparedEvent } from '../../src/ingest/tables.ts';
import { PartitionCache, writeTransaction } from '../../src/ingest/writer/write.ts';
import { createSite } from '../../src/sites/sites.ts';
import { withTempPostgres } from './temp-postgres.ts';
import { event, prng, userAgents, visitors } from './traffic.ts';

export interface WriteFixture {
  pool: Pool;
  /** The cluster's folder (for postgresCpuMs). */
  pgDir: string;
  site: { id: string; publicKey: string };
  partitions: PartitionCache;
  /**
   * `n` prepared beacons of bench:ingest's mix; each run of `perVisitor` (default 1: single
   * beacons) from one random visitor of 5,000, as bench:ingest's 20-event batches are.
   */
  prepare(n: number, perVisitor?: number): PreparedEvent[];
}

/**
 * The write path's micro-benchmarks (tx-micro.ts, tx-cost.ts) on a throwaway embedded PostgreSQL
 * (fsync on): migrated, one site, every visitor's session state already there (60 warm-up
 * transactions of 166 beacons, as after the first seconds of a benchmark).
 */
export async function withWriteFixture(name: string, run: (f: WriteFixture) => Promise<void>): Promise<void> {
  await withTempPostgres(name, { max_connections: '20' }, async (server, dir) => {
    const pool = createPool(server.url, { max: 2 });
    try {
      const c = await pool.connect();
      await migrate(c);
      c.release();
      const site = await createSite(pool, { name, domain: 'shop.example' });
      const rand = prng(1);
      const vs = visitors(5000, userAgents(1200, rand), rand);
      const salt = Buffer.alloc(32);
      let v = vs[0]!;
      const prepare = (n: number, perVisitor = 1): PreparedEvent[] =>
        Array.from({ length: n }, (_, i) => {
          if (i % perVisitor === 0) v = vs[Math.floor(rand() * vs.length)]!;
          const r = validateEvent(event(v, rand, site.publicKey));
          if (!r.ok) throw new Error(r.error);
          const p = prepareEvent(r.event, { siteId: site.id, visitorIdMode: 'auto', ip: v.ip, ua: v.ua, receivedAt: Date.now(), salt });
          if (p.bot) throw new Error('bot');
          return p.prepared;
        });
      const partitions = new PartitionCache();
      for (let i = 0; i < 60; i++) await writeTransaction(pool, partitions, prepare(166));
      await run({ pool, pgDir: join(dir, 'db', 'pg'), site, partitions, prepare });
    } finally {
      await pool.end();
    }
  });
}
