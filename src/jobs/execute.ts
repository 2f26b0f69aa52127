import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { finishRun, renewLease, startRun } from './runs.ts';
import type { JobDefinition } from './types.ts';

export interface JobRunOutcome {
  job: string;
  runId: number;
  ok: boolean;
  rows: number;
  error?: string;
  ms: number;
  detail?: Record<string, unknown>;
}

export const LEASE_SECONDS = 120;

/**
 * Runs one claimed job and records it in job_runs (start row first, so a crash mid-run leaves a
 * run with no finished_at). The lease is renewed while it runs, so a long rebuild keeps other
 * instances off it. Never throws for a job's own failure: the error is the outcome.
 */
export async function executeJob(
  ctx: { pool: Pool; config: Config; logger: Logger },
  job: JobDefinition,
  instance: string,
  signal: AbortSignal,
): Promise<JobRunOutcome> {
  const started = Date.now();
  const runId = await startRun(ctx.pool, job.name, instance);
  const renew = setInterval(() => {
    renewLease(ctx.pool, job.name, instance, LEASE_SECONDS).catch(() => undefined);
  }, (LEASE_SECONDS * 1000) / 3);
  try {
    const result = await job.run({ ...ctx, signal });
    await finishRun(ctx.pool, runId, { rows: result.rows, detail: result.detail });
    return { job: job.name, runId, ok: true, rows: result.rows, ms: Date.now() - started, detail: result.detail };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.logger.warn({ job: job.name, err: error }, 'job failed');
    await finishRun(ctx.pool, runId, { error: message }).catch(() => undefined);
    return { job: job.name, runId, ok: false, rows: 0, error: message, ms: Date.now() - started };
  } finally {
    clearInterval(renew);
  }
}

/** Retry delay after `failures` consecutive failures: 5 s doubling, capped at 10 min, ±20 % jitter. */
export function backoffSeconds(failures: number): number {
  const base = Math.min(600, 5 * 2 ** Math.max(0, failures - 1));
  return base * (0.8 + Math.random() * 0.4);
}
