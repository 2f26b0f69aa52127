import { Hono } from 'hono';
import type { AppDeps } from '../http/deps.ts';
import { ensurePartitionsAhead } from '../db/partitions.ts';
import { SiteCache, type CollectContext } from './collect.ts';
import { loadGeo } from './enrich/geo.ts';
import { queryWithin } from '../db/deadline.ts';
import { SaltCache } from './enrich/visitor.ts';
import { InflightRows } from './inflight.ts';
import { createIngestMetrics } from './metrics.ts';
import { ingestRoutes } from './routes.ts';
import { createWriter, type WriterFactory } from './writer/create-writer.ts';

/**
 * The ingestion pipeline as the server sees it: its routes (/collect, /collect.gif) and its
 * lifecycle. `stop` stops intake and returns once every accepted event is durable.
 */
export interface IngestService {
  routes: Hono;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `createWriterFor` replaces the writer (the benchmark's one-INSERT-per-event baseline, loadtest/). */
export function createIngestService(deps: AppDeps, createWriterFor: WriterFactory = createWriter): IngestService {
  const { config, pool, logger, registry } = deps;
  const metrics = createIngestMetrics(registry);
  const { writer, start: startWriter, stop: stopWriter } = createWriterFor(deps, metrics);
  const salts = new SaltCache({ query: (q) => queryWithin(pool, q, config.WRITE_TIMEOUT_MS) });
  const inflight = new InflightRows(config.MAX_INFLIGHT_ROWS, metrics.inflightRows);
  const ctx: CollectContext = { pool, writer, inflight, sites: new SiteCache(pool, { timeoutMs: config.WRITE_TIMEOUT_MS }), salts, metrics, logger };
  // A settings change made through this process applies to its next beacon (others: ≤ 5 s).
  deps.siteChanges?.subscribe((change) => ctx.sites.invalidate(change.publicKey));
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
      await ensurePartitionsAhead(pool).catch((error: unknown) => logger.warn({ err: error }, 'could not ensure partitions at start-up'));
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
