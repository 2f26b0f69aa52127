import { getSiteSettings, parseSettingsPatch, SettingsError, SETTING_FIELDS, updateSiteSettings } from '../sites/site-settings.ts';
import { parseFlags, required, UsageError, withDatabase } from './context.ts';

export const SITE_UPDATE_USAGE = `usage: tally site update --site ID [--name N] [--domain D] [--timezone Z] [--currency C]
  [--allowed-origins https://a.example,https://b.example] [--retention-months 13]
  [--visitor-id-mode auto|cookieless] [--search-params q,s]   (an empty list clears: --search-params '')`;

/** `--search-params q,s` → ["q", "s"]; '' → [] (clears the list). */
function list(value: string): string[] {
  return value === '' ? [] : value.split(',').map((v) => v.trim());
}

/**
 * `tally site update --site ID --FIELD VALUE…` (contract §1): the same validation, transaction
 * and audit entry (`site.update`, actor null, via cli) as PATCH /api/v1/sites/{siteId}; prints
 * the site as one JSON line. Other running instances apply the change within 5 s.
 */
export async function siteUpdateCommand(args: string[]): Promise<number> {
  const flags = Object.fromEntries(SETTING_FIELDS.map((f) => [f.replaceAll('_', '-'), { type: 'string' as const }]));
  const { values, positionals } = parseFlags(args, { site: { type: 'string' }, ...flags });
  if (positionals.length) throw new UsageError(SITE_UPDATE_USAGE);
  const site = required(values.site, '--site');
  if (!/^\d{1,18}$/.test(site)) throw new UsageError('--site must be a site id (a number)');
  const body: Record<string, unknown> = {};
  for (const field of SETTING_FIELDS) {
    const raw = (values as Record<string, string | undefined>)[field.replaceAll('_', '-')];
    if (raw === undefined) continue;
    if (field === 'allowed_origins' || field === 'search_params') body[field] = list(raw);
    else if (field === 'retention_months') body[field] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    else body[field] = raw;
  }
  let patch;
  try {
    patch = parseSettingsPatch(body);
  } catch (error) {
    if (error instanceof SettingsError) throw new UsageError(`${error.message}\n${SITE_UPDATE_USAGE}`);
    throw error;
  }
  return withDatabase(async ({ pool, out, err }) => {
    if (!(await getSiteSettings(pool, site))) {
      err(`no site ${site}`);
      return 1;
    }
    try {
      const result = await updateSiteSettings(pool, site, patch, null, 'cli');
      if (!result) {
        err(`no site ${site}`);
        return 1;
      }
      out(JSON.stringify(result.site));
      return 0;
    } catch (error) {
      if (error instanceof SettingsError) throw new UsageError(error.message);
      throw error;
    }
  });
}
