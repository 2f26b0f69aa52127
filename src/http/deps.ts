import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { SiteChanges } from '../sites/site-changes.ts';

/**
 * What the HTTP layer is given: nothing is a module-global singleton, so tests build an app on
 * their own database with `createApp({...})` and call `app.request()`.
 */
export interface AppDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  /** prom-client registry of this process (one per app, so tests do not share counters). */
  registry: Registry;
  /** Site-setting changes of this process (PATCH /api/v1/sites/:id → the ingest site cache). */
  siteChanges?: SiteChanges;
}
