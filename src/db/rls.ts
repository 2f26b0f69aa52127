import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

/**
 * Row-level security for report and API reads (issue #21 point 3; policies in
 * sql/150_row_level_security.sql).
 *
 * - `runWithSite(siteId, fn)`: runs `fn` (a request handler) with the site its token was checked
 *   for; `siteReadScope` in src/reports/common/params.ts calls it after authentication.
 * - `siteScopedPool(pool, {enabled})`: a `pg.Pool` (a Proxy over `pool`) whose `query` and
 *   `connect` run as the NOLOGIN role `tally_report_reader` with `tally.site_id` set whenever they
 *   are called inside `runWithSite`; outside it (writes, auth, jobs) they are `pool`'s own. So
 *   report code keeps taking a pool and knows nothing of RLS, and a route mounted by
 *   src/reports/routes.ts behind `siteReadScope` is covered without a line of its own.
 *   - `query`: one short transaction, `BEGIN; SET LOCAL ROLE …; SET LOCAL tally.site_id = …` in
 *     one simple-protocol round trip, the query, `COMMIT`: two round trips more than a bare
 *     `pool.query` (docs/benchmarks.md "Row-level security" measures what that costs).
 *     `Promise.all` over several queries still runs them on parallel connections.
 *   - `connect`: the client is checked out inside one scoped transaction (same first round
 *     trip), committed when it is released; the caller's own `BEGIN`/`COMMIT`/`ROLLBACK`
 *     (querySerial, the CSV cursors) become a savepoint inside it, so nothing the caller does
 *     ends the scope, and no role is ever set for a session: safe behind PgBouncer in
 *     transaction mode, and a client that cannot commit is destroyed, never pooled mid-scope.
 * - `rowLevelSecurityState(db)`: whether the role exists, this user may SET ROLE to it and the
 *   policies are in place (on a managed PostgreSQL the migration may have skipped them).
 *
 * What it protects against: a report query that forgot its `site_id` filter. Not against SQL
 * injection (an injected `RESET ROLE` would undo it): parameters are what prevent that.
 */
export const READER_ROLE = 'tally_report_reader';

const currentSite = new AsyncLocalStorage<string>();

/** Site ids are bigint serials; anything else is a bug, not a value to inline into SQL. */
const SITE_ID = /^[1-9][0-9]{0,18}$/;

function siteLiteral(siteId: string): string {
  if (!SITE_ID.test(siteId)) throw new Error(`row-level security: not a site id: ${JSON.stringify(siteId)}`);
  return `'${siteId}'`;
}

/** The statements that scope one transaction (`local`) or one session to a site. */
export function scopeStatements(siteId: string, local: boolean): string {
  const set = local ? 'SET LOCAL' : 'SET';
  return `${set} ROLE ${READER_ROLE}; ${set} tally.site_id = ${siteLiteral(siteId)}`;
}

export function runWithSite<T>(siteId: string, fn: () => Promise<T>): Promise<T> {
  siteLiteral(siteId);
  return currentSite.run(siteId, fn);
}

/** The site of the current request, if it runs inside `runWithSite`. */
export function currentSiteId(): string | undefined {
  return currentSite.getStore();
}

export interface RowLevelSecurityState {
  on: boolean;
  /** Why it is off, for the log and /readyz readers. */
  reason?: string;
}

export async function rowLevelSecurityState(db: pg.Pool | pg.ClientBase): Promise<RowLevelSecurityState> {
  const { rows } = await db.query<{ role: boolean; member: boolean; policies: number }>({
    text: `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1::text) AS "role",
        EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1::text) AND pg_has_role(current_user, $1::text, 'SET') AS "member",
        (SELECT count(*) FROM pg_policies WHERE schemaname = current_schema() AND $1::text = ANY (roles))::int AS "policies"`,
    values: [READER_ROLE],
  });
  const row = rows[0]!;
  if (!row.role) return { on: false, reason: `role ${READER_ROLE} does not exist (the migration could not create it)` };
  if (!row.member) return { on: false, reason: `this database user may not SET ROLE ${READER_ROLE}` };
  if (row.policies === 0) return { on: false, reason: 'no row-level security policies in this schema' };
  return { on: true };
}

type QueryInput = string | pg.QueryConfig;

/** A caller's transaction statements inside a scoped `connect`, as savepoint statements. */
const NESTED: Record<string, string> = {
  BEGIN: 'SAVEPOINT tally_caller',
  COMMIT: 'RELEASE SAVEPOINT tally_caller',
  ROLLBACK: 'ROLLBACK TO SAVEPOINT tally_caller',
};

export interface SiteScopedPoolOptions {
  /** TALLY_RLS (src/config.ts); off → `pool` itself is returned. */
  enabled: boolean;
  /** Told once when RLS is wanted but the database does not have it. */
  onUnavailable?: (reason: string) => void;
}

export function siteScopedPool(pool: pg.Pool, options: SiteScopedPoolOptions): pg.Pool {
  if (!options.enabled) return pool;
  let state: Promise<boolean> | undefined;
  const available = (): Promise<boolean> =>
    (state ??= rowLevelSecurityState(pool).then(
      (s) => {
        if (!s.on) options.onUnavailable?.(s.reason ?? 'off');
        return s.on;
      },
      (error: unknown) => {
        state = undefined; // PostgreSQL away: ask again next time rather than remember "off"
        throw error;
      },
    ));

  async function query(input: QueryInput, values?: unknown[]): Promise<pg.QueryResult> {
    const siteId = currentSite.getStore();
    if (siteId === undefined || !(await available())) return pool.query(input, values);
    const client = await pool.connect();
    try {
      await client.query(`BEGIN; ${scopeStatements(siteId, true)}`);
      const result = await client.query(input, values);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        () => client.release(true),
      );
      throw error;
    }
  }

  async function connect(): Promise<pg.PoolClient> {
    const siteId = currentSite.getStore();
    if (siteId === undefined || !(await available())) return pool.connect();
    const client = await pool.connect();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    try {
      await query(`BEGIN; ${scopeStatements(siteId, true)}`);
    } catch (error) {
      client.release(true);
      throw error;
    }
    // The caller's own transaction becomes a savepoint inside the scoped one, so its COMMIT
    // cannot end the scope (and a pooler in transaction mode never sees a session-level role).
    const nested = (...args: unknown[]) => {
      const replaced = typeof args[0] === 'string' ? NESTED[args[0].trim().toUpperCase()] : undefined;
      return replaced ? query(replaced, ...args.slice(1)) : query(...args);
    };
    Object.defineProperty(client, 'query', { value: nested, configurable: true, writable: true });
    const release = client.release; // pg-pool assigns a fresh one at every checkout
    client.release = (destroy?: Error | boolean) => {
      Reflect.deleteProperty(client, 'query'); // the prototype's again, for the next checkout
      if (destroy) return release(destroy);
      query('COMMIT').then(
        () => release(),
        () => release(true),
      );
    };
    return client;
  }

  return new Proxy(pool, {
    get(target, property) {
      if (property === 'query') return query;
      if (property === 'connect') return connect;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
