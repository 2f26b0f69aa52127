import type pg from 'pg';
import { writeBatch } from '../commerce/batch.ts';
import type { CommerceKind, Customer, KindTypes, Order, Refund } from '../commerce/schemas.ts';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { copyField, type CopyValue } from '../ingest/writer/copy.ts';
import { COMMON_COLUMNS, TABLE_COLUMNS, type RawTable } from '../ingest/tables.ts';
import type { DemoSink } from './simulate.ts';

/**
 * Buffers the simulation's output and writes it while the simulation goes on: raw rows by COPY
 * (one connection per table, so the five tables load in parallel), commerce rows through the
 * API's own set-based writers (`writeBatch`) in batches of 1,000. One flush is in flight at a
 * time; the simulation waits only when the next buffer is full before the previous flush ended.
 * Refunds are written last (their orders must exist).
 */
const ROWS_PER_FLUSH = 50_000;
const COMMERCE_BATCH = 1_000;

export class CopySink implements DemoSink {
  /** COPY text lines per table, formatted as rows arrive (arrays would only feed the GC). */
  private rows = new Map<RawTable, string[]>();
  private pendingRows = 0;
  private orders: Order[] = [];
  private customers: Customer[] = [];
  private readonly refunds: Refund[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  written = 0;
  /** Time the simulation spent waiting for the database (the rest is generation). */
  waitMs = 0;

  constructor(private readonly pool: pg.Pool, private readonly siteId: string, private readonly onProgress?: (rows: number) => void) {}

  row(table: RawTable, cells: CopyValue[]): void {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    let line = copyField(cells[0]);
    for (let i = 1; i < cells.length; i++) line += `\t${copyField(cells[i])}`;
    list.push(line);
    this.pendingRows++;
  }

  order(order: Order): void {
    this.orders.push(order);
  }

  customer(customer: Customer): void {
    this.customers.push(customer);
  }

  refund(refund: Refund): void {
    this.refunds.push(refund);
  }

  async maybeDrain(): Promise<void> {
    if (this.pendingRows >= ROWS_PER_FLUSH || this.orders.length >= COMMERCE_BATCH) {
      const t = performance.now();
      await this.flush();
      this.waitMs += performance.now() - t;
    }
  }

  /** Starts writing what is buffered (after the previous flush); returns once that one is done. */
  async flush(): Promise<void> {
    const rows = this.rows;
    const count = this.pendingRows;
    const orders = this.orders;
    const customers = this.customers;
    this.rows = new Map();
    this.pendingRows = 0;
    this.orders = [];
    this.customers = [];
    const previous = this.inFlight;
    this.inFlight = previous.then(async () => {
      await Promise.all([
        ...[...rows].map(async ([table, list]) => {
          const client = await this.pool.connect();
          try {
            // In time order: the (site_id, occurred_at) btree then grows at a few points instead
            // of taking random inserts all over the month. Lines start with the (constant) site
            // id and then occurred_at in ISO form, so a plain string sort is a sort by time.
            list.sort();
            const ident = (name: string) => client.escapeIdentifier(name);
            const columns = [...COMMON_COLUMNS, ...TABLE_COLUMNS[table]].map(ident).join(', ');
            const stream = client.query(copyFrom(`COPY ${ident(table)} (${columns}) FROM STDIN`));
            await pipeline(Readable.from(linesInChunks(list)), stream);
          } finally {
            client.release();
          }
        }),
        (async () => {
          await this.commerce('customers', customers);
          await this.commerce('orders', orders);
        })(),
      ]);
      this.written += count;
      this.onProgress?.(this.written);
    });
    // Marked handled here; the failure still surfaces at the next flush() or finish().
    this.inFlight.catch(() => undefined);
    await previous;
  }

  /** Flushes everything, refunds last. */
  async finish(): Promise<void> {
    const t = performance.now();
    await this.flush();
    await this.inFlight;
    await this.commerce('refunds', this.refunds);
    this.waitMs += performance.now() - t;
  }

  private async commerce<K extends CommerceKind>(kind: K, items: KindTypes[K][]): Promise<void> {
    for (let i = 0; i < items.length; i += COMMERCE_BATCH) {
      const result = await writeBatch(this.pool, this.siteId, kind, items.slice(i, i + COMMERCE_BATCH));
      if (!result.ok) throw new Error(`demo ${kind} rejected: ${JSON.stringify(result.errors.slice(0, 3))}`);
    }
  }
}

/** ~256 KiB strings of COPY lines, so the stream never holds one huge string. */
function* linesInChunks(lines: string[]): Generator<string> {
  for (let i = 0; i < lines.length; i += 1000) yield `${lines.slice(i, i + 1000).join('\n')}\n`;
}
