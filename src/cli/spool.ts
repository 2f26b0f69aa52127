import { listQuarantine, retryQuarantine } from '../ingest/writer/quarantine.ts';
import { parseFlags, UsageError, withDatabase } from './context.ts';
import { loadConfig, spoolDir } from '../config.ts';

const USAGE = 'usage: tally spool list | tally spool retry';

/**
 * `tally spool list`: the events PostgreSQL refused on replay (one JSON line each: when, why, the
 * event's table, id and site), then a count. `tally spool retry`: writes them again (exit 1 while
 * some are still refused). Both read SPOOL_DIR (default TALLY_DATA_DIR/spool) of this machine.
 */
export async function spoolCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { positionals } = parseFlags(rest, {});
  if (positionals.length) throw new UsageError(USAGE);
  if (sub === 'list') {
    const dir = spoolDir(loadConfig());
    const records = await listQuarantine(dir);
    for (const r of records) {
      process.stdout.write(`${JSON.stringify({ rejectedAt: r.rejectedAt, error: r.error, table: r.event.table, eventId: r.event.eventId, siteId: r.event.siteId })}\n`);
    }
    process.stdout.write(`${JSON.stringify({ quarantined: records.length, dir })}\n`);
    return 0;
  }
  if (sub === 'retry') {
    return withDatabase(async (ctx) => {
      const outcome = await retryQuarantine(ctx.pool, spoolDir(ctx.config));
      ctx.out(JSON.stringify(outcome));
      return outcome.stillRejected ? 1 : 0;
    });
  }
  throw new UsageError(USAGE);
}
