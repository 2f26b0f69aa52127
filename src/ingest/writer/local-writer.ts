import type pg from 'pg';
import type { Logger } from '../../log.ts';
import { Spool } from './spool.ts';
import { BatchWriter, type WriterMetrics, type WriterOptions } from './writer.ts';

export interface LocalWriterOptions extends Omit<WriterOptions, 'pool' | 'spool' | 'metrics' | 'logger'> {
  pool: pg.Pool;
  spoolDir: string;
  logger: Logger;
  metrics: WriterMetrics;
  /** Spool depth after every change (a gauge in-process, a message from the writer thread). */
  onSpoolDepth: (events: number, bytes: number) => void;
}

/**
 * The group-commit writer with its spool, as one unit with a lifecycle: `start` opens the spool
 * and replays what a previous run left in it, `stop` writes everything accepted and closes it.
 * Runs in the process (INGEST_WRITER_THREAD=false) or inside the writer thread.
 */
export function createLocalWriter(o: LocalWriterOptions): { writer: BatchWriter; start(): Promise<void>; stop(): Promise<void> } {
  const { pool, spoolDir, logger, metrics, onSpoolDepth, ...options } = o;
  const spool = new Spool(spoolDir, logger, onSpoolDepth);
  const writer = new BatchWriter({ ...options, pool, spool, metrics, logger });
  return {
    writer,
    async start() {
      await spool.init();
      if (spool.events > 0) {
        logger.info({ events: spool.events, dir: spool.dir }, 'replaying spooled events');
        writer.startReplay();
      }
    },
    async stop() {
      await writer.drain();
      await spool.close();
      logger.info({ spooled: spool.events }, 'writer drained');
    },
  };
}
