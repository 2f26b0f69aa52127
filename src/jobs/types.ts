import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';

/** What a job is handed; jobs take the pool as a parameter like all query code. */
export interface JobContext {
  pool: Pool;
  config: Config;
  logger: Logger;
  /** Aborted when the process is shutting down; long jobs stop between batches. */
  signal: AbortSignal;
}

export interface JobResult {
  /** Rows processed/changed, recorded with the run. */
  rows: number;
  detail?: Record<string, unknown>;
}

/**
 * A named scheduled job. The scheduler runs each on its interval, on one instance at a time
 * across all Tally processes, records every run, and retries failures with backoff.
 */
export interface JobDefinition {
  name: string;
  description: string;
  intervalSeconds: number;
  run(ctx: JobContext): Promise<JobResult>;
}
