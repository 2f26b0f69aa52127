import type pg from 'pg';

/**
 * Deadlines for PostgreSQL on the ingest path. A PostgreSQL that stops answering without closing
 * its connections (a failover, a network partition, a frozen host) leaves a query waiting until
 * TCP gives up, which takes minutes; node-postgres' own query_timeout fails the query but leaves
 * its late answer to confuse the connection's next one. Closing the connection is what ends both.
 */

/**
 * A point in time after which one armed action runs (closing a connection). An AbortSignal would
 * do, but AbortSignal.timeout with a listener costs 16 µs per use against 0.5 µs for this timer on
 * Node 20, and the writer makes one per transaction. `clear()` when the work is done.
 */
export class Deadline {
  expired = false;
  private action: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.action?.();
    }, ms);
    this.timer.unref();
  }

  /** Runs `action` when the deadline passes (at once if it has); returns the disarm. */
  arm(action: () => void): () => void {
    if (this.expired) {
      action();
      return () => undefined;
    }
    this.action = action;
    return () => {
      if (this.action === action) this.action = undefined;
    };
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Closes a pooled client's connection under it once `deadline` passes: whatever the client is
 * waiting for fails at once with "Connection terminated unexpectedly" (an outage to its callers,
 * `isDatabaseUnavailable`), and the client must be released as broken. Returns the disarm.
 */
export function abandonAfter(client: pg.PoolClient, deadline: Deadline | undefined): () => void {
  if (!deadline) return () => undefined;
  return deadline.arm(() => {
    // node-postgres also emits the termination as an 'error' on the client, which a checked-out
    // client has no listener for (the pool listens only while it is idle): it would be thrown.
    client.on('error', () => undefined);
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  });
}

/** `work` on a pooled client that is abandoned (abandonAfter) if it has not finished within `ms`. */
export async function withClientWithin<T>(pool: pg.Pool, ms: number, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const deadline = new Deadline(ms);
  const disarm = abandonAfter(client, deadline);
  let broken = false;
  try {
    return await work(client);
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    disarm();
    deadline.clear();
    client.release(broken || deadline.expired);
  }
}

/** One query on a pooled client that is abandoned (abandonAfter) if no answer came within `ms`. */
export function queryWithin<R extends pg.QueryResultRow>(pool: pg.Pool, query: string | pg.QueryConfig, ms: number): Promise<pg.QueryResult<R>> {
  return withClientWithin(pool, ms, (client) => client.query<R>(query));
}
