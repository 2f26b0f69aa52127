/**
 * The writer thread's entry point (started by ThreadedWriter through writer-thread-boot.mjs): the
 * group-commit BatchWriter, its PostgreSQL pool and the spool, on an event loop of their own.
 *
 * Why a thread: on the main thread every round trip of a write transaction waited behind HTTP
 * parsing, validation and enrichment for its turn of the loop (event-loop lag p99 54 ms at 5,000
 * beacons/s), so a transaction whose PostgreSQL work was ~5 ms lasted ~28 ms and requests waited
 * for it; and the write path (dedup keys, sessions, COPY text, node-postgres) was ~25 % of the
 * main thread's CPU per beacon. Posting a batch of prepared events here costs ~2.7 µs per event
 * on the main thread (structured clone, measured over 1,000-event batches).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPool } from '../../db/pool.ts';
import { createLogger } from '../../log.ts';
import { createLocalWriter } from './local-writer.ts';
import type { FromWriter, SubmitResult, ToWriter, WriterThreadData } from './writer-thread-protocol.ts';
import { NotDurableError, type WriterMetrics } from './writer.ts';

const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread (see ThreadedWriter)');
const data = workerData as WriterThreadData;
const post = (message: FromWriter) => port.postMessage(message);

const logger = createLogger(data.logLevel).child({ thread: 'writer' });
const pool = createPool(data.databaseUrl, { max: data.poolMax, applicationName: 'tally-writer' });
const metrics: WriterMetrics = {
  written: (seconds, events, duplicatesByTable) => post({ type: 'written', seconds, events, duplicatesByTable: { ...duplicatesByTable } }),
  spooled: (events) => post({ type: 'spooled', events }),
  spoolRejected: () => post({ type: 'spoolRejected' }),
};
const { writer, start, stop } = createLocalWriter({
  pool,
  spoolDir: data.spoolDir,
  logger,
  metrics,
  onSpoolDepth: (events, bytes) => post({ type: 'spoolDepth', events, bytes }),
  maxRows: data.maxRows,
  lingerMs: data.lingerMs,
  concurrency: data.concurrency,
  writeTimeoutMs: data.writeTimeoutMs,
});

// Answers go back once per loop turn, like the submits came: one message for a whole batch.
let results: SubmitResult[] = [];
function answer(result: SubmitResult): void {
  if (!results.length) {
    setImmediate(() => {
      const done = results;
      results = [];
      post({ type: 'done', results: done });
    });
  }
  results.push(result);
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'submit') {
    for (const { id, events } of message.items) {
      writer.submit(events).then(
        (how) => answer({ id, how }),
        (error: unknown) => {
          if (!(error instanceof NotDurableError)) logger.error({ err: error }, 'write failed');
          answer({ id, error: error instanceof NotDurableError ? error.message : 'could not store the events' });
        },
      );
    }
  } else if (message.type === 'drain') {
    void (async () => {
      await stop();
      await pool.end().catch(() => undefined);
      post({ type: 'drained' });
    })();
  }
});

// No top-level await: the thread's entry is loaded with require() (writer-thread-boot.mjs).
start().then(
  () => post({ type: 'ready' }),
  (error: unknown) => post({ type: 'fatal', message: error instanceof Error ? error.message : String(error) }),
);
