import type { PreparedEvent } from '../tables.ts';

/** What the writer thread is started with (workerData): plain values, no live objects. */
export interface WriterThreadData {
  databaseUrl: string;
  poolMax: number;
  spoolDir: string;
  logLevel: string;
  maxRows: number;
  lingerMs: number;
  concurrency: number;
  writeTimeoutMs: number;
}

/** Main thread → writer thread. Submits are gathered per event-loop turn into one message. */
export type ToWriter = { type: 'submit'; items: { id: number; events: PreparedEvent[] }[] } | { type: 'drain' };

export interface SubmitResult {
  id: number;
  how?: 'committed' | 'spooled';
  /** Set when the events could not be made durable (the request answers 503). */
  error?: string;
}

/** Writer thread → main thread. */
export type FromWriter =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'done'; results: SubmitResult[] }
  | { type: 'written'; seconds: number; events: number; duplicatesByTable: Record<string, number> }
  | { type: 'spooled'; events: number }
  | { type: 'spoolRejected' }
  | { type: 'spoolDepth'; events: number; bytes: number }
  | { type: 'drained' };
