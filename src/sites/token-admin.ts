import type pg from 'pg';
import type { Scope } from './tokens.ts';

/** What an admin sees of a token: never the secret, which is not stored. */
export interface TokenInfo {
  id: string;
  siteId: string;
  scope: Scope;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  /** live = neither revoked nor expired. */
  status: 'live' | 'revoked' | 'expired';
}

const COLUMNS = `id::text AS id, site_id::text AS "siteId", scope, name,
  to_json(created_at) #>> '{}' AS "createdAt", to_json(last_used_at) #>> '{}' AS "lastUsedAt",
  to_json(expires_at) #>> '{}' AS "expiresAt", to_json(revoked_at) #>> '{}' AS "revokedAt",
  CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= now() THEN 'expired' ELSE 'live' END AS status`;

export async function listTokens(db: pg.Pool, siteId: string): Promise<TokenInfo[]> {
  const { rows } = await db.query<TokenInfo>({
    text: `SELECT ${COLUMNS} FROM api_tokens WHERE site_id = $1::bigint ORDER BY id`,
    values: [siteId],
  });
  return rows;
}

/**
 * Revokes a token by id (of `siteId` when given: the API passes the path's site, so an admin of one
 * site cannot revoke another's). Revoking again keeps the first time. Undefined when no such token.
 */
export async function revokeToken(db: pg.Pool | pg.ClientBase, id: string, siteId?: string): Promise<TokenInfo | undefined> {
  const { rows } = await db.query<TokenInfo>({
    text: `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
           WHERE id = $1::bigint AND ($2::bigint IS NULL OR site_id = $2::bigint)
           RETURNING ${COLUMNS}`,
    values: [id, siteId ?? null],
  });
  return rows[0];
}

/** `90d`, `12h`, `30m` → a Date that far from now; undefined when the text is not such a duration. */
export function expiryFrom(text: string, now = Date.now()): Date | undefined {
  const m = /^(\d{1,5})([dhm])$/.exec(text);
  if (!m) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
  const n = Number(m[1]);
  return n > 0 ? new Date(now + n * unit) : undefined;
}
