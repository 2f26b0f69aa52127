/**
 * How Tally's schema spreads over Citus (docs/scaling.md), checked against the migrated schema by
 * src/db/citus-plan.test.ts so that a new table cannot quietly break it:
 *
 * - every table with site data is **distributed by `site_id`**, all co-located: its primary key and
 *   every unique index start with or include `site_id`, and its foreign keys to other distributed
 *   tables carry `site_id` — so every report, rollup and write of one site runs on one worker;
 * - a few small tables every worker reads are **reference tables** (copied to every node);
 * - the service's own bookkeeping stays **local to the coordinator** (jobs run there).
 */
export const DISTRIBUTION_COLUMN = 'site_id';

/** Small, read by every site's queries, written rarely: a copy on every node. */
export const REFERENCE_TABLES = ['sites', 'visitor_salts'] as const;

/** Coordinator-only: migrations, the scheduler's state and the rollups' watermarks. */
export const LOCAL_TABLES = [
  'tally_migrations', 'job_state', 'job_runs',
  'rollup_watermarks', 'commerce_rollup_watermarks', 'retention_watermarks',
] as const;

/** Patterns for helper tables a migration may add as local bookkeeping: `*_watermarks`. */
export function isLocalTable(name: string): boolean {
  return (LOCAL_TABLES as readonly string[]).includes(name) || name.endsWith('_watermarks');
}
