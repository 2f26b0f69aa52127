import type pg from 'pg';
import { withTransaction } from '../db/pool.ts';

/**
 * The audit log (sql/101): who did what to a site, appended in the same transaction as the action
 * where there is one. Actions are `area.verb` (`token.create`, `token.revoke`,
 * `experiment.update`, `error.status`, …); `actorTokenId` is null for the CLI.
 */
export interface AuditEntry {
  siteId: string;
  actorTokenId: string | null;
  action: string;
  target?: string | null;
  detail?: Record<string, unknown> | null;
}

export function auditSql(e: AuditEntry) {
  return {
    text: `INSERT INTO audit_log (site_id, actor_token_id, action, target, detail)
           VALUES ($1::bigint, $2::bigint, $3::text, $4::text, $5::jsonb)`,
    values: [e.siteId, e.actorTokenId, e.action, e.target ?? null, e.detail ? JSON.stringify(e.detail) : null],
  };
}

export async function recordAudit(db: pg.Pool | pg.ClientBase, e: AuditEntry): Promise<void> {
  await db.query(auditSql(e));
}

export interface AuditRow {
  id: string;
  at: string;
  actorTokenId: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

/** Newest first; `before` (an id) pages back. */
export async function listAudit(db: pg.Pool, siteId: string, options: { limit: number; before?: string }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>({
    text: `SELECT id::text AS id, to_json(at) #>> '{}' AS at, actor_token_id::text AS "actorTokenId", action, target, detail
           FROM audit_log
           WHERE site_id = $1::bigint AND ($2::bigint IS NULL OR id < $2::bigint)
           ORDER BY at DESC, id DESC LIMIT $3::int`,
    values: [siteId, options.before ?? null, options.limit],
  });
  return rows;
}

/**
 * Runs `action` in a transaction and appends the audit entry `entry(result)` names (none when it
 * answers null, e.g. an unknown id) before COMMIT, so an action and its record land together.
 */
export async function withAudit<T>(
  pool: pg.Pool,
  action: (client: pg.PoolClient) => Promise<T>,
  entry: (result: T) => AuditEntry | null,
): Promise<T> {
  return withTransaction(pool, async (client) => {
    const result = await action(client);
    const e = entry(result);
    if (e) await client.query(auditSql(e));
    return result;
  });
}
