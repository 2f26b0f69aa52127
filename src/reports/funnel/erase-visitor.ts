import type pg from 'pg';
import { FUNNEL_STATE_WATERMARK } from './state-job.ts';

/**
 * Erasing visitors from the saved funnels' state (contract §8; src/privacy runs it), under the
 * funnel-state job's lock: an attempt belongs to one unit (a visitor, or one of its sessions),
 * so the erased visitors' attempts and order links are deleted and no other unit changes. Orders
 * the erase only unlinked from them get a new updated_at, which the job re-reads.
 */
export async function eraseVisitorsFromFunnels(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<{ funnelAttempts: number }> {
  await client.query({ text: `SELECT pg_advisory_xact_lock(hashtext($1::text))`, values: [FUNNEL_STATE_WATERMARK] });
  const attempts = await client.query({ text: `DELETE FROM funnel_attempts WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`, values: [siteId, visitorIds] });
  await client.query({ text: `DELETE FROM funnel_order_links WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`, values: [siteId, visitorIds] });
  return { funnelAttempts: attempts.rowCount ?? 0 };
}
