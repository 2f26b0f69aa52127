import { serve, type ServerType } from '@hono/node-server';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { createPool } from './db/pool.ts';
import { rowLevelSecurityState } from './db/rls.ts';
import { createApp } from './http/app.ts';
import type { AppDeps } from './http/deps.ts';
import { createIngestService } from './ingest/service.ts';
import type { WriterFactory } from './ingest/writer/create-writer.ts';
import { createScheduler } from './jobs/scheduler.ts';
import { createLogger, type Logger } from './log.ts';
import { SiteChanges } from './sites/site-changes.ts';

export interface RunningServer {
  port: number;
  url: string;
  deps: AppDeps;
  /** Stop intake, make every accepted event durable, stop jobs, close the database. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Replaces ingestion's writer: the benchmark's one-INSERT-per-event baseline (loadtest/ingest/insert-server.ts). */
  createWriter?: WriterFactory;
}

/** `npm start`: database (embedded or DATABASE_URL), migrations, HTTP, ingestion, jobs. */
export async function startServer(config: Config, logger: Logger = createLogger(config.LOG_LEVEL), options: ServerOptions = {}): Promise<RunningServer> {
  const db = await openDatabase(config);
  // Reports run their queries concurrently (revenue with compare=previous: 6 at once): keep that
  // many connections warm across quiet minutes (pool.ts, minIdle).
  const pool = createPool(db.url, { max: config.PG_POOL_MAX, minIdle: Math.min(config.PG_POOL_MAX, 6) });
  try {
    const client = await pool.connect();
    try {
      const applied = await migrate(client);
      if (applied.length) logger.info({ applied }, 'migrations applied');
      // Report reads run under row-level security unless the database could not set it up (a
      // managed PostgreSQL refusing CREATE ROLE, sql/150) or TALLY_RLS=off: say which at start-up.
      const rls = config.TALLY_RLS ? await rowLevelSecurityState(client) : { on: false, reason: 'TALLY_RLS=off' };
      if (rls.on) logger.info('row-level security on for report reads');
      else logger.warn({ reason: rls.reason }, 'row-level security is off for report reads');
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    await db.close();
    throw error;
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const deps: AppDeps = { config, pool, logger, registry, siteChanges: new SiteChanges() };
  const ingest = createIngestService(deps, options.createWriter);
  const scheduler = createScheduler(deps);
  await ingest.start();
  const app = createApp(deps, [ingest.routes]);

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  if (config.JOBS_ENABLED) scheduler.start();
  logger.info({ port, embedded: Boolean(db.embedded) }, 'tally listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    deps,
    close() {
      closing ??= (async () => {
        // Stop taking connections first; requests already in flight still get their answer.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await ingest.stop();
        await scheduler.stop();
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        await stopped;
        await pool.end();
        await db.close();
      })();
      return closing;
    },
  };
}
