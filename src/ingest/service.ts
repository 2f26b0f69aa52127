import { Hono } from 'hono';
import { spoolDir } from '../config.ts';
import type { AppDeps } from '../http/deps.ts';
import { partitionJob } from '../jobs/partitions.ts';
import { SiteCache, type CollectContext } from './collect.ts';
import { loadGeo } from './enrich/geo.ts';
import { SaltCache } from './enrich/visitor.ts';
import { createIngestMetrics } from './metrics.ts';
import { ingestRoutes } from './routes.ts';
import { Spool } from './spool.ts';
import { BatchWriter } from './writer.ts';

/**
 * The ingestion pipeline as the server sees it: its routes (/collect, /collect.gif) and its
 * lifecycle. `stop` stops intake and returns once every accepted event is durable.
 */
export interface IngestService {
  routes: Hono;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For tests and the benchmark. */
  writer: BatchWriter;
  spool: Spool;
}

export function createIngestService(deps: AppDeps): IngestService {
  const { config, pool, logger, registry } = deps;
  const metrics = createIngestMetrics(registry);
  const spool = new Spool(spoolDir(config), logger, (events, bytes) => {
    metrics.spoolEvents.set(events);
    metrics.spoolBytes.set(bytes);
  });
  const writer = new BatchWriter({
    pool,
    spool,
    metrics,
    logger,
    maxRows: config.BATCH_MAX_ROWS,
    lingerMs: config.BATCH_LINGER_MS,
    maxInflightRows: config.MAX_INFLIGHT_ROWS,
    concurrency: config.INGEST_WRITERS,
    mode: config.INGEST_WRITE_MODE,
  });
  const salts = new SaltCache(pool);
  const ctx: CollectContext = { pool, writer, sites: new SiteCache(pool), salts, metrics, logger };
  let stopping = false;
  const routes = ingestRoutes({ config, ctx, stopping: () => stopping });

  return {
    routes,
    writer,
    spool,
    async start() {
      // ~1 s and ~150 MB once, at start-up rather than on the first beacon.
      loadGeo();
      await spool.init();
      // Partitions for this month and the next ones exist before the first beacon, even when the
      // process starts months after the last migration (the `partitions` job keeps them ahead).
      await partitionJob
        .run({ pool, config, logger, signal: new AbortController().signal })
        .catch((error: unknown) => logger.warn({ err: error }, 'could not ensure partitions at start-up'));
      await salts.prefetch().catch((error: unknown) => logger.warn({ err: error }, 'could not prefetch visitor salts'));
      if (spool.events > 0) {
        logger.info({ events: spool.events, dir: spool.dir }, 'replaying spooled events');
        writer.startReplay();
      }
    },
    async stop() {
      stopping = true;
      await writer.drain();
      await spool.close();
      logger.info({ spooled: spool.events }, 'ingestion drained');
    },
  };
}
