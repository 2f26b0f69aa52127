import type pg from 'pg';

/** The job_runs log and job_state claims (sql/030). One module per database operation group. */

export interface JobRun {
  id: number;
  job: string;
  instance: string;
  startedAt: Date;
  finishedAt: Date | null;
  rows: number | null;
  error: string | null;
  detail: Record<string, unknown> | null;
}

export async function ensureJobStates(db: pg.Pool, names: string[]): Promise<void> {
  await db.query({
    text: `INSERT INTO job_state (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`,
    values: [names],
  });
}

/**
 * Claims one due job among `names` for `instance`: SKIP LOCKED makes concurrent instances pick
 * different rows, and the committed lease (lease_until) keeps every other instance off it until
 * the run ends or the lease lapses (a crashed instance). next_run_at moves forward at once, so
 * the instances do not run a job right after each other.
 */
export async function claimDueJob(db: pg.Pool, names: string[], instance: string, intervals: Record<string, number>, leaseSeconds: number): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>({
    text: `UPDATE job_state j SET running_instance = $2::text, lease_until = now() + make_interval(secs => $3::int),
        next_run_at = now() + make_interval(secs => (($4::jsonb) ->> j.name)::int), updated_at = now()
      WHERE j.name = (
        SELECT name FROM job_state
        WHERE name = ANY($1::text[]) AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())
        ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING j.name`,
    values: [names, instance, leaseSeconds, JSON.stringify(intervals)],
  });
  return rows[0]?.name;
}

/** Claims `name` now whatever its schedule (tally jobs run), unless another instance runs it. */
export async function claimJobNow(db: pg.Pool, name: string, instance: string, leaseSeconds: number): Promise<boolean> {
  await ensureJobStates(db, [name]);
  const { rowCount } = await db.query({
    text: `UPDATE job_state SET running_instance = $2::text, lease_until = now() + make_interval(secs => $3::int), updated_at = now()
      WHERE name = $1::text AND (lease_until IS NULL OR lease_until < now() OR running_instance = $2::text)`,
    values: [name, instance, leaseSeconds],
  });
  return rowCount === 1;
}

export async function renewLease(db: pg.Pool, name: string, instance: string, leaseSeconds: number): Promise<void> {
  await db.query({
    text: `UPDATE job_state SET lease_until = now() + make_interval(secs => $3::int) WHERE name = $1::text AND running_instance = $2::text`,
    values: [name, instance, leaseSeconds],
  });
}

/** Ends a claim: success resets the failure count; failure schedules a retry after `retrySeconds`. */
export async function releaseJob(db: pg.Pool, name: string, instance: string, failed: boolean, retrySeconds: number, intervalSeconds: number): Promise<void> {
  await db.query({
    text: `UPDATE job_state SET running_instance = NULL, lease_until = NULL, updated_at = now(),
        consecutive_failures = CASE WHEN $3::boolean THEN consecutive_failures + 1 ELSE 0 END,
        next_run_at = CASE WHEN $3::boolean THEN now() + make_interval(secs => $4::double precision)
                           WHEN $5::int > 0 THEN least(next_run_at, now() + make_interval(secs => $5::int))
                           ELSE next_run_at END
      WHERE name = $1::text AND running_instance = $2::text`,
    values: [name, instance, failed, retrySeconds, intervalSeconds],
  });
}

export async function failureCount(db: pg.Pool, name: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>({ text: `SELECT consecutive_failures AS "n" FROM job_state WHERE name = $1::text`, values: [name] });
  return rows[0]?.n ?? 0;
}

export async function startRun(db: pg.Pool, job: string, instance: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>({
    text: `INSERT INTO job_runs (job, instance) VALUES ($1::text, $2::text) RETURNING id`,
    values: [job, instance],
  });
  return rows[0]!.id;
}

export async function finishRun(db: pg.Pool, id: number, outcome: { rows?: number; error?: string; detail?: Record<string, unknown> }): Promise<void> {
  await db.query({
    text: `UPDATE job_runs SET finished_at = clock_timestamp(), rows = $2::bigint, error = $3::text, detail = $4::jsonb WHERE id = $1::bigint`,
    values: [id, outcome.rows ?? null, outcome.error ?? null, outcome.detail ? JSON.stringify(outcome.detail) : null],
  });
}

export async function listJobRuns(db: pg.Pool, query: { job?: string; limit: number }) {
  const [jobs, runs] = await Promise.all([
    db.query({
      text: `SELECT name, next_run_at AS "nextRunAt", running_instance AS "runningInstance", lease_until AS "leaseUntil",
          consecutive_failures AS "consecutiveFailures" FROM job_state ORDER BY name`,
    }),
    db.query<JobRun>({
      text: `SELECT id, job, instance, started_at AS "startedAt", finished_at AS "finishedAt", rows, error, detail
        FROM job_runs WHERE ($1::text IS NULL OR job = $1::text) ORDER BY started_at DESC, id DESC LIMIT $2::int`,
      values: [query.job ?? null, query.limit],
    }),
  ]);
  return { jobs: jobs.rows, runs: runs.rows };
}
