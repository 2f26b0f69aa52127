import { ZodError } from 'zod';
import { describeZodError } from '../http/errors.ts';
import { createSite } from '../sites/sites.ts';
import { createToken, SCOPES, type Scope } from '../sites/tokens.ts';
import { parseFlags, required, UsageError, withDatabase } from './context.ts';

/** `tally site create --name N --domain D [--timezone Z] [--currency C] [--origin URL]...` */
export async function siteCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'create') throw new UsageError('usage: tally site create --name N --domain D [--timezone Z] [--currency C] [--origin URL]');
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

/** `tally token create --site ID --scope read|write|admin` */
export async function tokenCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'create') throw new UsageError('usage: tally token create --site ID --scope read|write|admin');
  const { values } = parseFlags(rest, { site: { type: 'string' }, scope: { type: 'string' }, name: { type: 'string' } });
  const site = required(values.site, '--site');
  const scope = required(values.scope, '--scope');
  if (!SCOPES.includes(scope as Scope)) throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}`);
  if (!/^\d{1,18}$/.test(site)) throw new UsageError('--site must be a site id (a number)');
  return withDatabase(async ({ pool, out, err }) => {
    const exists = await pool.query('SELECT 1 FROM sites WHERE id = $1::bigint', [site]);
    if (exists.rowCount === 0) {
      err(`no site ${site}`);
      return 1;
    }
    out(JSON.stringify({ token: await createToken(pool, site, scope as Scope, values.name ?? null) }));
    return 0;
  });
}
