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

export function createTokenSql(siteId: string, scope: Scope, tokenHash: Buffer, name: string | null) {
  return {
    text: `INSERT INTO api_tokens (site_id, token_hash, scope, name)
           VALUES ($1::bigint, $2::bytea, $3::text, $4::text) RETURNING id`,
    values: [siteId, tokenHash, scope, name],
  };
}

/** Creates a token for a site; returns the token (the only time it exists in clear). */
export async function createToken(db: pg.Pool | pg.ClientBase, siteId: string, scope: Scope, name: string | null = null) {
  const token = generateToken(siteId);
  await db.query(createTokenSql(siteId, scope, hashToken(token), name));
  return token;
}

export interface TokenRow {
  siteId: string;
  scope: Scope;
}

/** The live token's site and scope, or undefined when unknown or revoked. */
export async function findToken(db: pg.Pool | pg.ClientBase, token: string): Promise<TokenRow | undefined> {
  const parsed = parseToken(token);
  if (!parsed) return undefined;
  const { rows } = await db.query<{ siteId: string; scope: Scope; tokenHash: Buffer }>({
    text: `SELECT site_id::text AS "siteId", scope, token_hash AS "tokenHash" FROM api_tokens
           WHERE site_id = $1::bigint AND token_hash = $2::bytea AND revoked_at IS NULL`,
    values: [parsed.siteId, parsed.hash],
  });
  const row = rows[0];
  // The index lookup already matched the hash; compare again in constant time for good measure.
  if (!row || !timingSafeEqual(row.tokenHash, parsed.hash)) return undefined;
  return { siteId: row.siteId, scope: row.scope };
}

/** Whether a token's scope grants `needed`: admin grants everything. */
export function grants(scope: Scope, needed: Scope): boolean {
  return scope === 'admin' || scope === needed;
}
