import type pg from 'pg';
import { Deadline, queryWithin } from '../db/deadline.ts';
import { isDatabaseUnavailable } from '../http/errors.ts';
import type { Logger } from '../log.ts';
import type { IngestMetrics } from './metrics.ts';
import { sessionIdFor } from './sessions.ts';
import type { Spool } from './spool.ts';
import { COMMON_COLUMNS, rowCount, TABLE_COLUMNS, TYPE_OF_TABLE, type PreparedEvent, type RawTable } from './tables.ts';
import { PartitionCache, writeTransaction, type WriteResult } from './write.ts';

export interface WriterOptions {
  pool: pg.Pool;
  spool: Spool;
  metrics: WriterMetrics;
  logger: Logger;
  maxRows: number;
  lingerMs: number;
  /** Write transactions at once. Two measured best on 2 cores (docs/benchmarks.md). */
  concurrency: number;
  /** 'insert': one autocommitted INSERT per row, the benchmark's baseline; never in production. */
  mode: 'copy' | 'insert';
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

interface Item {
  events: PreparedEvent[];
  rows: number;
  resolve: (how: 'committed' | 'spooled') => void;
  reject: (error: Error) => void;
}

interface Lane {
  queue: Item[];
  queuedRows: number;
  running: boolean;
  timer: NodeJS.Timeout | undefined;
}

function laneOf(key: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(h) % lanes;
}

/**
 * Group commit. Requests hand their prepared events to `submit`; events queue until BATCH_MAX_ROWS
 * rows are waiting or BATCH_LINGER_MS passed, then one transaction writes all of them and every
 * request in it gets its answer. While a batch is being written the next one gathers, so batch size
 * grows with load and latency does not. When PostgreSQL is unreachable the batch is fsynced to the
 * spool instead and replayed by `replayLoop` once PostgreSQL answers again.
 */
export class BatchWriter implements IngestWriter {
  readonly partitions = new PartitionCache();
  private readonly lanes: Lane[];
  private flushes = new Set<Promise<void>>();
  /** Set on a connection failure: batches go straight to the spool until a replay succeeds. */
  databaseDown = false;
  private replaying: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly o: WriterOptions) {
    this.lanes = Array.from({ length: o.concurrency }, () => ({ queue: [], queuedRows: 0, running: false, timer: undefined }));
  }

  submit(events: PreparedEvent[]): Promise<'committed' | 'spooled'> {
    if (this.o.mode === 'insert') {
      const p = this.insertEach(events);
      const tracked = p.then(() => undefined, () => undefined).finally(() => this.flushes.delete(tracked));
      this.flushes.add(tracked);
      return p;
    }
    // One lane per concurrent transaction, chosen by visitor: two transactions of this instance
    // then rarely touch the same visitor's session row, so they do not wait on each other's
    // row locks (measured: with one shared queue the two writers mostly ran one after the other).
    const first = events[0]!;
    const lane = this.lanes[laneOf(`${first.siteId}:${first.visitorId}`, this.lanes.length)]!;
    return new Promise((resolve, reject) => {
      const rows = rowCount(events);
      lane.queue.push({ events, rows, resolve, reject });
      lane.queuedRows += rows;
      if (lane.queuedRows >= this.o.maxRows) this.kick(lane);
      else if (!lane.timer && !lane.running) lane.timer = setTimeout(() => this.kick(lane), this.o.lingerMs);
    });
  }

  /** Starts the lane's next batch unless one is being written. */
  private kick(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (!lane.queue.length || lane.running) return;
    const items: Item[] = [];
    let rows = 0;
    while (lane.queue.length && (rows === 0 || rows + lane.queue[0]!.rows <= this.o.maxRows)) {
      const item = lane.queue.shift()!;
      rows += item.rows;
      items.push(item);
    }
    lane.queuedRows -= rows;
    lane.running = true;
    const p = this.flush(items).finally(() => {
      lane.running = false;
      this.flushes.delete(p);
      // Whatever gathered meanwhile has waited at least one write already: go now.
      if (lane.queue.length) this.kick(lane);
    });
    this.flushes.add(p);
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
    while (this.lanes.some((l) => l.queue.length) || this.flushes.size) {
      for (const lane of this.lanes) if (lane.queue.length) this.kick(lane);
      await Promise.race(this.flushes);
    }
    this.stopped = true;
    this.wake?.();
    await this.replaying?.catch(() => undefined);
  }

  /** Baseline for the benchmark: one autocommitted INSERT per row, as Umami writes. */
  private async insertEach(events: PreparedEvent[]): Promise<'committed'> {
    try {
      await this.partitions.ensure(this.o.pool, events);
      for (const e of events) {
        const columns = [...COMMON_COLUMNS, ...TABLE_COLUMNS[e.table]];
        const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
        const session = e.sid ?? sessionIdFor(e.siteId, e.visitorId, Math.floor(e.ts / 1_800_000));
        for (const row of e.rows) {
          await this.o.pool.query(`INSERT INTO ${e.table} (${columns.join(', ')}) VALUES (${placeholders})`, [
            e.siteId, new Date(e.ts).toISOString(), new Date(e.receivedAt).toISOString(), e.eventId, e.visitorId, session, ...row,
          ]);
        }
      }
      return 'committed';
    } catch (error) {
      this.o.logger.error({ err: error }, 'insert failed');
      throw new NotDurableError('could not store the events');
    }
  }
}
