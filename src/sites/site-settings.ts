import type pg from 'pg';
import { z } from 'zod';
import { currencyCode } from '../commerce/schemas.ts';
import { auditSql } from './audit.ts';
import { isValidTimeZone } from './sites.ts';

/**
 * Site settings (contract §3): what GET/PATCH /api/v1/sites/{siteId} and `tally site update`
 * read and change. The JSON is snake_case like the rest of the API and never holds a token.
 * A PATCH is all-or-nothing: every field is validated first (a 400 naming it), then the row is
 * updated and the audit entry `site.update` (each changed field's old and new value) appended in
 * one transaction.
 */

export const SETTING_FIELDS = ['name', 'domain', 'timezone', 'currency', 'allowed_origins', 'retention_months', 'visitor_id_mode', 'search_params'] as const;
export type SettingField = (typeof SETTING_FIELDS)[number];

export interface SiteSettings {
  id: string;
  public_key: string;
  name: string;
  domain: string;
  timezone: string;
  currency: string;
  allowed_origins: string[];
  retention_months: number;
  visitor_id_mode: 'auto' | 'cookieless';
  search_params: string[];
  created_at: string;
}

const noNul = (v: string) => !v.includes('\u0000');
/** A host name: dot-separated labels of letters, digits and inner hyphens (IDN as punycode). */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * An origin as browsers send it in `Origin`: http(s), a host, an optional port, nothing else
 * (one trailing `/` is tolerated). Stored in URL's serialization (lower-case host, no default
 * port), which is what the ingest compares against.
 */
export function parseOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return undefined;
  if (!/^https?:\/\/[^/?#]+\/?$/i.test(value)) return undefined; // "https://a.test/?" or "#" parse to no search
  return url.origin;
}

/**
 * The usual spelling of a zone given in another case ("europe/paris" → "Europe/Paris"); a zone
 * spelled right is kept as given (resolvedOptions() would turn Asia/Kathmandu into ICU's
 * legacy Asia/Katmandu).
 */
const ZONES = new Map([...Intl.supportedValuesOf('timeZone'), 'UTC'].map((z) => [z.toLowerCase(), z]));
function canonicalZone(zone: string): string {
  return ZONES.get(zone.toLowerCase()) ?? zone;
}

export const settingsPatchSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200).refine(noNul, 'must not contain NUL characters'),
  domain: z.string().trim().toLowerCase().regex(HOSTNAME, 'must be a host name such as shop.example (no scheme, path or port)'),
  timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris').transform(canonicalZone),
  currency: currencyCode,
  allowed_origins: z
    .array(z.string().max(300).refine((v) => parseOrigin(v) !== undefined, 'must be an origin: http(s)://host[:port], without path, query or fragment'))
    .max(50, 'at most 50 origins')
    .transform((list) => [...new Set(list.map((v) => parseOrigin(v)!))]),
  retention_months: z.number().int('must be a whole number of months').min(1, 'must be ≥ 1').max(1200, 'must be ≤ 1200'),
  visitor_id_mode: z.enum(['auto', 'cookieless']),
  search_params: z
    .array(z.string().min(1, 'must not be empty').max(100).refine(noNul, 'must not contain NUL characters'))
    .max(10, 'at most 10 parameter names')
    .transform((list) => [...new Set(list)]),
}).partial();
export type SettingsPatch = z.output<typeof settingsPatchSchema>;

export class SettingsError extends Error {}

/** Validates a PATCH body: unknown fields and bad values throw SettingsError naming them. */
export function parseSettingsPatch(body: unknown): SettingsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SettingsError('body: must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !(SETTING_FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new SettingsError(`${unknown.join(', ')}: unknown field${unknown.length > 1 ? 's' : ''} (settable: ${SETTING_FIELDS.join(', ')})`);
  if (Object.keys(body).length === 0) throw new SettingsError(`body: give at least one of ${SETTING_FIELDS.join(', ')}`);
  const parsed = settingsPatchSchema.safeParse(body);
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

const COLUMNS = `id::text AS id, public_key, name, domain, timezone, currency::text AS currency, allowed_origins, retention_months,
  visitor_id_mode, search_params, to_json(created_at) #>> '{}' AS created_at`;

export async function getSiteSettings(db: pg.Pool | pg.ClientBase, siteId: string, lock = false): Promise<SiteSettings | undefined> {
  if (!/^\d{1,18}$/.test(siteId)) return undefined;
  const { rows } = await db.query<SiteSettings>({ text: `SELECT ${COLUMNS} FROM sites WHERE id = $1::bigint${lock ? ' FOR UPDATE' : ''}`, values: [siteId] });
  return rows[0];
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies a validated patch in one transaction with its audit entry; returns the site after it
 * and the fields whose value changed (none changed → no UPDATE, no audit entry).
 * `undefined` when the site does not exist.
 */
export async function updateSiteSettings(
  pool: pg.Pool,
  siteId: string,
  patch: SettingsPatch,
  actorTokenId: string | null,
  via?: 'cli',
): Promise<{ site: SiteSettings; changed: SettingField[] } | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const before = await getSiteSettings(client, siteId, true);
    if (!before) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const changes: Partial<Record<SettingField, { old: unknown; new: unknown }>> = {};
    for (const field of SETTING_FIELDS) {
      const value = patch[field];
      if (value !== undefined && !sameValue(before[field], value)) changes[field] = { old: before[field], new: value };
    }
    const changed = Object.keys(changes) as SettingField[];
    if (changed.length === 0) {
      await client.query('COMMIT');
      return { site: before, changed };
    }
    const next = { ...before, ...patch };
    // PostgreSQL must know the zone too (reports convert with AT TIME ZONE): an unknown one
    // fails this statement, which the caller answers as a 400 on `timezone`.
    await client.query({
      text: `UPDATE sites SET name = $2::text, domain = $3::text, timezone = $4::text, currency = $5::char(3), allowed_origins = $6::text[],
               retention_months = $7::int, visitor_id_mode = $8::text, search_params = $9::text[]
             WHERE id = $1::bigint AND now() AT TIME ZONE $4::text IS NOT NULL`,
      values: [siteId, next.name, next.domain, next.timezone, next.currency, next.allowed_origins, next.retention_months, next.visitor_id_mode, next.search_params],
    });
    await client.query(auditSql({ siteId, actorTokenId, action: 'site.update', target: siteId, detail: via ? { changed: changes, via } : { changed: changes } }));
    const after = (await getSiteSettings(client, siteId))!;
    await client.query('COMMIT');
    return { site: after, changed };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((error as { code?: string }).code === '22023' && /time zone/i.test((error as Error).message)) {
      throw new SettingsError('timezone: PostgreSQL does not know this time zone');
    }
    throw error;
  } finally {
    client.release();
  }
}
