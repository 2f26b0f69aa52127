-- Site search rollups (contract §4.6, issue #19), kept by the job `search-rollups`
-- (src/reports/search/rollup.ts) from the raw `events` (name 'search' and 'search_click') and
-- `pageviews` (URLs carrying one of the site's `search_params`, sql/110) by ingest_seq, from the
-- watermark row 'search' in rollup_watermarks. Queries are normalized in TypeScript by the job
-- (src/reports/search/normalize.ts): the stored `query` is the normalized form.
--
-- Grain: UTC quarter-hour slots (tally_slot, sql/040). Every zone's local midnight is on a UTC
-- quarter hour, so a report's range [local midnight of from, local midnight after to) is an exact
-- set of slots in any zone. Every key begins with site_id.

-- Searches per (query, visitor, slot): searches, those with known results, those with results 0,
-- and the first and last search time in the slot. Distinct searchers over a range are
-- count(DISTINCT visitor_id) over its slots; the 7-day order attribution ("an order at T counts
-- when the visitor searched the query at some s with T − 7 days ≤ s ≤ T") is exact from
-- first_at/last_at alone because a slot (15 min) is shorter than the window (7 days): the window
-- meets a slot in nothing, all of it, a prefix (then first_at ≤ T decides) or a suffix (then
-- last_at ≥ T − 7 days decides).
CREATE TABLE search_visitor_slots (
  site_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  query text NOT NULL,
  visitor_id text NOT NULL,
  searches bigint NOT NULL,
  known bigint NOT NULL,
  zero bigint NOT NULL,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, slot, query, visitor_id)
);
-- Orders link to searchers by visitor id (the report joins a range's rows by visitor).
CREATE INDEX search_visitor_slots_visitor ON search_visitor_slots (site_id, visitor_id, slot);

-- Click numbers per (query, slot): `clicked` = searches in this slot (by the search's time)
-- followed by a search_click of the same query in the same session; `clicks`, `position_sum`,
-- `positions` = search_click events in this slot (by the click's time) and their positions.
CREATE TABLE search_click_slots (
  site_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  query text NOT NULL,
  clicked bigint NOT NULL DEFAULT 0,
  clicks bigint NOT NULL DEFAULT 0,
  position_sum double precision NOT NULL DEFAULT 0,
  positions bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, slot, query)
);

-- Per (session, query): the latest click time and the times of the searches not yet followed by
-- a click. A search at t is clicked once a click at ≥ t exists; a click arriving after its search
-- (a later batch, a late beacon) moves the pending searches at ≤ its time to `clicked`.
CREATE TABLE search_session_queries (
  site_id bigint NOT NULL,
  session_id text NOT NULL,
  query text NOT NULL,
  last_click_at timestamptz,
  pending timestamptz[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (site_id, session_id, query)
);

-- Customer ids (`uid`) each visitor sent on any pageview or event: an order whose customer_id is
-- one of them is linked to that visitor (contract §4.1's linking, which §4.6 reuses).
CREATE TABLE search_visitor_uids (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (site_id, visitor_id, user_id)
);
CREATE INDEX search_visitor_uids_user ON search_visitor_uids (site_id, user_id);

INSERT INTO rollup_watermarks (name, seq) VALUES ('search', 0) ON CONFLICT (name) DO NOTHING;
