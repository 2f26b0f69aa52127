import type pg from 'pg';

/**
 * Deadlines for PostgreSQL on the ingest path. A PostgreSQL that stops answering without closing
 * its connections (a failover, a network partition, a frozen host) leaves a query waiting until
 * TCP gives up, which takes minutes; node-postgres' own query_timeout fails the query but leaves
 * its late answer to confuse the connection's next one. Closing the connection is what ends both.
 */

/**
 * Closes a pooled client's connection under it once `signal` aborts: whatever the client is
 * waiting for fails at once with "Connection terminated unexpectedly" (an outage to its callers,
 * `isDatabaseUnavailable`), and the client must be released as broken. Returns the disarm.
 */
export function abandonOnAbort(client: pg.PoolClient, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => undefined;
  const abandon = () => {
    // node-postgres also emits the termination as an 'error' on the client, which a checked-out
    // client has no listener for (the pool listens only while it is idle): it would be thrown.
    client.on('error', () => undefined);
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  };
  if (signal.aborted) abandon();
  else signal.addEventListener('abort', abandon, { once: true });
  return () => signal.removeEventListener('abort', abandon);
}

/** One query on a pooled client that is abandoned (abandonOnAbort) if no answer came within `ms`. */
export async function queryWithin<R extends pg.QueryResultRow>(pool: pg.Pool, query: string | pg.QueryConfig, ms: number): Promise<pg.QueryResult<R>> {
  const client = await pool.connect();
  const disarm = abandonOnAbort(client, AbortSignal.timeout(ms));
  let broken = false;
  try {
    return await client.query<R>(query);
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    disarm();
    client.release(broken);
  }
}
