import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { executeJob, LEASE_SECONDS, type JobRunOutcome } from './execute.ts';
import { instanceId } from './instance.ts';
import { jobRegistry } from './registry.ts';
import { claimJobNow, ensureJobStates, releaseJob } from './runs.ts';
import type { JobDefinition } from './types.ts';

export class UnknownJobError extends Error {}

/**
 * Runs jobs now (`tally jobs run NAME|all`, the demo, tests), recorded like scheduled runs.
 * 'all' = every scheduled job (interval > 0) in registry order. A job another instance is
 * running is waited for (up to its lease), then run, so "run now" always means a fresh run.
 */
export async function runJobsNow(
  ctx: { pool: Pool; config: Config; logger: Logger },
  name: string | 'all',
  options: { signal?: AbortSignal; registry?: JobDefinition[] } = {},
): Promise<JobRunOutcome[]> {
  const registry = options.registry ?? jobRegistry(ctx.config);
  const jobs = name === 'all' ? registry.filter((j) => j.intervalSeconds > 0) : registry.filter((j) => j.name === name);
  if (jobs.length === 0) {
    throw new UnknownJobError(`unknown job ${name}; jobs: ${registry.map((j) => j.name).join(', ')}`);
  }
  const instance = instanceId();
  const signal = options.signal ?? new AbortController().signal;
  await ensureJobStates(ctx.pool, jobs.map((j) => j.name));
  const outcomes: JobRunOutcome[] = [];
  for (const job of jobs) {
    const deadline = Date.now() + LEASE_SECONDS * 1000;
    while (!(await claimJobNow(ctx.pool, job.name, instance, LEASE_SECONDS))) {
      if (Date.now() > deadline) throw new Error(`job ${job.name} is held by another instance`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const outcome = await executeJob(ctx, job, instance, signal);
    await releaseJob(ctx.pool, job.name, instance, !outcome.ok, 5, job.intervalSeconds);
    outcomes.push(outcome);
  }
  return outcomes;
}
