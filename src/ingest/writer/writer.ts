import type pg from 'pg';
import { Deadline, queryWithin } from '../../db/deadline.ts';
import { isDatabaseUnavailable } from '../../http/errors.ts';
import type { Logger } from '../../log.ts';
import type { IngestMetrics } from '../metrics.ts';
import type { Spool } from './spool.ts';
import { rowCount, TYPE_OF_TABLE, type PreparedEvent, type RawTable } from '../tables.ts';
import { PartitionCache, writeTransaction, type WriteResult } from './write.ts';
import { BatchQueue, visitorsOf, type Queued } from './batch-queue.ts';

export interface WriterOptions {
  pool: pg.Pool;
  spool: Spool;
  metrics: WriterMetrics;
  logger: Logger;
  maxRows: number;
  lingerMs: number;
  /** Write transactions at once, at most (a second one only under a backlog: MORE_WRITERS_AT_ROWS). Two measured best on 2 cores (docs/benchmarks.md). */
  concurrency: number;
  /** WRITE_TIMEOUT_MS: a transaction (or replay probe) unanswered this long counts as an outage. */
  writeTimeoutMs: number;
}

/** Why a submit failed: nothing of that request is stored. */
export class NotDurableError extends Error {}

/** What /collect needs of a writer: the in-process BatchWriter or the writer thread's proxy. */
export interface IngestWriter {
  submit(events: PreparedEvent[]): Promise<'committed' | 'spooled'>;
  /** Writes everything accepted, then stops (SIGTERM). */
  drain(): Promise<void>;
}

/**
 * What the writer reports. In-process these go straight to the app's IngestMetrics; in the writer
 * thread they become messages to the main thread, which owns the prom-client registry.
 */
export interface WriterMetrics {
  written(seconds: number, events: number, duplicatesByTable: Readonly<Record<string, number>>): void;
  spooled(events: number): void;
  spoolRejected(): void;
}

export function writerMetrics(m: IngestMetrics): WriterMetrics {
  return {
    written(seconds, events, duplicatesByTable) {
      m.copySeconds.observe(seconds);
      m.batchRows.observe(events);
      for (const [table, n] of Object.entries(duplicatesByTable)) m.events.inc({ type: TYPE_OF_TABLE[table as RawTable], outcome: 'duplicate' }, n);
    },
    spooled: (events) => m.spooledEvents.inc(events),
    spoolRejected: () => m.spoolRejectedEvents.inc(),
  };
}

interface Item extends Queued {
  resolve: (how: 'committed' | 'spooled') => void;
  reject: (error: Error) => void;
}

/**
 * Rows waiting, while a transaction is in flight, that start another one at once (up to
 * INGEST_WRITERS). Below it they wait for the one in flight, so a steady trickle of beacons makes
 * one transaction at a time, each twice as large as with two: PostgreSQL's fixed cost per
 * transaction (~0.7 ms, mostly the commit) is then shared by twice the events (46–54 against
 * 67–68 µs of PostgreSQL CPU per single beacon in bench:ingest). Batched traffic queues thousands
 * of rows and gets its second transaction, which overlaps one's Node work with the other's
 * PostgreSQL work (10 % more events/s than one at a time). Measured against two lanes chosen by
 * visitor (the previous design), two interleaved pairs of bench:ingest: PostgreSQL CPU per single
 * beacon 52–63 against 74–97 µs, single beacons 5.4k/6.4k against 4.7k/6.0k req/s at comparable
 * no-op ceilings, batches unchanged (26.8k/32.2k against 27.7k/31.7k events/s).
 */
const MORE_WRITERS_AT_ROWS = 500;

/**
 * Group commit. Requests hand their prepared events to `submit`; events queue until BATCH_MAX_ROWS
 * rows are waiting or BATCH_LINGER_MS passed, then one transaction writes all of them and every
 * request in it gets its answer. While a batch is being written the next one gathers, so batch size
 * grows with load and latency does not. When PostgreSQL is unreachable the batch is fsynced to the
 * spool instead and replayed by `replayLoop` once PostgreSQL answers again.
 */
export class BatchWriter implements IngestWriter {
  readonly partitions = new PartitionCache();
  private readonly queue = new BatchQueue<Item>();
  /** The visitors of each transaction in flight. */
  private readonly flights = new Set<Set<string>>();
  /** Every waiting request belongs to a visitor in flight: nothing to start before one ends. */
  private blocked = false;
  private timer: NodeJS.Timeout | undefined;
  private flushes = new Set<Promise<void>>();
  /** Set on a connection failure: batches go straight to the spool until a replay succeeds. */
  databaseDown = false;
  private replaying: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly o: WriterOptions) {}

  submit(events: PreparedEvent[]): Promise<'committed' | 'spooled'> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, rows: rowCount(events), visitors: visitorsOf(events), resolve, reject });
      if (this.queue.rows >= this.o.maxRows || (this.flights.size && this.queue.rows >= MORE_WRITERS_AT_ROWS)) this.kick();
      else if (!this.timer && !this.flights.size) this.timer = setTimeout(() => this.kick(), this.o.lingerMs);
    });
  }

  /**
   * Starts transactions for the waiting requests: one when none is in flight; more, up to
   * INGEST_WRITERS, while MORE_WRITERS_AT_ROWS rows wait (or always, when draining), each without
   * the visitors of those in flight (BatchQueue.take).
   */
  private kick(draining = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length && !this.blocked && this.flights.size < this.o.concurrency && (!this.flights.size || draining || this.queue.rows >= MORE_WRITERS_AT_ROWS)) {
      const { items, visitors } = this.queue.take(this.o.maxRows, (v) => this.inFlight(v));
      if (!items.length) {
        this.blocked = true;
        break;
      }
      this.flights.add(visitors);
      const p = this.flush(items).finally(() => {
        this.flights.delete(visitors);
        this.flushes.delete(p);
        this.blocked = false;
        // Whatever gathered meanwhile has waited at least one write already: go now.
        if (this.queue.length) this.kick();
      });
      this.flushes.add(p);
    }
  }

  private inFlight(visitor: string): boolean {
    for (const f of this.flights) if (f.has(visitor)) return true;
    return false;
  }

  private async flush(items: Item[]): Promise<void> {
    const events = items.flatMap((i) => i.events);
    if (!this.databaseDown) {
      const started = performance.now();
      const deadline = new Deadline(this.o.writeTimeoutMs);
      try {
        const result = await this.writeWithin(events, deadline);
        this.o.metrics.written((performance.now() - started) / 1000, events.length, result.duplicatesByTable);
        for (const i of items) i.resolve('committed');
        return;
      } catch (error) {
        // Past the deadline the batch goes to the spool like in an outage. Had its transaction
        // committed after all, the replay finds every id already stored and writes nothing.
        if (!deadline.expired && !isDatabaseUnavailable(error)) {
          if (items.length > 1) {
            // One bad request must not fail its neighbours: write each on its own.
            this.o.logger.warn({ err: error, requests: items.length }, 'batch failed; retrying requests one by one');
            for (const item of items) await this.flush([item]);
            return;
          }
          this.o.logger.error({ err: error }, 'write failed');
          items[0]!.reject(new NotDurableError('could not store the events'));
          return;
        }
        if (deadline.expired) this.o.logger.warn({ timeoutMs: this.o.writeTimeoutMs }, 'PostgreSQL did not answer a write in time: spooling accepted events');
        else this.o.logger.warn({ err: error }, 'PostgreSQL unreachable: spooling accepted events');
        this.databaseDown = true;
      }
    }
    try {
      await this.o.spool.append(events);
      this.o.metrics.spooled(events.length);
      for (const i of items) i.resolve('spooled');
      this.startReplay();
    } catch (error) {
      this.o.logger.error({ err: error }, 'spool write failed: cannot make events durable');
      for (const i of items) i.reject(new NotDurableError('cannot make events durable (database unreachable, spool not writable)'));
    }
  }

  /** Replays the spool with backoff until it is empty (or the writer stops). */
  startReplay(): void {
    if (this.replaying || this.stopped) return;
    this.replaying = (async () => {
      let delay = 250;
      while (!this.stopped) {
        try {
          // `SELECT 1` within the deadline: a PostgreSQL that accepts connections but does not answer is still down.
          await queryWithin(this.o.pool, 'SELECT 1', this.o.writeTimeoutMs);
          this.databaseDown = false;
          const n = await this.o.spool.replay((batch) => this.replayBatch(batch));
          if (n) this.o.logger.info({ events: n }, 'spool replayed');
          if (this.o.spool.events === 0) break;
        } catch (error) {
          if (!isDatabaseUnavailable(error)) this.o.logger.error({ err: error }, 'spool replay failed');
          this.databaseDown = isDatabaseUnavailable(error) || this.databaseDown;
          await new Promise<void>((r) => {
            const t = setTimeout(r, delay);
            this.wake = () => {
              clearTimeout(t);
              r();
            };
          });
          this.wake = undefined;
          delay = Math.min(delay * 2, 30_000);
        }
      }
    })().finally(() => {
      this.replaying = undefined;
    });
  }

  /** One transaction under WRITE_TIMEOUT_MS (`deadline.expired` afterwards tells a timeout apart). */
  private async writeWithin(events: readonly PreparedEvent[], deadline = new Deadline(this.o.writeTimeoutMs)): Promise<WriteResult> {
    try {
      return await writeTransaction(this.o.pool, this.partitions, events, deadline);
    } finally {
      deadline.clear();
    }
  }

  /**
   * One spooled batch. An outage error propagates (the segment is retried whole later); any other
   * error means PostgreSQL refuses something in the batch, so its events are written one by one
   * and the ones refused are set aside (Spool.reject) instead of blocking the spool.
   */
  private async replayBatch(batch: PreparedEvent[]): Promise<void> {
    try {
      await this.writeWithin(batch);
      return;
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      this.o.logger.warn({ err: error, events: batch.length }, 'spool replay: batch refused; writing its events one by one');
    }
    for (const event of batch) {
      try {
        await this.writeWithin([event]);
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw error;
        await this.o.spool.reject(event, error);
        this.o.metrics.spoolRejected();
      }
    }
  }

  /** Writes everything queued now and waits for every write in flight (drain on SIGTERM). */
  async drain(): Promise<void> {
    while (this.queue.length || this.flushes.size) {
      this.kick(true);
      await Promise.race(this.flushes);
    }
    this.stopped = true;
    this.wake?.();
    await this.replaying?.catch(() => undefined);
  }
}
