import { runJobsNow, UnknownJobError } from '../jobs/run.ts';
import { jobRegistry } from '../jobs/registry.ts';
import { listJobRuns } from '../jobs/runs.ts';
import { loadConfig } from '../config.ts';
import { parseFlags, UsageError, withDatabase } from './context.ts';

const USAGE = 'usage: tally jobs run <name>|all | tally jobs list [--job NAME] [--limit N]';

/** `tally jobs run NAME|all` (exit 1 if a job failed) and `tally jobs list` (runs as JSON lines). */
export async function jobsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'run') {
    const { positionals } = parseFlags(rest, {});
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError(USAGE);
    const known = jobRegistry(loadConfig()).map((j) => j.name);
    if (name !== 'all' && !known.includes(name)) throw new UsageError(`unknown job ${name}; jobs: ${known.join(', ')}`);
    return withDatabase(async (ctx) => {
      try {
        const outcomes = await runJobsNow(ctx, name);
        for (const o of outcomes) ctx.out(JSON.stringify(o));
        return outcomes.every((o) => o.ok) ? 0 : 1;
      } catch (error) {
        if (error instanceof UnknownJobError) throw new UsageError(error.message);
        throw error;
      }
    });
  }
  if (sub === 'list') {
    const { values } = parseFlags(rest, { job: { type: 'string' }, limit: { type: 'string' } });
    const limit = values.limit ? Number(values.limit) : 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be an integer 1..1000');
    return withDatabase(async (ctx) => {
      const registry = jobRegistry(ctx.config);
      const { jobs, runs } = await listJobRuns(ctx.pool, { job: values.job, limit });
      for (const j of registry) {
        const state = jobs.find((s) => (s as { name: string }).name === j.name) ?? {};
        ctx.out(JSON.stringify({ job: j.name, intervalSeconds: j.intervalSeconds, description: j.description, ...state }));
      }
      for (const r of runs) ctx.out(JSON.stringify(r));
      return 0;
    });
  }
  throw new UsageError(USAGE);
}
