import type { AppDeps } from '../http/deps.ts';
import { backoffSeconds, executeJob, LEASE_SECONDS } from './execute.ts';
import { instanceId } from './instance.ts';
import { jobRegistry } from './registry.ts';
import { claimDueJob, ensureJobStates, failureCount, releaseJob } from './runs.ts';
import type { JobDefinition } from './types.ts';

/** Runs the named jobs on their intervals (one instance at a time across processes). */
export interface Scheduler {
  start(): void;
  stop(): Promise<void>;
  readonly instance: string;
}

export interface SchedulerOptions {
  jobs?: JobDefinition[];
  /** How often due jobs are looked for. */
  tickMs?: number;
  /** Jobs this process runs at once (2 cores are shared with ingestion and HTTP). */
  concurrency?: number;
}

/**
 * Coordination lives in PostgreSQL (job_state, sql/030): each tick claims due jobs with
 * SKIP LOCKED and a lease, so with several Tally instances on one database a job runs on exactly
 * one of them at a time. A failure is recorded, retried after exponential backoff, and never
 * stops the other jobs; a database outage only skips ticks. stop() aborts the running jobs'
 * signal (they stop between batches) and waits for them.
 */
export function createScheduler(deps: AppDeps, options: SchedulerOptions = {}): Scheduler {
  const jobs = (options.jobs ?? jobRegistry(deps.config)).filter((j) => j.intervalSeconds > 0);
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const intervals = Object.fromEntries(jobs.map((j) => [j.name, j.intervalSeconds]));
  const instance = instanceId();
  const tickMs = options.tickMs ?? 1000;
  const concurrency = options.concurrency ?? 2;
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;
  let initialised = false;

  async function runClaimed(job: JobDefinition): Promise<void> {
    const outcome = await executeJob(deps, job, instance, controller.signal);
    const failures = outcome.ok ? 0 : (await failureCount(deps.pool, job.name).catch(() => 0)) + 1;
    await releaseJob(deps.pool, job.name, instance, !outcome.ok, backoffSeconds(failures), job.intervalSeconds);
  }

  async function tick(): Promise<void> {
    if (!initialised) {
      await ensureJobStates(deps.pool, jobs.map((j) => j.name));
      initialised = true;
    }
    while (!stopped && running.size < concurrency) {
      const free = jobs.map((j) => j.name).filter((n) => !running.has(n));
      if (free.length === 0) return;
      const name = await claimDueJob(deps.pool, free, instance, intervals, LEASE_SECONDS);
      if (!name) return;
      const job = byName.get(name)!;
      const p = runClaimed(job)
        .catch((error: unknown) => deps.logger.warn({ job: name, err: error }, 'job bookkeeping failed'))
        .finally(() => running.delete(name));
      running.set(name, p);
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'scheduler tick failed'))
        .finally(() => {
          ticking = undefined;
          schedule();
        });
    }, tickMs);
    timer.unref?.();
  }

  return {
    instance,
    start() {
      if (jobs.length === 0) return;
      deps.logger.info({ instance, jobs: jobs.map((j) => j.name) }, 'scheduler started');
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      controller.abort();
      await ticking;
      await Promise.allSettled([...running.values()]);
    },
  };
}
