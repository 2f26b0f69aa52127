import type pg from 'pg';

/**
 * The highest ingest sequence number below which every row of `tables` is committed.
 *
 * A writer takes its rows' numbers (nextval default) while it holds ROW EXCLUSIVE on
 * `pageviews`, and may commit long after a higher-numbered writer. Reading max(ingest_seq) of the
 * visible rows would skip such a row for ever once the watermark passed it. Instead (Citus's
 * incremental-rollup method) we take `LOCK pageviews IN EXCLUSIVE MODE`, which waits until every
 * writer that is inside a transaction touching pageviews has committed or rolled back and keeps
 * new ones out for the instant we hold it, then read the sequence position: every number at or
 * below it belongs to a finished transaction. Readers (SELECT) are not blocked by EXCLUSIVE.
 * Requires the sequence to have no per-session cache (sql/030 sets CACHE 1).
 *
 * lock_timeout bounds how long ingestion can queue behind us: if a writer transaction stays open
 * longer, this throws (55P03) and the scheduler retries the job with backoff; nothing is skipped.
 */
export async function safeUpperBound(pool: pg.Pool, lockTimeoutMs = 5000, tables: readonly string[] = ['pageviews']): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    await client.query(`LOCK TABLE ${tables.map((t) => client.escapeIdentifier(t)).join(', ')} IN EXCLUSIVE MODE`);
    const { rows } = await client.query<{ hi: number }>(
      `SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS "hi" FROM tally_ingest_seq`,
    );
    await client.query('COMMIT');
    return rows[0]!.hi;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
