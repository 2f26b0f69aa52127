import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.ts';
import type { IngestMetrics } from '../metrics.ts';
import type { PreparedEvent } from '../tables.ts';
import type { FromWriter, ToWriter, WriterThreadData } from './writer-thread-protocol.ts';
import { NotDurableError, writerMetrics, type IngestWriter } from './writer.ts';

interface Pending {
  resolve: (how: 'committed' | 'spooled') => void;
  reject: (error: Error) => void;
}

const BOOT = new URL('./writer-thread-boot.mjs', import.meta.url);

/**
 * The main thread's side of the writer thread (writer-thread.ts): same contract as BatchWriter —
 * `submit` resolves once the events are committed or spooled — with the batching, PostgreSQL and
 * the spool on the thread. Submits of one event-loop turn travel as one message, answers likewise.
 * If the thread dies, requests waiting on it get NotDurableError (503: the client retries, and a
 * batch that did commit is then recognised by its event ids) and a new thread is started.
 */
export class ThreadedWriter implements IngestWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private outbox: { id: number; events: PreparedEvent[] }[] = [];
  private nextId = 1;
  private draining = false;
  private drained: (() => void) | undefined;
  private readonly metrics;

  constructor(
    private readonly data: WriterThreadData,
    private readonly ingestMetrics: IngestMetrics,
    private readonly logger: Logger,
  ) {
    this.metrics = writerMetrics(ingestMetrics);
  }

  /** Starts the thread; resolves once its spool is open (and any leftover replay started). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      // The process flag --max-semi-space-size=32 is meant for the HTTP thread (its requests live
      // until their batch commits); this thread's garbage (COPY text, protocol buffers) dies within
      // a transaction, so it gets V8's default-sized young generation (48 MB = 16 MB semi-spaces):
      // peak RSS 421–429 MB against 430–439 MB with 16 MB (bench:ingest, docs/benchmarks.md).
      const worker = new Worker(BOOT, { workerData: this.data, resourceLimits: { maxYoungGenerationSizeMb: 48 } });
      this.worker = worker;
      let ready = false;
      worker.on('message', (message: FromWriter) => {
        if (message.type === 'ready') {
          ready = true;
          resolve();
        } else if (message.type === 'fatal') reject(new Error(`writer thread: ${message.message}`));
        else this.receive(message);
      });
      worker.on('error', (error) => {
        this.logger.error({ err: error }, 'writer thread failed');
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        this.outbox = [];
        this.failPending('writer thread stopped before the events were durable');
        if (!ready || this.draining) return;
        this.logger.error({ code }, 'writer thread exited; starting a new one');
        this.start().catch((error: unknown) => this.logger.error({ err: error }, 'could not restart the writer thread'));
      });
    });
  }

  submit(events: PreparedEvent[]): Promise<'committed' | 'spooled'> {
    if (!this.worker || this.draining) return Promise.reject(new NotDurableError('writer unavailable'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      if (!this.outbox.length) setImmediate(() => this.send());
      this.outbox.push({ id, events });
    });
  }

  async drain(): Promise<void> {
    if (!this.worker) return;
    this.send();
    this.draining = true;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.post({ type: 'drain' });
    });
    await this.worker?.terminate();
  }

  private send(): void {
    if (!this.outbox.length) return;
    const items = this.outbox;
    this.outbox = [];
    this.post({ type: 'submit', items });
  }

  private post(message: ToWriter): void {
    if (this.worker) this.worker.postMessage(message);
    else if (message.type === 'submit') for (const { id } of message.items) this.settle(id, { error: 'writer unavailable' });
  }

  private receive(message: FromWriter): void {
    switch (message.type) {
      case 'done':
        for (const r of message.results) this.settle(r.id, r);
        break;
      case 'written':
        this.metrics.written(message.seconds, message.events, message.duplicatesByTable);
        break;
      case 'spooled':
        this.metrics.spooled(message.events);
        break;
      case 'spoolRejected':
        this.metrics.spoolRejected();
        break;
      case 'spoolDepth':
        this.ingestMetrics.spoolEvents.set(message.events);
        this.ingestMetrics.spoolBytes.set(message.bytes);
        break;
      case 'drained':
        this.drained?.();
        break;
    }
  }

  private settle(id: number, result: { how?: 'committed' | 'spooled'; error?: string }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (result.how) p.resolve(result.how);
    else p.reject(new NotDurableError(result.error ?? 'could not store the events'));
  }

  private failPending(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { error: reason });
  }
}
