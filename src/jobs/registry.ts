import type { Config } from '../config.ts';
import type { JobDefinition } from './types.ts';
import { partitionJob } from './partitions.ts';
import { cohortRollupsJob, cohortRollupsRebuildJob, commerceRollupsJob, commerceRollupsRebuildJob, errorGroupsJob, errorGroupsRebuildJob, experimentExposuresJob, experimentExposuresRebuildJob, funnelReportCacheJob, funnelStateJob, funnelStateRebuildJob, heatmapRollupsJob, heatmapRollupsRebuildJob, vitalsRollupsJob, vitalsRollupsRebuildJob, searchRollupsJob, searchRollupsRebuildJob, trafficRebuildJob, trafficRollupJob } from './report-jobs.ts';
import { retentionJob } from './retention.ts';
import { dedupCleanupJob, saltJob } from './salts.ts';

/**
 * Every scheduled job of the service, in one list. intervalSeconds 0 = manual only
 * (`tally jobs run NAME`). The traffic rollup runs at a quarter of FRESHNESS_SECONDS (≤ 15 s)
 * so a beacon shows in reports well within the freshness bound even after a retry.
 */
export function jobRegistry(config: Pick<Config, 'FRESHNESS_SECONDS'>): JobDefinition[] {
  const freshness = Math.max(1, Math.min(15, Math.floor(config.FRESHNESS_SECONDS / 4)));
  return [
    { ...trafficRollupJob, intervalSeconds: freshness },
    trafficRebuildJob,
    commerceRollupsJob(config.FRESHNESS_SECONDS),
    commerceRollupsRebuildJob,
    errorGroupsJob(config.FRESHNESS_SECONDS),
    errorGroupsRebuildJob,
    heatmapRollupsJob(config.FRESHNESS_SECONDS),
    heatmapRollupsRebuildJob,
    vitalsRollupsJob(config.FRESHNESS_SECONDS),
    vitalsRollupsRebuildJob,
    cohortRollupsJob(config.FRESHNESS_SECONDS),
    cohortRollupsRebuildJob,
    experimentExposuresJob(config.FRESHNESS_SECONDS),
    experimentExposuresRebuildJob,
    searchRollupsJob(config.FRESHNESS_SECONDS),
    searchRollupsRebuildJob,
    funnelStateJob(config.FRESHNESS_SECONDS),
    funnelReportCacheJob(config.FRESHNESS_SECONDS),
    funnelStateRebuildJob,
    partitionJob,
    retentionJob,
    saltJob,
    dedupCleanupJob,
  ];
}
