import { csvRecords } from './csv.ts';
import { readLines } from './lines.ts';

/**
 * File → items for the commerce writers (or raw beacons for `events`), each tagged with the line
 * it starts on. NDJSON: one JSON object per line. CSV: a header row naming the fields; integer
 * columns are converted; an empty cell means "absent". Orders in CSV are one row per item, the
 * order columns repeated, item fields in `item_*` columns; consecutive rows with the same `id`
 * form one order (or one row per order with an `items` column holding a JSON array); a
 * `discount_codes` column holds an order's codes separated by `|`.
 */
export type ImportFormat = 'ndjson' | 'csv';
export type SourceRecord = { line: number; value: Record<string, unknown> } | { line: number; error: string };

const INTEGER_COLUMNS = new Set([
  'subtotal', 'discount', 'tax', 'shipping', 'total', 'price', 'amount', 'quantity', 'unit_price',
  'item_quantity', 'item_unit_price', 'ts', 'sw', 'vw', 'vh', 'dh', 'line', 'col', 'x', 'y',
]);
const FLOAT_COLUMNS = new Set(['lcp', 'inp', 'cls', 'fcp', 'ttfb', 'scroll']);
const JSON_COLUMNS = new Set(['items', 'props', 'points', 'revenue']);
const BOOLEAN_COLUMNS = new Set(['handled']);
const ITEM_PREFIX = 'item_';

/** CSV orders: `discount_codes` holds the codes separated by `|` (`WELCOME10|FREESHIP`). */
export const DISCOUNT_CODES_SEPARATOR = '|';

function convert(column: string, cell: string): unknown {
  if (column === 'discount_codes') return cell.split(DISCOUNT_CODES_SEPARATOR);
  if (INTEGER_COLUMNS.has(column) && /^-?\d+$/.test(cell)) return Number(cell);
  if (FLOAT_COLUMNS.has(column) && cell.trim() !== '' && Number.isFinite(Number(cell))) return Number(cell);
  if (BOOLEAN_COLUMNS.has(column) && (cell === 'true' || cell === 'false')) return cell === 'true';
  if (JSON_COLUMNS.has(column)) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell; // validation names the column
    }
  }
  return cell;
}

async function* ndjson(path: string, onBytes?: (n: number) => void): AsyncGenerator<SourceRecord> {
  for await (const { line, text } of readLines(path, onBytes)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, error: `bad JSON: ${(error as Error).message}` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) yield { line, error: 'each line must be one JSON object' };
    else yield { line, value: value as Record<string, unknown> };
  }
}

async function* csvObjects(path: string, onBytes?: (n: number) => void): AsyncGenerator<SourceRecord> {
  let header: string[] | undefined;
  for await (const record of csvRecords(readLines(path, onBytes))) {
    if ('error' in record) {
      yield record;
      continue;
    }
    if (!header) {
      header = record.fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      continue;
    }
    if (record.fields.length !== header.length) {
      yield { line: record.line, error: `expected ${header.length} fields as in the header, found ${record.fields.length}` };
      continue;
    }
    const value: Record<string, unknown> = {};
    header.forEach((column, i) => {
      const cell = record.fields[i]!;
      if (cell !== '') value[column] = convert(column, cell);
    });
    yield { line: record.line, value };
  }
}

/** Groups one-row-per-item CSV rows into orders; rows of one order must be consecutive. */
async function* groupOrderRows(rows: AsyncIterable<SourceRecord>): AsyncGenerator<SourceRecord> {
  let current: { line: number; value: Record<string, unknown>; items: Record<string, unknown>[] } | undefined;
  const emit = () => {
    if (!current) return undefined;
    const out: SourceRecord = { line: current.line, value: current.items.length > 0 ? { ...current.value, items: current.items } : current.value };
    current = undefined;
    return out;
  };
  for await (const row of rows) {
    if ('error' in row) {
      yield row;
      continue;
    }
    const orderFields: Record<string, unknown> = {};
    const item: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row.value)) {
      if (k.startsWith(ITEM_PREFIX)) item[k.slice(ITEM_PREFIX.length)] = v;
      else orderFields[k] = v;
    }
    if (current && current.value.id === orderFields.id) {
      if (Object.keys(item).length > 0) current.items.push(item);
      continue;
    }
    const done = emit();
    if (done) yield done;
    current = { line: row.line, value: orderFields, items: Object.keys(item).length > 0 ? [item] : [] };
  }
  const done = emit();
  if (done) yield done;
}

export function readRecords(path: string, format: ImportFormat, kind: string, onBytes?: (n: number) => void): AsyncIterable<SourceRecord> {
  if (format === 'ndjson') return ndjson(path, onBytes);
  const rows = csvObjects(path, onBytes);
  return kind === 'orders' ? groupOrderRows(rows) : rows;
}

export function formatOf(path: string, flag: string | undefined): ImportFormat {
  if (flag === 'ndjson' || flag === 'csv') return flag;
  if (flag !== undefined) throw new Error(`--format must be ndjson or csv, not "${flag}"`);
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(nd)?jsonl?$/i.test(path)) return 'ndjson';
  throw new Error(`cannot tell the format of ${path} from its extension: pass --format ndjson|csv`);
}
