import { ZodError } from 'zod';
import { describeZodError } from '../http/errors.ts';
import { createSite } from '../sites/sites.ts';
import { recordAudit } from '../sites/audit.ts';
import { expiryFrom, listTokens, revokeToken } from '../sites/token-admin.ts';
import { createTokenWithId, SCOPES, type Scope } from '../sites/tokens.ts';
import { parseFlags, required, UsageError, withDatabase } from './context.ts';
import { siteUpdateCommand, SITE_UPDATE_USAGE } from './site-update.ts';

/** `tally site create --name N --domain D [--timezone Z] [--currency C] [--origin URL]...`; `tally site update` (site-update.ts). */
export async function siteCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'update') return siteUpdateCommand(rest);
  if (action !== 'create') throw new UsageError(`usage: tally site create --name N --domain D [--timezone Z] [--currency C] [--origin URL]\n${SITE_UPDATE_USAGE}`);
  const { values } = parseFlags(rest, {
    name: { type: 'string' },
    domain: { type: 'string' },
    timezone: { type: 'string' },
    currency: { type: 'string' },
    origin: { type: 'string', multiple: true },
    'retention-months': { type: 'string' },
  });
  const input = {
    name: required(values.name, '--name'),
    domain: required(values.domain, '--domain'),
    timezone: values.timezone,
    currency: values.currency,
    allowedOrigins: values.origin ?? [],
    retentionMonths: values['retention-months'] === undefined ? undefined : Number(values['retention-months']),
  };
  return withDatabase(async ({ pool, out }) => {
    try {
      out(JSON.stringify(await createSite(pool, input)));
      return 0;
    } catch (error) {
      if (error instanceof ZodError) throw new UsageError(describeZodError(error));
      throw error;
    }
  });
}

const TOKEN_USAGE = 'usage: tally token create --site ID --scope read|write|admin [--name N] [--expires 90d] | tally token list --site ID | tally token revoke ID';

function siteIdFlag(value: string | boolean | undefined): string {
  const site = required(value, '--site');
  if (!/^\d{1,18}$/.test(site)) throw new UsageError('--site must be a site id (a number)');
  return site;
}

/**
 * `tally token create --site ID --scope read|write|admin [--name N] [--expires 90d]`,
 * `tally token list --site ID` (one JSON line per token, never its secret),
 * `tally token revoke ID` (at once on every instance: tokens are not cached).
 */
export async function tokenCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'list') {
    const { values } = parseFlags(rest, { site: { type: 'string' } });
    const site = siteIdFlag(values.site);
    return withDatabase(async ({ pool, out }) => {
      for (const t of await listTokens(pool, site)) out(JSON.stringify(t));
      return 0;
    });
  }
  if (action === 'revoke') {
    const { positionals } = parseFlags(rest, {});
    const id = positionals[0];
    if (!id || positionals.length > 1 || !/^\d{1,18}$/.test(id)) throw new UsageError(TOKEN_USAGE);
    return withDatabase(async ({ pool, out, err }) => {
      const revoked = await revokeToken(pool, id);
      if (!revoked) {
        err(`no token ${id}`);
        return 1;
      }
      await recordAudit(pool, { siteId: revoked.siteId, actorTokenId: null, action: 'token.revoke', target: id, detail: { via: 'cli' } });
      out(JSON.stringify(revoked));
      return 0;
    });
  }
  if (action !== 'create') throw new UsageError(TOKEN_USAGE);
  const { values } = parseFlags(rest, { site: { type: 'string' }, scope: { type: 'string' }, name: { type: 'string' }, expires: { type: 'string' } });
  const site = siteIdFlag(values.site);
  const scope = required(values.scope, '--scope');
  if (!SCOPES.includes(scope as Scope)) throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}`);
  const expiresAt = values.expires === undefined ? null : expiryFrom(values.expires);
  if (expiresAt === undefined) throw new UsageError('--expires must be a duration such as 90d, 12h or 30m');
  return withDatabase(async ({ pool, out, err }) => {
    const exists = await pool.query('SELECT 1 FROM sites WHERE id = $1::bigint', [site]);
    if (exists.rowCount === 0) {
      err(`no site ${site}`);
      return 1;
    }
    const created = await createTokenWithId(pool, site, scope as Scope, values.name ?? null, expiresAt);
    await recordAudit(pool, { siteId: site, actorTokenId: null, action: 'token.create', target: created.id, detail: { scope, via: 'cli' } });
    out(JSON.stringify(expiresAt ? { ...created, expiresAt: expiresAt.toISOString() } : { ...created }));
    return 0;
  });
}
