import type pg from 'pg';
import { withTransaction } from '../../db/pool.ts';

/**
 * Runs one report query with parallel plans off (SET LOCAL in its own transaction, so the pooled
 * connection keeps its settings for the ingest path and the jobs that share the pool).
 *
 * Why: a report reads thousands of rollup rows, and when the statistics tip the planner to a
 * parallel plan every execution forks workers that start cold (new processes touching the
 * shared buffers for the first time). The overview's 90-day top-list query (a Parallel Append
 * of its month and day parts, which table-level parallel_workers = 0 does not prevent) took a
 * median 47–64 ms with that plan and 12 ms without, on one warm connection; which plan won
 * depended on when ANALYZE had last run (90-day overview p50 22 → 60 ms after a VACUUM ANALYZE;
 * p95 26–109 ms across full-size bench runs of the same code). Tally demo --scale data, 10M raw
 * rows, 2026-11-29.
 */
export function querySerial<R extends pg.QueryResultRow>(pool: pg.Pool, query: { text: string; values: unknown[] }): Promise<pg.QueryResult<R>> {
  return withTransaction(pool, async (client) => {
    await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
    return client.query<R>(query);
  });
}
