import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';

/**
 * API tokens look like `tly_<siteId>_<32 random bytes, base64url>`. The site id in clear lets a
 * request find the token row by (site_id, sha256) — a key that includes site_id, as every key
 * must — and only the hash is stored. Scopes: `read` (reports), `write` (commerce pushes),
 * `admin` (everything for its site).
 */
export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

export interface ParsedToken {
  siteId: string;
  hash: Buffer;
}

const TOKEN_RE = /^tly_(\d{1,18})_([A-Za-z0-9_-]{43})$/;

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function parseToken(token: string): ParsedToken | undefined {
  const match = TOKEN_RE.exec(token);
  if (!match) return undefined;
  return { siteId: match[1]!, hash: hashToken(token) };
}

export function generateToken(siteId: string | number): string {
  return `tly_${siteId}_${randomBytes(32).toString('base64url')}`;
}

export function createTokenSql(siteId: string, scope: Scope, tokenHash: Buffer, name: string | null, expiresAt: Date | null = null) {
  // expires_at (sql/100) only when set: createSite also runs on databases migrated to an older
  // version (the migration tests build one), where the column does not exist yet.
  if (!expiresAt) {
    return {
      text: `INSERT INTO api_tokens (site_id, token_hash, scope, name)
             VALUES ($1::bigint, $2::bytea, $3::text, $4::text) RETURNING id::text AS id`,
      values: [siteId, tokenHash, scope, name],
    };
  }
  return {
    text: `INSERT INTO api_tokens (site_id, token_hash, scope, name, expires_at)
           VALUES ($1::bigint, $2::bytea, $3::text, $4::text, $5::timestamptz) RETURNING id::text AS id`,
    values: [siteId, tokenHash, scope, name, expiresAt],
  };
}

/** Creates a token for a site; returns the token (the only time it exists in clear). */
export async function createToken(db: pg.Pool | pg.ClientBase, siteId: string, scope: Scope, name: string | null = null, expiresAt: Date | null = null) {
  return (await createTokenWithId(db, siteId, scope, name, expiresAt)).token;
}

export async function createTokenWithId(db: pg.Pool | pg.ClientBase, siteId: string, scope: Scope, name: string | null = null, expiresAt: Date | null = null) {
  const token = generateToken(siteId);
  const { rows } = await db.query<{ id: string }>(createTokenSql(siteId, scope, hashToken(token), name, expiresAt));
  return { id: rows[0]!.id, token };
}

export interface TokenRow {
  id: string;
  siteId: string;
  scope: Scope;
}

/** last_used_at is written at most this often per token: a read stays a read on busy tokens. */
export const LAST_USED_EVERY_SECONDS = 60;

/**
 * The live token's site and scope, or undefined when unknown, revoked or expired. Looked up in
 * PostgreSQL on every request (no per-process cache), so a revocation holds on every instance at
 * once. The lookup also says whether last_used_at is a minute old; only then is it written.
 */
export async function findToken(db: pg.Pool | pg.ClientBase, token: string): Promise<TokenRow | undefined> {
  const parsed = parseToken(token);
  if (!parsed) return undefined;
  const { rows } = await db.query<{ id: string; siteId: string; scope: Scope; tokenHash: Buffer; stale: boolean }>({
    text: `SELECT id::text AS id, site_id::text AS "siteId", scope, token_hash AS "tokenHash",
                  (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $3::int)) AS stale
           FROM api_tokens
           WHERE site_id = $1::bigint AND token_hash = $2::bytea AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > now())`,
    values: [parsed.siteId, parsed.hash, LAST_USED_EVERY_SECONDS],
  });
  const row = rows[0];
  // The index lookup already matched the hash; compare again in constant time for good measure.
  if (!row || !timingSafeEqual(row.tokenHash, parsed.hash)) return undefined;
  if (row.stale) {
    await db.query({
      text: `UPDATE api_tokens SET last_used_at = now()
             WHERE site_id = $1::bigint AND id = $2::bigint
               AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $3::int))`,
      values: [row.siteId, row.id, LAST_USED_EVERY_SECONDS],
    });
  }
  return { id: row.id, siteId: row.siteId, scope: row.scope };
}

/** Whether a token's scope grants `needed`: admin grants everything. */
export function grants(scope: Scope, needed: Scope): boolean {
  return scope === 'admin' || scope === needed;
}
