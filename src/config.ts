import { z } from 'zod';

/**
 * Every setting Tally reads from the environment, validated once at start-up. A bad value stops
 * the process with a message naming the variable and what it accepts (see `loadConfig`).
 */
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  PORT: int(0, 65535).default(8787),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  TALLY_DATA_DIR: z.string().min(1).default('./.tally'),
  /** Port of the embedded PostgreSQL (only without DATABASE_URL); 0 picks a free one. */
  TALLY_PG_PORT: int(0, 65535).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Take the client IP from X-Forwarded-For (only behind a proxy you control). */
  TRUST_PROXY: bool.default(false),
  PG_POOL_MAX: int(2, 200).default(10),
  /** Rows per COPY batch, at most. */
  BATCH_MAX_ROWS: int(1, 100_000).default(5000),
  /** How long a batch may wait for more rows before it is written. */
  BATCH_LINGER_MS: int(0, 1000).default(5),
  /** Accepted-but-not-yet-durable rows across all tables; past it /collect answers 503. */
  MAX_INFLIGHT_ROWS: int(100, 10_000_000).default(100_000),
  /** Concurrent write transactions of the ingest writer, at most (group commit batches in flight; the second starts only under a backlog). */
  INGEST_WRITERS: int(1, 32).default(2),
  /**
   * A write transaction still unanswered after this long is abandoned: its connection is closed,
   * its events are fsynced to the spool and acknowledged, and the replay stores them once (their
   * ids are idempotency keys, so one that did commit is skipped). Bounds a request's wait when
   * PostgreSQL stops answering without closing connections (a failover, a network partition).
   * /collect's site-key lookup has the same deadline (then known keys keep their last answer).
   */
  WRITE_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /** Run the writer (batching, PostgreSQL, spool) on a worker thread of its own (docs/benchmarks.md). */
  INGEST_WRITER_THREAD: bool.default(true),
  /** Where events are fsynced while PostgreSQL is unreachable (default TALLY_DATA_DIR/spool). */
  SPOOL_DIR: z.string().min(1).optional(),
  /** Run the scheduled jobs inside this process. */
  JOBS_ENABLED: bool.default(true),
  /** A beacon or order shows in reports within this many seconds. */
  FRESHNESS_SECONDS: int(1, 3600).default(60),
  /** Partitions older than this are dropped by the retention job (a site may keep less). */
  RETENTION_MONTHS: int(1, 1200).default(25),
  /** Per-IP limit on /collect requests per minute; 0 disables it. */
  RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(6000),
  /** Report reads under row-level security (src/db/rls.ts); off only to measure it (docs/benchmarks.md). */
  TALLY_RLS: bool.default(true),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses `env` (default process.env); throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = configSchema.safeParse(picked);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '?');
    return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

export function spoolDir(config: Config): string {
  return config.SPOOL_DIR ?? `${config.TALLY_DATA_DIR}/spool`;
}
