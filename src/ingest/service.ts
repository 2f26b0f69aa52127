import { Hono } from 'hono';
import { spoolDir } from '../config.ts';
import type { AppDeps } from '../http/deps.ts';
import { partitionJob } from '../jobs/partitions.ts';
import { SiteCache, type CollectContext } from './collect.ts';
import { loadGeo } from './enrich/geo.ts';
import { queryWithin } from '../db/deadline.ts';
import { SaltCache } from './enrich/visitor.ts';
import { InflightRows } from './inflight.ts';
import { createLocalWriter } from './local-writer.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import { ingestRoutes } from './routes.ts';
import { ThreadedWriter } from './threaded-writer.ts';
import { writerMetrics, type IngestWriter } from './writer.ts';

/**
 * The ingestion pipeline as the server sees it: its routes (/collect, /collect.gif) and its
 * lifecycle. `stop` stops intake and returns once every accepted event is durable.
 */
export interface IngestService {
  routes: Hono;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The writer, on its own thread (default) or in process (INGEST_WRITER_THREAD=false). */
function createWriter(deps: AppDeps, metrics: IngestMetrics): { writer: IngestWriter; start(): Promise<void>; stop(): Promise<void> } {
  const { config, pool, logger } = deps;
  const options = { maxRows: config.BATCH_MAX_ROWS, lingerMs: config.BATCH_LINGER_MS, concurrency: config.INGEST_WRITERS, mode: config.INGEST_WRITE_MODE, writeTimeoutMs: config.WRITE_TIMEOUT_MS };
  if (config.INGEST_WRITER_THREAD) {
    const writer = new ThreadedWriter(
      // COPY: one connection per concurrent transaction, one for the spool's health probe; the
      // one-INSERT-per-event baseline keeps the connections it had on the main pool.
      { ...options, databaseUrl: pool.options.connectionString ?? '', poolMax: config.INGEST_WRITE_MODE === 'insert' ? config.PG_POOL_MAX : config.INGEST_WRITERS + 1, spoolDir: spoolDir(config), logLevel: config.LOG_LEVEL },
      metrics,
      logger,
    );
    return { writer, start: () => writer.start(), stop: () => writer.drain() };
  }
  return createLocalWriter({
    ...options,
    pool,
    spoolDir: spoolDir(config),
    logger,
    metrics: writerMetrics(metrics),
    onSpoolDepth: (events, bytes) => {
      metrics.spoolEvents.set(events);
      metrics.spoolBytes.set(bytes);
    },
  });
}

export function createIngestService(deps: AppDeps): IngestService {
  const { config, pool, logger, registry } = deps;
  const metrics = createIngestMetrics(registry);
  const { writer, start: startWriter, stop: stopWriter } = createWriter(deps, metrics);
  const salts = new SaltCache({ query: (q) => queryWithin(pool, q, config.WRITE_TIMEOUT_MS) });
  const inflight = new InflightRows(config.MAX_INFLIGHT_ROWS, metrics.inflightRows);
  const ctx: CollectContext = { pool, writer, inflight, sites: new SiteCache(pool, { timeoutMs: config.WRITE_TIMEOUT_MS }), salts, metrics, logger };
  let stopping = false;
  let saltRefresh: NodeJS.Timeout | undefined;
  const prefetchSalts = () => salts.prefetch().catch((error: unknown) => logger.warn({ err: error }, 'could not prefetch visitor salts'));
  const routes = ingestRoutes({ config, ctx, stopping: () => stopping });

  return {
    routes,
    async start() {
      // ~1 s and ~150 MB once, at start-up rather than on the first beacon.
      loadGeo();
      await startWriter();
      // Partitions for this month and the next ones exist before the first beacon, even when the
      // process starts months after the last migration (the `partitions` job keeps them ahead).
      await partitionJob
        .run({ pool, config, logger, signal: new AbortController().signal })
        .catch((error: unknown) => logger.warn({ err: error }, 'could not ensure partitions at start-up'));
      await prefetchSalts();
      // Tomorrow's salt, fetched again every hour, is in memory before midnight: cookieless ids
      // keep coming across the day change even if PostgreSQL is not answering then.
      saltRefresh = setInterval(() => void prefetchSalts(), 3_600_000).unref();
    },
    async stop() {
      stopping = true;
      clearInterval(saltRefresh);
      await stopWriter();
      logger.info('ingestion drained');
    },
  };
}
