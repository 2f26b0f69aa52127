import type pg from 'pg';
import { runWatermarkRollup, type WatermarkRollupOptions, type WatermarkRollupOutcome } from '../common/watermark-rollup.ts';
import { withSearcherDays } from './searcher-days.ts';
import { foldClicks, sessionKey, toSearchesAndClicks, visitorSlotRows, type RawSearchEvent, type RawSearchPageview, type SessionState } from './rollup-fold.ts';

/**
 * The `search-rollups` job (contract §4.6, sql/111): new `search` / `search_click` events and
 * pageviews whose URL carries one of the site's `search_params` are read by ingest_seq past the
 * 'search' watermark (common/watermark-rollup.ts: bounded batches, each one transaction that
 * also moves the watermark, so a killed run redoes its batch and nothing counts twice).
 *
 * Why the job and not ingestion reads `search_params`: pageviews keep the full URL as sent
 * (`pageviews.url`), so the query parameter is there to read here, and the ingest hot path and
 * its site cache stay as they are. The setting applies to pageviews folded after it changes;
 * `tally jobs run search-rollups-rebuild` re-reads history with the current setting.
 *
 * Queries are normalized in TypeScript (normalize.ts; one definition, unit-tested), so the batch's
 * search rows are read into the job and written back set-based (unnest). The rows read are only
 * the two event names (and pageviews with a `?` of sites that set search_params), a small part
 * of a batch. Late beacons are handled by construction: every fold adds counts, takes least /
 * greatest times, and a click updates the searches of its session whenever it arrives. Orders are
 * not rolled up: the report links them at read time (orders are upserted, so a late or re-sent
 * order counts at once), from the uids folded here into search_visitor_uids.
 */
export const SEARCH_WATERMARK = 'search';
const LOCK = 'tally:search-rollups';
/** Sequence numbers per batch: a batch's search rows are held in memory (≈ 5 % of events in the demo). */
const MAX_ROWS = 1_000_000;

export type SearchRollupOptions = WatermarkRollupOptions;
export type SearchRollupOutcome = WatermarkRollupOutcome;

const uidsSql = (lo: number, hi: number) => ({
  text: `INSERT INTO search_visitor_uids (site_id, visitor_id, user_id)
         SELECT site_id, visitor_id, user_id FROM pageviews WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND user_id IS NOT NULL
         UNION
         SELECT site_id, visitor_id, user_id FROM events WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND user_id IS NOT NULL
         ON CONFLICT DO NOTHING`,
  values: [lo, hi],
});

async function readBatch(client: pg.PoolClient, lo: number, hi: number) {
  const events = await client.query<RawSearchEvent>({
    text: `SELECT site_id::text AS "siteId", name, visitor_id AS "visitorId", session_id AS "sessionId", occurred_at AS "occurredAt",
                  props->'q' AS "q", props->'results' AS "results", props->'position' AS "position"
           FROM events WHERE ingest_seq > $1::bigint AND ingest_seq <= $2::bigint AND name IN ('search', 'search_click')`,
    values: [lo, hi],
  });
  const pageviews = await client.query<RawSearchPageview>({
    text: `SELECT p.site_id::text AS "siteId", p.visitor_id AS "visitorId", p.session_id AS "sessionId", p.occurred_at AS "occurredAt",
                  p.url, s.search_params AS "params"
           FROM pageviews p JOIN sites s ON s.id = p.site_id AND cardinality(s.search_params) > 0
           WHERE p.ingest_seq > $1::bigint AND p.ingest_seq <= $2::bigint AND strpos(p.url, '?') > 0`,
    values: [lo, hi],
  });
  return { events: events.rows, pageviews: pageviews.rows };
}

const iso = (ms: number) => new Date(ms).toISOString();
const pgArray = (times: number[]) => `{${times.map(iso).join(',')}}`;

async function loadStates(client: pg.PoolClient, keys: { siteId: string; sessionId: string; query: string }[]): Promise<Map<string, SessionState>> {
  const out = new Map<string, SessionState>();
  if (keys.length === 0) return out;
  const { rows } = await client.query<{ siteId: string; sessionId: string; query: string; lastClickAt: Date | null; pending: Date[] }>({
    text: `SELECT s.site_id::text AS "siteId", s.session_id AS "sessionId", s.query, s.last_click_at AS "lastClickAt", s.pending
           FROM search_session_queries s
           JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS k(site_id, session_id, query)
             ON s.site_id = k.site_id AND s.session_id = k.session_id AND s.query = k.query`,
    values: [keys.map((k) => k.siteId), keys.map((k) => k.sessionId), keys.map((k) => k.query)],
  });
  for (const r of rows) {
    out.set(sessionKey(r.siteId, r.sessionId, r.query), { ...r, lastClickAt: r.lastClickAt?.getTime() ?? null, pending: r.pending.map((d) => d.getTime()) });
  }
  return out;
}

/** One batch (lo, hi] inside the batch's transaction; answers the search and click rows folded. */
async function foldBatch(client: pg.PoolClient, lo: number, hi: number): Promise<number> {
  await client.query(uidsSql(lo, hi));
  const raw = await readBatch(client, lo, hi);
  const { searches, clicks } = toSearchesAndClicks(raw.events, raw.pageviews);
  if (searches.length === 0 && clicks.length === 0) return 0;

  const visitors = visitorSlotRows(searches);
  if (visitors.length) {
    // The pairs' searcher day rows (sql/113) are recomputed around the upsert (searcher-days.ts).
    await withSearcherDays(client, visitors, async () => {
      await client.query({
        text: `INSERT INTO search_visitor_slots AS t (site_id, slot, query, visitor_id, searches, known, zero, first_at, last_at)
               SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::timestamptz[], $9::timestamptz[])
               ON CONFLICT (site_id, slot, query, visitor_id) DO UPDATE SET
                 searches = t.searches + EXCLUDED.searches, known = t.known + EXCLUDED.known, zero = t.zero + EXCLUDED.zero,
                 first_at = least(t.first_at, EXCLUDED.first_at), last_at = greatest(t.last_at, EXCLUDED.last_at)`,
        values: [
          visitors.map((r) => r.siteId), visitors.map((r) => iso(r.slot)), visitors.map((r) => r.query), visitors.map((r) => r.visitorId),
          visitors.map((r) => r.searches), visitors.map((r) => r.known), visitors.map((r) => r.zero), visitors.map((r) => iso(r.firstAt)), visitors.map((r) => iso(r.lastAt)),
        ],
      });
    });
  }

  const keys = new Map<string, { siteId: string; sessionId: string; query: string }>();
  for (const x of [...searches, ...clicks]) keys.set(sessionKey(x.siteId, x.sessionId, x.query), { siteId: x.siteId, sessionId: x.sessionId, query: x.query });
  const { states, clickSlots } = foldClicks(searches, clicks, await loadStates(client, [...keys.values()]));
  await client.query({
    text: `INSERT INTO search_session_queries AS t (site_id, session_id, query, last_click_at, pending)
           SELECT site_id, session_id, query, last_click_at, pending::timestamptz[]
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS k(site_id, session_id, query, last_click_at, pending)
           ON CONFLICT (site_id, session_id, query) DO UPDATE SET last_click_at = EXCLUDED.last_click_at, pending = EXCLUDED.pending`,
    values: [
      states.map((s) => s.siteId), states.map((s) => s.sessionId), states.map((s) => s.query),
      states.map((s) => (s.lastClickAt === null ? null : iso(s.lastClickAt))), states.map((s) => pgArray(s.pending)),
    ],
  });
  if (clickSlots.length) {
    await client.query({
      text: `INSERT INTO search_click_slots AS t (site_id, slot, query, clicked, clicks, position_sum, positions)
             SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::bigint[])
             ON CONFLICT (site_id, slot, query) DO UPDATE SET
               clicked = t.clicked + EXCLUDED.clicked, clicks = t.clicks + EXCLUDED.clicks,
               position_sum = t.position_sum + EXCLUDED.position_sum, positions = t.positions + EXCLUDED.positions`,
      values: [
        clickSlots.map((r) => r.siteId), clickSlots.map((r) => iso(r.slot)), clickSlots.map((r) => r.query), clickSlots.map((r) => r.clicked),
        clickSlots.map((r) => r.clicks), clickSlots.map((r) => r.positionSum), clickSlots.map((r) => r.positions),
      ],
    });
  }
  return searches.length + clicks.length;
}

/** Folds every committed search, click and search-parameter pageview past the watermark. */
export function runSearchRollup(pool: pg.Pool, options: SearchRollupOptions = {}): Promise<SearchRollupOutcome> {
  return runWatermarkRollup(pool, { watermark: SEARCH_WATERMARK, lock: LOCK, tables: ['pageviews', 'events'], fold: foldBatch }, { maxRows: MAX_ROWS, ...options });
}

/** Empties the search rollups and replays the raw rows (`tally jobs run search-rollups-rebuild`). */
export async function rebuildSearchRollups(pool: pg.Pool, options: SearchRollupOptions = {}): Promise<SearchRollupOutcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query({ text: `SELECT pg_advisory_xact_lock(hashtext($1::text))`, values: [LOCK] });
    await client.query(`TRUNCATE search_visitor_slots, search_searcher_days, search_click_slots, search_session_queries, search_visitor_uids`);
    await client.query({ text: `UPDATE rollup_watermarks SET seq = 0, updated_at = now() WHERE name = $1::text`, values: [SEARCH_WATERMARK] });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return runSearchRollup(pool, options);
}
