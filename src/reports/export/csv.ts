import { Readable } from 'node:stream';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { escapeIdentifier } from 'pg';

/**
 * CSV export of one site's rows, streamed with pg-cursor: at most BATCH rows are in memory at a
 * time and the next batch is read only when the HTTP client has taken the previous one (pull
 * stream), so a 10M-row table costs the same memory as a 10-row one.
 */
const TIME_COLUMN: Record<string, string> = {
  pageviews: 'occurred_at', events: 'occurred_at', heatmap_points: 'occurred_at', errors: 'occurred_at', vitals: 'occurred_at',
  sessions: 'started_at', customers: 'created_at', orders: 'created_at', refunds: 'created_at',
  products: '', order_items: '',
};
export const EXPORT_TABLES = Object.keys(TIME_COLUMN);
const BATCH = 1000;

/** RFC 4180: quote fields holding a comma, quote, CR or LF; double the quotes. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s: string;
  if (value instanceof Date) s = value.toISOString();
  else if (typeof value === 'object') s = JSON.stringify(value);
  else s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

async function columnsOf(pool: pg.Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>({
    text: `SELECT column_name AS "name" FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1::text ORDER BY ordinal_position`,
    values: [table],
  });
  return rows.map((r) => r.name);
}

/** Returns a Node stream of CSV text (header first); the cursor's client is released at the end or on abort. */
export async function exportCsv(pool: pg.Pool, table: string, siteId: string, start: Date, end: Date): Promise<Readable> {
  const columns = await columnsOf(pool, table);
  const time = TIME_COLUMN[table];
  const where = time ? ` AND ${escapeIdentifier(time)} >= $2::timestamptz AND ${escapeIdentifier(time)} < $3::timestamptz` : '';
  const select = columns.map((c) => escapeIdentifier(c)).join(', ');
  const order = time ? ` ORDER BY ${escapeIdentifier(time)}` : '';
  const text = `SELECT ${select} FROM ${escapeIdentifier(table)} WHERE site_id = $1::bigint${where}${order}`;
  return csvQueryStream(pool, text, time ? [siteId, start, end] : [siteId], columns);
}

/**
 * A query's rows as a Node stream of CSV text (`header` first), read with pg-cursor BATCH rows at
 * a time and only when the client took the last (constant memory); the cursor's client is
 * released at the end or on abort. Used by the exports and the funnel's people.csv.
 */
export async function csvQueryStream(pool: pg.Pool, text: string, values: unknown[], header: readonly string[]): Promise<Readable> {
  const client = await pool.connect();
  const cursor = client.query(new Cursor(text, values, { rowMode: 'array' }));
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    cursor.close(() => client.release(error));
  };
  let headerDue = true;
  return new Readable({
    async read() {
      try {
        if (headerDue) {
          headerDue = false;
          this.push(`${header.map(csvField).join(',')}\r\n`);
          return;
        }
        const rows = await cursor.read(BATCH) as unknown[][];
        if (rows.length === 0) {
          release();
          this.push(null);
          return;
        }
        this.push(rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join(''));
      } catch (error) {
        release(error as Error);
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      release(error ?? undefined);
      callback(error);
    },
  });
}
