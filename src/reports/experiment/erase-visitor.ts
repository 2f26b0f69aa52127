import type pg from 'pg';
import { EXPERIMENT_LOCK, regroupTotalsSql } from './metrics-rollup.ts';

/**
 * Erasing visitors from the experiment rollups (contract §8; src/privacy runs it), under the
 * experiment job's lock: their exposures and per-visitor metric rows and links are theirs alone
 * and go; the totals of the experiments they were in are then regrouped by the job's own
 * statements (regroupTotalsSql over experiment_dirty), so only those experiments are recounted.
 * `erasedOrders`: order ids deleted by the commerce part, whose links go too.
 */
export async function eraseVisitorsFromExperiments(client: pg.ClientBase, siteId: string, visitorIds: string[], erasedOrders: string[]): Promise<{ exposures: number; experimentVisitors: number }> {
  await client.query({ text: `SELECT pg_advisory_xact_lock(hashtext($1::text))`, values: [EXPERIMENT_LOCK] });
  await client.query({
    text: `INSERT INTO experiment_dirty (site_id, experiment)
           SELECT DISTINCT site_id, experiment FROM experiment_visitors WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])
           UNION SELECT DISTINCT site_id, experiment FROM experiment_exposures WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])
           ON CONFLICT DO NOTHING`,
    values: [siteId, visitorIds],
  });
  const counts: Record<string, number> = {};
  for (const table of ['experiment_exposures', 'experiment_visitors', 'experiment_visitor_metrics', 'experiment_uid_links', 'experiment_order_links']) {
    const r = await client.query({ text: `DELETE FROM ${table} WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`, values: [siteId, visitorIds] });
    counts[table] = r.rowCount ?? 0;
  }
  await client.query({ text: `DELETE FROM experiment_order_links WHERE site_id = $1::bigint AND order_id = ANY ($2::text[])`, values: [siteId, erasedOrders] });
  for (const step of regroupTotalsSql) await client.query({ text: step.text, values: step.values });
  return { exposures: counts.experiment_exposures!, experimentVisitors: counts.experiment_visitors! };
}
