import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { loadConfig, type Config } from '../src/config.ts';
import { startEmbedded } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger, type Logger } from '../src/log.ts';
import { reusePrepared } from './bench-reports-prepare.ts';

/**
 * The cluster of a benchmark: a fresh temp dir (removed at the end), or with BENCH_REUSE=1 and
 * BENCH_DIR the data set a `npm run bench:reports` run kept there (bench-reports-prepare.ts) —
 * so bench-erase.ts and bench-rls.ts can measure on the same 10M-event set as the reports
 * instead of generating their own (40–60 min at 10M on 2 cores). A reused set is migrated and
 * caught up by one run of every job; it is left in place at the end (an erase run changes it:
 * the erased people are gone for later runs).
 */
export interface BenchCluster {
  dir: string;
  url: string;
  pool: pg.Pool;
  ctx: { pool: pg.Pool; config: Config; logger: Logger };
  /** The kept set's site and a new admin token for it; null on a fresh cluster. */
  kept: { id: string; token: string } | null;
  close(): Promise<void>;
}

export async function openBenchCluster(name: string, settings: Record<string, string>, log: (m: string) => void): Promise<BenchCluster> {
  const reuse = Boolean(process.env.BENCH_REUSE && process.env.BENCH_DIR);
  const dir = reuse ? process.env.BENCH_DIR! : await mkdtemp(join(tmpdir(), `tally-${name}-`));
  const pg = await startEmbedded({ dataDir: dir, settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...settings } });
  // 60 s to connect: on the shared 2 cores at load 13–14 a new backend took > 5 s (the default) to start.
  const pool = createPool(pg.url, { max: 12, connectionTimeoutMillis: 60_000 });
  const close = async () => {
    await pool.end();
    await pg.stop();
    if (!reuse) await rm(dir, { recursive: true, force: true });
  };
  try {
    const client = await pool.connect();
    await migrate(client);
    client.release();
    const config = loadConfig({ DATABASE_URL: pg.url, LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', PORT: '0', HOST: '127.0.0.1', TALLY_DATA_DIR: dir });
    const ctx = { pool, config, logger: createLogger('silent') };
    const kept = reuse ? (await reusePrepared(ctx, dir, log)).site : null;
    return { dir, url: pg.url, pool, ctx, kept, close };
  } catch (error) {
    await close();
    throw error;
  }
}
