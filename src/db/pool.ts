import pg from 'pg';

/**
 * Type parsers for every pool Tally opens: int8 and numeric come back as JS numbers (counts and
 * minor-unit amounts stay far below 2^53), dates as 'YYYY-MM-DD' strings so no time zone is
 * applied to a calendar day. Passed per pool, not set on pg's global registry.
 */
const parsers: Record<number, (value: string) => unknown> = {
  20: Number, // int8
  1700: Number, // numeric
  1082: (value) => value, // date
};

export const tallyTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const parser = parsers[oid];
    if (parser && format !== 'binary') return parser;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /** Fail fast when PostgreSQL is unreachable instead of hanging a request. */
  connectionTimeoutMillis?: number;
  /**
   * Idle connections kept open past the 30 s idle timeout. A new connection costs its connect
   * (25–45 ms) and a backend that has not touched the rollup pages yet: the overview's top-list
   * query took 112 ms on a fresh backend (all shared-buffer hits, ~1,400 minor page faults) and
   * 6–8 ms after (bench data, 2026-11-29), so a dashboard opened after a quiet minute was slow.
   */
  minIdle?: number;
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'tally',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: 30_000,
    min: options.minIdle ?? 0,
    types: tallyTypes,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process; the
  // pool drops it and the next checkout reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
