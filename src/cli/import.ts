import { statSync } from 'node:fs';
import { getSite } from '../sites/sites.ts';
import { loadEvents } from '../commerce/import/events.ts';
import { loadCommerce, type Rejection } from '../commerce/import/loader.ts';
import { createProgress } from '../commerce/import/progress.ts';
import { formatOf, readRecords } from '../commerce/import/records.ts';
import { COMMERCE_KINDS, type CommerceKind } from '../commerce/schemas.ts';
import { parseFlags, required, UsageError, withDatabase } from './context.ts';

const KINDS = [...COMMERCE_KINDS, 'events'] as const;
/** Rejected rows printed one by one; past this only counted (the summary has the total). */
const MAX_LISTED_REJECTIONS = 1000;

/**
 * `tally import <orders|customers|products|refunds|events> FILE --site ID [--format ndjson|csv]
 * [--chunk 5000]`: streams the file, reports each bad row (line and reason) on stderr, loads the
 * rest, prints a JSON summary on stdout; exit code 0 only if every row was loaded.
 */
export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    site: { type: 'string' },
    format: { type: 'string' },
    chunk: { type: 'string' },
  });
  const [kind, file] = positionals;
  if (!kind || !(KINDS as readonly string[]).includes(kind)) throw new UsageError(`first argument must be one of ${KINDS.join(', ')}`);
  if (!file) throw new UsageError('a file to import is required');
  const siteId = required(values.site, '--site');
  let format;
  try {
    format = formatOf(file, values.format);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const chunkSize = values.chunk ? Number(values.chunk) : 5000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 100_000) throw new UsageError('--chunk must be an integer 1–100000');

  return withDatabase(async ({ pool, out, err }) => {
    if (!(await getSite(pool, siteId))) throw new UsageError(`site ${siteId} not found`);
    const progress = createProgress(`import ${kind}`, size);
    let listed = 0;
    const onRejected = (r: Rejection) => {
      if (listed++ < MAX_LISTED_REJECTIONS) {
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        err(`line ${r.line}: ${r.error}`);
      }
    };
    const records = readRecords(file, format, kind, (n) => progress.bytes(n));
    const started = performance.now();
    const onProgress = (s: { loaded: number; rejected: number; rows: number }) => progress.rows(s.loaded, s.rejected, s.rows);
    const stats =
      kind === 'events'
        ? await loadEvents(pool, siteId, records, { chunkSize, onRejected, onProgress })
        : await loadCommerce(pool, siteId, kind as CommerceKind, records, { chunkSize, onRejected, onProgress });
    progress.done();
    const seconds = (performance.now() - started) / 1000;
    if (listed > MAX_LISTED_REJECTIONS) err(`… and ${listed - MAX_LISTED_REJECTIONS} more rejected rows`);
    const summary = { kind, file, ...stats, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(stats.loaded / Math.max(seconds, 1e-3)) };
    err(`${stats.rejected === 0 ? 'done' : 'done with errors'}: ${stats.loaded} of ${stats.rows} ${kind} loaded, ${stats.rejected} rejected, in ${seconds.toFixed(1)} s`);
    out(JSON.stringify(summary));
    return stats.rejected === 0 ? 0 : 1;
  });
}
