import type pg from 'pg';
import { foldClicks, toSearchesAndClicks, type RawSearchEvent, type RawSearchPageview } from './rollup-fold.ts';
import { SEARCH_WATERMARK } from './rollup.ts';
import { subtractVisitorsFromSearcherDays } from './searcher-days.ts';

/**
 * Erasing visitors from the search rollups (contract §8; src/privacy runs it), under the search
 * job's lock. Their per-visitor slot rows, uid links and (session, query) states are theirs alone
 * and go; their searcher day rows (sql/113) are subtracted. search_click_slots is additive per
 * (slot, query) and a session is one visitor's, so
 * their contribution is the job's own fold (rollup-fold.ts) of their folded rows (at or below the
 * watermark) from an empty state — the click rule is order-free, so that equals what the batches
 * added — and it is subtracted from those slots only. Pageview searches use the site's current
 * search_params, as the job does. Input: temp tables `er_pv`, `er_ev` (src/privacy/raw-rows.ts).
 */
export async function eraseVisitorsFromSearch(client: pg.ClientBase, siteId: string, visitorIds: string[]): Promise<{ searchRows: number }> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('tally:search-rollups'))`);
  const wm = await client.query<{ seq: string }>({ text: `SELECT seq::text AS seq FROM rollup_watermarks WHERE name = $1::text FOR UPDATE`, values: [SEARCH_WATERMARK] });
  const folded = wm.rows[0]?.seq ?? '0';
  const events = await client.query<RawSearchEvent>({
    text: `SELECT site_id::text AS "siteId", name, visitor_id AS "visitorId", session_id AS "sessionId", occurred_at AS "occurredAt",
                  props->'q' AS "q", props->'results' AS "results", props->'position' AS "position"
           FROM er_ev WHERE ingest_seq <= $1::bigint AND name IN ('search', 'search_click')`,
    values: [folded],
  });
  const pageviews = await client.query<RawSearchPageview>({
    text: `SELECT p.site_id::text AS "siteId", p.visitor_id AS "visitorId", p.session_id AS "sessionId", p.occurred_at AS "occurredAt",
                  p.url, s.search_params AS "params"
           FROM er_pv p JOIN sites s ON s.id = p.site_id AND cardinality(s.search_params) > 0
           WHERE p.ingest_seq <= $1::bigint AND strpos(p.url, '?') > 0`,
    values: [folded],
  });
  const { searches, clicks } = toSearchesAndClicks(events.rows, pageviews.rows);
  const { clickSlots } = foldClicks(searches, clicks, new Map());
  if (clickSlots.length) {
    const d = `unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::bigint[])
               AS d(site_id, slot, query, clicked, clicks, position_sum, positions)`;
    const values = [clickSlots.map((r) => r.siteId), clickSlots.map((r) => new Date(r.slot).toISOString()), clickSlots.map((r) => r.query),
      clickSlots.map((r) => r.clicked), clickSlots.map((r) => r.clicks), clickSlots.map((r) => r.positionSum), clickSlots.map((r) => r.positions)];
    const on = `t.site_id = d.site_id AND t.slot = d.slot AND t.query = d.query`;
    await client.query({
      text: `UPDATE search_click_slots t SET clicked = t.clicked - d.clicked, clicks = t.clicks - d.clicks,
                    position_sum = t.position_sum - d.position_sum, positions = t.positions - d.positions
             FROM ${d} WHERE ${on}`,
      values,
    });
    // A rebuild writes a slot row only for a slot with a click; position_sum may carry float dust.
    await client.query({ text: `DELETE FROM search_click_slots t USING ${d} WHERE ${on} AND t.clicks = 0 AND t.clicked = 0 AND t.positions = 0`, values });
  }
  // Their searcher day rows (sql/113) come from their slot rows alone: subtracted before those go.
  await subtractVisitorsFromSearcherDays(client, siteId, visitorIds);
  let searchRows = 0;
  for (const table of ['search_visitor_slots', 'search_visitor_uids']) {
    const r = await client.query({ text: `DELETE FROM ${table} WHERE site_id = $1::bigint AND visitor_id = ANY ($2::text[])`, values: [siteId, visitorIds] });
    searchRows += r.rowCount ?? 0;
  }
  await client.query({
    text: `DELETE FROM search_session_queries WHERE site_id = $1::bigint
             AND session_id IN (SELECT session_id FROM er_ev UNION SELECT session_id FROM er_pv)`,
    values: [siteId],
  });
  return { searchRows };
}
