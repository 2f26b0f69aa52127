import { Hono } from 'hono';
import { requireSiteScope, siteReadScope, type AuthVariables } from '../http/auth.ts';
import type { AppDeps } from '../http/deps.ts';
import { badRequest, jsonError } from '../http/errors.ts';
import { readJsonBody } from '../http/json-body.ts';
import { getSiteSettings, parseSettingsPatch, SettingsError, updateSiteSettings } from './site-settings.ts';

/**
 * GET / PATCH /api/v1/sites/{siteId} (admin scope; another site's token → 404): the site's
 * settings (site-settings.ts). After a PATCH commits, this process's ingest site cache drops the
 * site (deps.siteChanges) so its next beacon sees the change; other instances see it within 5 s
 * (ingest/collect.ts SiteCache).
 */
export function siteRoutes(deps: AppDeps): Hono {
  const app = new Hono<{ Variables: AuthVariables }>();
  const admin = requireSiteScope(deps.pool, 'admin');
  app.get('/api/v1/sites/:siteId', siteReadScope(deps.pool, 'admin'), async (c) => {
    const site = await getSiteSettings(deps.pool, c.req.param('siteId'));
    if (!site) throw jsonError(404, 'site not found');
    return c.json(site);
  });
  app.patch('/api/v1/sites/:siteId', admin, async (c) => {
    const siteId = c.req.param('siteId');
    let result;
    try {
      result = await updateSiteSettings(deps.pool, siteId, parseSettingsPatch(await readJsonBody(c)), c.get('tokenId'));
    } catch (error) {
      if (error instanceof SettingsError) throw badRequest(error.message);
      throw error;
    }
    if (!result) throw jsonError(404, 'site not found');
    if (result.changed.length) deps.siteChanges?.publish({ siteId, publicKey: result.site.public_key });
    return c.json(result.site);
  });
  return app as unknown as Hono;
}
