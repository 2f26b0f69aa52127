import type pg from 'pg';
import { generateToken, hashToken } from '../sites/tokens.ts';

/**
 * Share links: a read-only way into one site's dashboard without signing in. A link is an API
 * token (src/sites/tokens.ts) of kind `share_link` (sql/130) — read scope, enforced by a CHECK —
 * carried in the dashboard URL's fragment: `<origin>/dashboard#share=<token>`. The fragment never
 * reaches a server or a Referer; the page moves the token to sessionStorage and removes it from
 * the address bar at once. Revoking is revoking the token (401 from its next request, on every
 * instance, since tokens are never cached); only the hash is stored, so a lost link cannot be
 * shown again — create a new one.
 */
export interface ShareLink {
  id: string;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  /** live = neither revoked nor expired. */
  status: 'live' | 'revoked' | 'expired';
}

export interface CreatedShareLink extends ShareLink {
  /** The link's token: shown in this answer only. */
  token: string;
}

const COLUMNS = `id::text AS id, name,
  to_json(created_at) #>> '{}' AS created_at, to_json(last_used_at) #>> '{}' AS last_used_at,
  to_json(expires_at) #>> '{}' AS expires_at, to_json(revoked_at) #>> '{}' AS revoked_at,
  CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= now() THEN 'expired' ELSE 'live' END AS status`;

export function createShareLinkSql(siteId: string, tokenHash: Buffer, name: string | null, expiresAt: Date | null) {
  return {
    text: `INSERT INTO api_tokens (site_id, token_hash, scope, kind, name, expires_at)
           VALUES ($1::bigint, $2::bytea, 'read', 'share_link', $3::text, $4::timestamptz)
           RETURNING ${COLUMNS}`,
    values: [siteId, tokenHash, name, expiresAt],
  };
}

export async function createShareLink(db: pg.Pool | pg.ClientBase, siteId: string, name: string | null, expiresAt: Date | null): Promise<CreatedShareLink> {
  const token = generateToken(siteId);
  const { rows } = await db.query<ShareLink>(createShareLinkSql(siteId, hashToken(token), name, expiresAt));
  return { ...rows[0]!, token };
}

/** The site's share links, newest first, revoked and expired ones included (never their tokens). */
export async function listShareLinks(db: pg.Pool | pg.ClientBase, siteId: string): Promise<ShareLink[]> {
  const { rows } = await db.query<ShareLink>({
    text: `SELECT ${COLUMNS} FROM api_tokens WHERE site_id = $1::bigint AND kind = 'share_link' ORDER BY id DESC`,
    values: [siteId],
  });
  return rows;
}

/**
 * Revokes the share link `id` of `siteId` (an API token of the same id is not a share link: left
 * alone). Revoking again keeps the first time. Undefined when there is no such link.
 */
export async function revokeShareLink(db: pg.Pool | pg.ClientBase, siteId: string, id: string): Promise<ShareLink | undefined> {
  const { rows } = await db.query<ShareLink>({
    text: `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
           WHERE site_id = $1::bigint AND id = $2::bigint AND kind = 'share_link'
           RETURNING ${COLUMNS}`,
    values: [siteId, id],
  });
  return rows[0];
}

/**
 * The dashboard URL of a link. `fragment` (optional) is the view to open, e.g.
 * `view=revenue&period=7d`; the `share` parameter goes first and is the only one of its name.
 */
export function shareUrl(origin: string, token: string, fragment?: string): string {
  const q = new URLSearchParams({ share: token });
  for (const [k, v] of new URLSearchParams(fragment?.replace(/^#/, '') ?? '')) if (k !== 'share') q.append(k, v);
  return `${origin}/dashboard#${q.toString()}`;
}
