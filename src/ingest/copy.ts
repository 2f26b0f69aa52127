import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value COPY text format can carry (Date → ISO timestamp; objects → JSON). */
export type CopyValue = string | number | boolean | bigint | Date | null | undefined | Record<string, unknown> | unknown[];

/** Escapes one value for COPY's text format (backslash, tab, newline, CR; NULL as \N). */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'bigint') s = String(value);
  else if (typeof value === 'boolean') s = value ? 't' : 'f';
  else if (value instanceof Date) s = value.toISOString();
  else s = JSON.stringify(value);
  // eslint-disable-next-line no-control-regex
  if (!/[\\\t\n\r\u0000]/.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u0000/g, '').replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** COPY text-format lines for `rows`, in chunks of ~64 KiB so the stream never holds one huge string. */
function* copyChunks(rows: Iterable<readonly CopyValue[]>): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + copyField(row[i]);
    chunk += `${line}\n`;
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** `COPY "table" ("col", …) FROM STDIN`, identifiers escaped. */
export function copyStatement(escapeIdentifier: (name: string) => string, table: string, columns: readonly string[]): string {
  return `COPY ${escapeIdentifier(table)} (${columns.map(escapeIdentifier).join(', ')}) FROM STDIN`;
}

/**
 * `COPY table (columns) FROM STDIN` with `rows` on `client` (in the caller's transaction, if any).
 * COPY into a partitioned parent routes each row to its partition. Returns rows copied.
 */
export async function copyRows(client: pg.ClientBase, table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>): Promise<number> {
  const stream = client.query(copyFrom(copyStatement((name) => client.escapeIdentifier(name), table, columns)));
  await pipeline(Readable.from(copyChunks(rows)), stream);
  return Number(stream.rowCount ?? 0);
}
