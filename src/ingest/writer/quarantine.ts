import { appendFile, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { isDatabaseUnavailable } from '../../http/errors.ts';
import type { PreparedEvent } from '../tables.ts';
import { QUARANTINE_FILE } from './spool.ts';
import { PartitionCache, writeTransaction } from './write.ts';

/**
 * The spool's quarantine: events PostgreSQL refused on replay for what they are (Spool.reject
 * appends them, with the error, to `rejected.ndjson`), so that one poisoned record never wedges the
 * replay of the others. `tally spool list` shows them; `tally spool retry` writes them again once
 * the cause is fixed (a migration, a widened column), deduplicated by event id like every write.
 */
/** A retry first renames the file to this prefix, so a running server's new rejects go to a fresh file. */
const RETRYING_PREFIX = 'rejected.retrying-';

export interface QuarantinedEvent {
  rejectedAt: string;
  error: string;
  event: PreparedEvent;
}

/** The files that hold quarantined events: the live one and any retry interrupted midway. */
async function quarantineFiles(spoolDir: string): Promise<string[]> {
  const names = await readdir(spoolDir).catch(() => [] as string[]);
  return names.filter((n) => n === QUARANTINE_FILE || (n.startsWith(RETRYING_PREFIX) && n.endsWith('.ndjson'))).sort().map((n) => join(spoolDir, n));
}

async function readRecords(path: string): Promise<QuarantinedEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  // A torn last line (a crash mid-append) is not a record: appendFile with flush wrote every whole one.
  return text.split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as QuarantinedEvent];
    } catch {
      return [];
    }
  });
}

export async function listQuarantine(spoolDir: string): Promise<QuarantinedEvent[]> {
  const all: QuarantinedEvent[] = [];
  for (const file of await quarantineFiles(spoolDir)) all.push(...(await readRecords(file)));
  return all;
}

export interface RetryOutcome {
  retried: number;
  /** Written now, or already stored (a duplicate id): out of quarantine either way. */
  stored: number;
  /** Refused again: back in rejected.ndjson with the new reason. */
  stillRejected: number;
}

/**
 * Writes every quarantined event again, each in its own transaction (an operator's action over a
 * handful of records, not a hot path: one refused event must not take the others down with it).
 * PostgreSQL unreachable → throws, and the records stay where they are (the renamed file is picked
 * up by the next list or retry).
 */
export async function retryQuarantine(pool: pg.Pool, spoolDir: string): Promise<RetryOutcome> {
  const files: string[] = [];
  for (const file of await quarantineFiles(spoolDir)) {
    if (!file.endsWith(QUARANTINE_FILE)) files.push(file);
    else {
      const moved = join(spoolDir, `${RETRYING_PREFIX}${Date.now()}.ndjson`);
      await rename(file, moved);
      files.push(moved);
    }
  }
  const partitions = new PartitionCache();
  const outcome: RetryOutcome = { retried: 0, stored: 0, stillRejected: 0 };
  for (const file of files) {
    for (const record of await readRecords(file)) {
      outcome.retried += 1;
      try {
        await writeTransaction(pool, partitions, [record.event]);
        outcome.stored += 1;
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw error;
        outcome.stillRejected += 1;
        const again: QuarantinedEvent = { rejectedAt: new Date().toISOString(), error: String((error as Error)?.message ?? error), event: record.event };
        await appendFile(join(spoolDir, QUARANTINE_FILE), `${JSON.stringify(again)}\n`, { flush: true });
      }
    }
    await unlink(file);
  }
  return outcome;
}
