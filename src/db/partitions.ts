import type pg from 'pg';

/** Months of partitions kept ready ahead of the current one (contract: at least two). */
export const MONTHS_AHEAD = 3;

/**
 * Makes monthly partitions of every raw table exist for the current month and MONTHS_AHEAD
 * more (tally_ensure_partitions, sql/001); answers how many it checked. The `partitions` job runs
 * it hourly and ingestion once at start-up, so no beacon waits on DDL.
 */
export async function ensurePartitionsAhead(pool: pg.Pool): Promise<number> {
  const r = await pool.query<{ n: number }>({
    text: `SELECT tally_ensure_partitions((now() AT TIME ZONE 'UTC')::date,
                                          ((now() AT TIME ZONE 'UTC') + make_interval(months => $1::int))::date) AS n`,
    values: [MONTHS_AHEAD],
  });
  return r.rows[0]!.n;
}
