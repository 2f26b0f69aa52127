import { rebuildTrafficRollups, runTrafficRollup, type RollupOutcome } from '../reports/overview/traffic-rollup.ts';
import { rebuildCommerceRollups, runCommerceRollups } from '../reports/revenue/commerce-rollups.ts';
import { rebuildErrorGroupCounts, runErrorGroupRollup, type ErrorGroupRollupOutcome } from '../reports/errors/groups-rollup.ts';
import { rebuildExposures, runExposureRollup, type ExposureRollupOutcome } from '../reports/experiment/exposure-rollup.ts';
import { rebuildRetentionRollup, runRetentionRollup, type RetentionRollupResult } from '../reports/retention/rollup.ts';
import { rebuildHeatmapRollups, runHeatmapRollup, type HeatmapRollupOutcome } from '../reports/heatmap/rollup.ts';
import { rebuildVitalsRollups, runVitalsRollup } from '../reports/vitals/rollup.ts';
import { rebuildSearchRollups, runSearchRollup, type SearchRollupOutcome } from '../reports/search/rollup.ts';
import { rebuildFunnelState, runFunnelStateJob, type FunnelStateOutcome } from '../reports/funnel/state-job.ts';
import { refreshFunnelReportCache } from '../reports/funnel/report-cache.ts';
import type { JobDefinition, JobResult } from './types.ts';

/**
 * The jobs that keep each report's rollups fresh. The work lives in the report's folder
 * (src/reports/<report>/…-rollup.ts, called with a pool like all query code); here it gets its
 * name, description and interval, so the scheduler knows it and nothing in src/reports knows the
 * scheduler.
 */
function outcome(o: RollupOutcome): JobResult {
  return { rows: o.rows, detail: { batches: o.batches, watermark: o.watermark, stepMs: o.stepMs } };
}

/** Sessions and traffic rollups (overview); runs often enough to meet FRESHNESS_SECONDS. */
export const trafficRollupJob: JobDefinition = {
  name: 'rollups',
  description: 'Fold new pageviews into sessions, hourly/daily traffic rollups and visitor sets',
  intervalSeconds: 15,
  run: async (ctx) => outcome(await runTrafficRollup(ctx.pool, { signal: ctx.signal })),
};

/** Not scheduled (interval 0): `tally jobs run rollups-rebuild`. */
export const trafficRebuildJob: JobDefinition = {
  name: 'rollups-rebuild',
  description: 'Rebuild sessions and traffic rollups from the raw pageviews (manual)',
  intervalSeconds: 0,
  run: async (ctx) => outcome(await rebuildTrafficRollups(ctx.pool, { signal: ctx.signal })),
};

/**
 * Revenue, customer and product rollups (revenue and products reports). The interval is a quarter
 * of FRESHNESS_SECONDS (like the traffic rollup) so that a write is in the reports within it even
 * after one failed, retried run.
 */
export function commerceRollupsJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'commerce-rollups',
    description: 'Incremental revenue, customer and product rollups from orders, refunds, items and raw product views/add-to-carts',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: (ctx) => runCommerceRollups(ctx),
  };
}

export const commerceRollupsRebuildJob: JobDefinition = {
  name: 'commerce-rollups-rebuild',
  description: 'Rebuilds every commerce rollup from the commerce and raw tables (manual: tally jobs run commerce-rollups-rebuild)',
  intervalSeconds: 0, // manual only (registry.ts)
  run: (ctx) => rebuildCommerceRollups(ctx),
};

function errorGroupsOutcome(o: ErrorGroupRollupOutcome): JobResult {
  return { rows: o.rows, detail: { groups: o.groups, batches: o.batches, watermark: o.watermark, skipped: o.skipped } };
}

/** Error issues (contract §4.4): new error rows into their groups, regressions, per-slot counts. */
export function errorGroupsJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'error-groups',
    description: 'Fold new JavaScript error rows into error groups (first/last seen, latest sample, regressions) and per-slot counts',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => errorGroupsOutcome(await runErrorGroupRollup(ctx.pool, { signal: ctx.signal })),
  };
}

export const errorGroupsRebuildJob: JobDefinition = {
  name: 'error-groups-rebuild',
  description: 'Recount every error group from the raw errors table; statuses are kept (manual: tally jobs run error-groups-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => errorGroupsOutcome(await rebuildErrorGroupCounts(ctx.pool, { signal: ctx.signal })),
};

function cohortOutcome(o: RetentionRollupResult): JobResult {
  return { rows: o.rows, detail: { skipped: o.skipped, ...o.detail } };
}

/**
 * Retention cohorts (contract §4.2; sql/090): visitor first-seen and UTC-day activity from new
 * pageviews, customer first paid order and slot money from changed orders and refunds. Named
 * `cohort-rollups` because `retention` is the data-retention job (jobs/retention.ts).
 */
export function cohortRollupsJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'cohort-rollups',
    description: 'Incremental retention-cohort rollups: visitor first-seen and daily activity, customer first paid order and money per slot',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => cohortOutcome(await runRetentionRollup(ctx.pool)),
  };
}

export const cohortRollupsRebuildJob: JobDefinition = {
  name: 'cohort-rollups-rebuild',
  description: 'Rebuild the retention-cohort rollups from pageviews, orders and refunds (manual: tally jobs run cohort-rollups-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => cohortOutcome(await rebuildRetentionRollup(ctx.pool)),
};

function heatmapOutcome(o: HeatmapRollupOutcome): JobResult {
  return { rows: o.rows, detail: { batches: o.batches, watermark: o.watermark, skipped: o.skipped } };
}

/** Heatmaps (contract §4.3; sql/071): new heatmap points into cell, selector and scroll rollups. */
export function heatmapRollupsJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'heatmap-rollups',
    description: 'Fold new heatmap points into per-cell, per-selector and per-visitor max-scroll rollups (quarter-hour slots and UTC days)',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => heatmapOutcome(await runHeatmapRollup(ctx.pool, { signal: ctx.signal })),
  };
}

/** Web vitals (contract §4.5; sql/073): new vitals beacons into bucket counts and exact samples. */
export function vitalsRollupsJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'vitals-rollups',
    description: 'Fold new web-vitals beacons into value-bucket counts (slots, UTC days, UTC months; site-wide and per page) and the exact samples',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => heatmapOutcome(await runVitalsRollup(ctx.pool, { signal: ctx.signal })),
  };
}

export const vitalsRollupsRebuildJob: JobDefinition = {
  name: 'vitals-rollups-rebuild',
  description: 'Rebuild the web-vitals rollups from the raw vitals (manual: tally jobs run vitals-rollups-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => heatmapOutcome(await rebuildVitalsRollups(ctx.pool, { signal: ctx.signal })),
};

export const heatmapRollupsRebuildJob: JobDefinition = {
  name: 'heatmap-rollups-rebuild',
  description: 'Rebuild the heatmap rollups from the raw heatmap_points (manual: tally jobs run heatmap-rollups-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => heatmapOutcome(await rebuildHeatmapRollups(ctx.pool, { signal: ctx.signal })),
};

function exposuresOutcome(o: ExposureRollupOutcome): JobResult {
  return { rows: o.rows, detail: { batches: o.batches, watermark: o.watermark, skipped: o.skipped, ...(o.metrics ? { metrics: o.metrics } : {}) } };
}

/**
 * Experiment exposures (contract §7; sql/062) and metric sums (sql/063): first exposure per
 * (experiment, visitor, variant) from new `$exposure` events, then the per-visitor metric sums
 * from new events, uids and changed orders, and the per-variant totals the report reads.
 */
export function experimentExposuresJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'experiment-exposures',
    description: 'Fold new $exposure events into first exposures, and new events, uids and changed orders into the per-visitor metric sums and per-variant totals the experiment report reads',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => exposuresOutcome(await runExposureRollup(ctx.pool, { signal: ctx.signal })),
  };
}

export const experimentExposuresRebuildJob: JobDefinition = {
  name: 'experiment-exposures-rebuild',
  description: 'Rebuild the experiment exposures and metric sums from the raw events, pageviews and orders (manual: tally jobs run experiment-exposures-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => exposuresOutcome(await rebuildExposures(ctx.pool, { signal: ctx.signal })),
};

function searchOutcome(o: SearchRollupOutcome): JobResult {
  return { rows: o.rows, detail: { batches: o.batches, watermark: o.watermark, skipped: o.skipped } };
}

/** Site search (contract §4.6; sql/111): new search / search_click events and search-parameter pageviews into the search rollups. */
export function searchRollupsJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'search-rollups',
    description: 'Fold new search and search_click events and search-parameter pageviews into per-query visitor and click slots (the search report reads them)',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => searchOutcome(await runSearchRollup(ctx.pool, { signal: ctx.signal })),
  };
}

export const searchRollupsRebuildJob: JobDefinition = {
  name: 'search-rollups-rebuild',
  description: 'Rebuild the search rollups from the raw events and pageviews with the current search_params (manual: tally jobs run search-rollups-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => searchOutcome(await rebuildSearchRollups(ctx.pool, { signal: ctx.signal })),
};

function funnelOutcome(o: FunnelStateOutcome): JobResult {
  return { rows: o.rows, detail: { batches: o.batches, watermark: o.watermark, skipped: o.skipped, built: o.built, visitors: o.visitors } };
}

/** Saved funnels (contract §4.1; sql/081): new raw rows and changed orders into each saved funnel's attempts. */
export function funnelStateJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'funnel-state',
    description: 'Recompute the saved funnels\' attempts of the visitors with new pageviews, events or changed orders (the saved funnel report reads them); builds new funnels',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => funnelOutcome(await runFunnelStateJob(ctx.pool, { signal: ctx.signal })),
  };
}

/** Saved funnels' preset-range reports (sql/083): recomputed from the state when it changed; reads no raw rows. */
export function funnelReportCacheJob(freshnessSeconds: number): JobDefinition {
  return {
    name: 'funnel-report-cache',
    description: 'Keep each saved funnel\'s report of the last 7, 30 and 90 days (site zone) as of its current state, for the dashboard',
    intervalSeconds: Math.max(1, Math.min(15, Math.floor(freshnessSeconds / 4))),
    run: async (ctx) => {
      const o = await refreshFunnelReportCache(ctx.pool, { signal: ctx.signal });
      return { rows: o.computed, detail: { funnels: o.funnels, computed: o.computed, current: o.current, raced: o.raced } };
    },
  };
}

export const funnelStateRebuildJob: JobDefinition = {
  name: 'funnel-state-rebuild',
  description: 'Rebuild every saved funnel\'s state from the raw rows (manual: tally jobs run funnel-state-rebuild)',
  intervalSeconds: 0,
  run: async (ctx) => funnelOutcome(await rebuildFunnelState(ctx.pool, { signal: ctx.signal })),
};
