import { createHash } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/pool.ts';
import { auditSql } from '../sites/audit.ts';
import { eraseVisitorsFromTraffic } from '../reports/overview/erase-visitor.ts';
import { eraseVisitorsFromProductTraffic } from '../reports/products/erase-visitor.ts';
import { eraseVisitorsFromHeatmaps } from '../reports/heatmap/erase-visitor.ts';
import { eraseVisitorsFromVitals } from '../reports/vitals/erase-visitor.ts';
import { eraseVisitorsFromErrorGroups } from '../reports/errors/erase-visitor.ts';
import { eraseVisitorsFromCohortCounts } from '../reports/retention/cohort-counts.ts';
import { RETENTION_ROLLUP_LOCK } from '../reports/retention/rollup.ts';
import { eraseVisitorsFromExperiments } from '../reports/experiment/erase-visitor.ts';
import { eraseVisitorsFromFunnels } from '../reports/funnel/erase-visitor.ts';
import { eraseVisitorsFromSearch } from '../reports/search/erase-visitor.ts';
import { eraseCommerce, visitorsOfCustomer } from './commerce.ts';
import { collectRawRows, deleteRawRows, RAW_TABLES, visitorsOfUid } from './raw-rows.ts';

/**
 * Erase a person (contract §8): `{visitor_id?, customer_id?}`, at least one. A customer id
 * brings every visitor linked to it (orders' visitor_id, the customer record's, and visitors that
 * sent it as `uid`). Two transactions, one per table group, each taking row locks only:
 *   1. commerce: customer, orders, items, refunds, with the commerce and retention-customer
 *      rollups recomputed for the affected buckets (commerce.ts);
 *   2. raw and per-visitor: the five raw tables, idempotency keys, server-side sessions, and every
 *      rollup fed by raw rows corrected for the affected buckets (traffic, product traffic, first
 *      touch, heatmaps, error groups, search clicks, experiment totals) or rid of the visitors'
 *      own rows (exposures and metric rows, funnel attempts, retention visitor cohorts), plus the audit entry — ids hashed, never stored.
 * Answers when both have committed. Tables covered are listed in coverage.ts.
 */
const id = (max: number) =>
  z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

export const eraseBodySchema = z
  .object({ visitor_id: id(64).optional(), customer_id: id(128).optional() })
  .strict()
  .refine((b) => b.visitor_id !== undefined || b.customer_id !== undefined, { message: 'visitor_id or customer_id is required', path: ['visitor_id'] });

export type EraseBody = z.infer<typeof eraseBodySchema>;

export interface EraseRequest {
  siteId: string;
  visitorId?: string;
  customerId?: string;
  /** api_tokens.id of the caller; null from the CLI. */
  actorTokenId: string | null;
  /** 'cli' is recorded in the audit detail, as the token commands do. */
  via?: 'cli';
}

export type EraseCounts = Record<string, number>;

export interface EraseHooks {
  /** Tests: called inside each group's transaction just before COMMIT. */
  beforeCommit?: (group: 'commerce' | 'raw') => Promise<void>;
  /** Milliseconds of each step (loadtest/bench-erase.ts prints them). */
  onStep?: (name: string, ms: number) => void;
}

/** The audit target: sha256 hex of "site id:id" for each id given, comma-joined (visitor first). */
export function eraseTarget(siteId: string, ids: (string | undefined)[]): string {
  return ids.filter((x): x is string => x !== undefined).map((x) => createHash('sha256').update(`${siteId}:${x}`).digest('hex')).join(',');
}

export async function erasePerson(pool: pg.Pool, req: EraseRequest, hooks: EraseHooks = {}): Promise<{ deleted: EraseCounts }> {
  const visitors = new Set<string>(req.visitorId !== undefined ? [req.visitorId] : []);
  if (req.customerId !== undefined) {
    const client = await pool.connect();
    try {
      for (const v of await visitorsOfCustomer(client, req.siteId, req.customerId)) visitors.add(v);
      for (const v of await visitorsOfUid(client, req.siteId, req.customerId)) visitors.add(v);
    } finally {
      client.release();
    }
  }
  const visitorIds = [...visitors];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await work();
    hooks.onStep?.(name, performance.now() - t);
    return out;
  };
  const commerce = await withTransaction(pool, async (client) => {
    const out = await step('commerce', () => eraseCommerce(client, req.siteId, visitorIds, req.customerId ?? null));
    await hooks.beforeCommit?.('commerce');
    return out;
  });
  const raw = await withTransaction(pool, async (client) => {
    // Hash aggregates of the traffic correction, as in the rollup job (traffic-rollup.ts).
    await client.query(`SET LOCAL work_mem = '64MB'`);
    const rows = await step('collect raw rows', () => collectRawRows(client, req.siteId, visitorIds));
    const seen = await client.query<{ n: number }>(
      `SELECT count(DISTINCT visitor_id)::int AS n FROM (${RAW_TABLES.map((t) => `SELECT visitor_id FROM ${t.temp}`).join(' UNION ALL ')}) x`,
    );
    const traffic = await step('traffic', () => eraseVisitorsFromTraffic(client, req.siteId, visitorIds));
    const products = await step('product traffic', () => eraseVisitorsFromProductTraffic(client, req.siteId, visitorIds));
    const heatmaps = await step('heatmaps', () => eraseVisitorsFromHeatmaps(client, req.siteId, visitorIds));
    await step('vitals', () => eraseVisitorsFromVitals(client));
    const errors = await step('error groups', () => eraseVisitorsFromErrorGroups(client, req.siteId, visitorIds));
    const search = await step('search', () => eraseVisitorsFromSearch(client, req.siteId, visitorIds));
    const experiments = await step('experiments', () => eraseVisitorsFromExperiments(client, req.siteId, visitorIds, commerce.erasedOrders));
    const funnels = await step('funnels', () => eraseVisitorsFromFunnels(client, req.siteId, visitorIds));
    const state = await step('visitor state', () => deleteVisitorState(client, req.siteId, visitorIds));
    const keys = await step('delete raw rows', () => deleteRawRows(client, req.siteId, visitorIds));
    const deleted: EraseCounts = {
      ...rows,
      sessions: traffic.sessions,
      visitor_sessions: keys.visitorSessions,
      idempotency_keys: keys.idempotencyKeys,
      visitor_days: traffic.visitorDays,
      visitor_first_touches: products.firstTouches,
      heatmap_scroll_rows: heatmaps.scrollRows,
      error_groups: errors.groupsDeleted,
      search_rows: search.searchRows,
      experiment_exposures: experiments.exposures,
      experiment_visitors: experiments.experimentVisitors,
      funnel_attempts: funnels.funnelAttempts,
      ...state,
      customers: commerce.customers,
      orders: commerce.orders,
      order_items: commerce.order_items,
      refunds: commerce.refunds,
      visitors: seen.rows[0]!.n,
    };
    await client.query(auditSql({
      siteId: req.siteId, actorTokenId: req.actorTokenId, action: 'person.erase',
      target: eraseTarget(req.siteId, [req.visitorId, req.customerId]), detail: req.via ? { deleted, via: req.via } : { deleted },
    }));
    await hooks.beforeCommit?.('raw');
    return deleted;
  });
  return { deleted: raw };
}

/** Rows that are one visitor's own state (no counter to correct): deleted under their job's lock. */
async function deleteVisitorState(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<EraseCounts> {
  await client.query({ text: `SELECT pg_advisory_xact_lock(hashtext($1::text))`, values: [RETENTION_ROLLUP_LOCK] });
  const out: EraseCounts = {};
  // Their visitor cohort counts (sql/091) come from their period and first-seen rows: subtracted before those go.
  out.retention_visitor_periods = await eraseVisitorsFromCohortCounts(client, siteId, visitorIds);
  for (const [name, table] of [
    ['retention_visitors', 'retention_visitor_first'],
    ['retention_visitor_days', 'retention_visitor_days'],
  ] as const) {
    const r = await client.query({ text: `DELETE FROM ${table} WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`, values: [siteId, visitorIds] });
    out[name] = r.rowCount ?? 0;
  }
  return out;
}
