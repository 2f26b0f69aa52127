import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { createToken } from './tokens.ts';

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD');
export const timeZoneSchema = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris');

export const newSiteSchema = z.object({
  name: z.string().min(1).max(200),
  domain: z.string().min(1).max(253),
  timezone: timeZoneSchema.default('UTC'),
  currency: currencySchema.default('USD'),
  allowedOrigins: z.array(z.string().url()).default([]),
  retentionMonths: z.number().int().min(1).max(1200).default(25),
  visitorIdMode: z.enum(['auto', 'cookieless']).default('auto'),
});
export type NewSite = z.input<typeof newSiteSchema>;

export interface Site {
  id: string;
  publicKey: string;
  name: string;
  domain: string;
  allowedOrigins: string[];
  timezone: string;
  currency: string;
  retentionMonths: number;
  visitorIdMode: 'auto' | 'cookieless';
}

export const SITE_COLUMNS = `id::text AS "id", public_key AS "publicKey", name, domain,
  allowed_origins AS "allowedOrigins", timezone, currency, retention_months AS "retentionMonths",
  visitor_id_mode AS "visitorIdMode"`;

export function generatePublicKey(): string {
  return `pk_${randomBytes(12).toString('base64url')}`;
}

/** Creates a site and an admin token for it; returns `{id, publicKey, token}` (contract §1). */
export async function createSite(db: pg.Pool, input: NewSite): Promise<{ id: string; publicKey: string; token: string }> {
  const site = newSiteSchema.parse(input);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string; publicKey: string }>({
      text: `INSERT INTO sites (public_key, name, domain, timezone, currency, allowed_origins, retention_months, visitor_id_mode)
             VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text[], $7::int, $8::text)
             RETURNING id::text AS "id", public_key AS "publicKey"`,
      values: [generatePublicKey(), site.name, site.domain, site.timezone, site.currency, site.allowedOrigins, site.retentionMonths, site.visitorIdMode],
    });
    const created = rows[0]!;
    const token = await createToken(client, created.id, 'admin', 'created with the site');
    await client.query('COMMIT');
    return { id: created.id, publicKey: created.publicKey, token };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function getSite(db: pg.Pool | pg.ClientBase, id: string): Promise<Site | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const { rows } = await db.query<Site>({ text: `SELECT ${SITE_COLUMNS} FROM sites WHERE id = $1::bigint`, values: [id] });
  return rows[0];
}
