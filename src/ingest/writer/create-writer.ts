import type { Config } from '../../config.ts';
import { spoolDir } from '../../config.ts';
import type { AppDeps } from '../../http/deps.ts';
import type { IngestMetrics } from '../metrics.ts';
import { createLocalWriter } from './local-writer.ts';
import { ThreadedWriter } from './threaded-writer.ts';
import { writerMetrics, type IngestWriter } from './writer.ts';

/** A writer with its lifecycle, as the ingest service drives it. */
export interface WriterHandle {
  writer: IngestWriter;
  /** Opens the spool (and replays what a previous run left in it). */
  start(): Promise<void>;
  /** Writes everything accepted, then closes (SIGTERM). */
  stop(): Promise<void>;
}

/** Builds the writer the service uses; loadtest/ingest/insert-server.ts passes its baseline. */
export type WriterFactory = (deps: AppDeps, metrics: IngestMetrics) => WriterHandle;

/**
 * Which writer runs, and why. There is one write path, the group-commit BatchWriter (writer.ts:
 * batches of requests → one transaction of COPYs, write.ts; the spool when PostgreSQL does not
 * answer, spool.ts). It runs in one of two places:
 *
 * - **On its own worker thread** (INGEST_WRITER_THREAD=true, the default): ThreadedWriter on the
 *   main thread posts each event-loop turn's prepared events to writer-thread.ts, which owns the
 *   BatchWriter, its pool and the spool. On the main thread every round trip of a write
 *   transaction had waited behind HTTP parsing, validation and enrichment (event-loop lag p99
 *   54 ms at 5,000 beacons/s), so a transaction of ~5 ms of PostgreSQL work lasted ~28 ms; the
 *   write path was ~25 % of the main thread's CPU per beacon. Posting costs ~2.7 µs per event
 *   (docs/benchmarks.md, "Ingestion").
 * - **In the process** (INGEST_WRITER_THREAD=false): the same BatchWriter on the main pool, for
 *   hosts where a second thread is unwelcome (one core, tight memory: the thread holds its own
 *   pool and copy of the modules) and for debugging with one event loop.
 *
 * The one-INSERT-per-event baseline the benchmark compares against is not here: it lives in
 * loadtest/ingest/insert-writer.ts and is handed in through WriterFactory.
 */
export const createWriter: WriterFactory = (deps, metrics) => {
  const { config, pool, logger } = deps;
  const options = batchOptions(config);
  if (config.INGEST_WRITER_THREAD) {
    const writer = new ThreadedWriter(
      // One connection per concurrent transaction, one for the spool's health probe.
      { ...options, databaseUrl: pool.options.connectionString ?? '', poolMax: config.INGEST_WRITERS + 1, spoolDir: spoolDir(config), logLevel: config.LOG_LEVEL },
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
};

function batchOptions(config: Config) {
  return { maxRows: config.BATCH_MAX_ROWS, lingerMs: config.BATCH_LINGER_MS, concurrency: config.INGEST_WRITERS, writeTimeoutMs: config.WRITE_TIMEOUT_MS };
}
