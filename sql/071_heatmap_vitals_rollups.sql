-- Heatmap rollups (contract §4.3, issue 18): kept by the job `heatmap-rollups`
-- (src/reports/heatmap/rollup.ts) from the raw heatmap_points by ingest_seq, from the watermark
-- row 'heatmap' in rollup_watermarks. Raw rows are append-only, so each batch only increments.
--
-- Grain. A report's range is [local midnight of from, local midnight after to) in any IANA zone,
-- and every zone's midnight is on a UTC quarter hour, so counts are kept per UTC quarter-hour
-- slot (tally_slot) and, as sql/040 does for products, also per UTC day: a 30-day heatmap reads
-- ≤ 30 day rows per cell plus ≤ 2 × 96 edge slots instead of 2,880 slots per cell, exactly
-- (common/split-range.ts). Web vitals read their raw rows (src/reports/vitals/report.ts says why).
--
-- host is lower-cased (hosts compare case-insensitively), path as stored (query and fragment
-- were dropped at ingest), device as ingestion stored it. Every key begins with site_id.

-- Points per 16 px document cell (cx, cy: the cell's top-left corner); kind click|rage|dead.
CREATE TABLE heatmap_cell_slots (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL, kind text NOT NULL,
  slot timestamptz NOT NULL, cx integer NOT NULL, cy integer NOT NULL, points bigint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, kind, slot, cx, cy)
);
CREATE TABLE heatmap_cell_days (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL, kind text NOT NULL,
  day date NOT NULL, cx integer NOT NULL, cy integer NOT NULL, points bigint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, kind, day, cx, cy)
);

-- Points per element selector (the tracker's `sel`; '' when none), every kind including
-- 'scroll': the selector list and the page list (GET …/reports/heatmap/pages) read these.
CREATE TABLE heatmap_selector_slots (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL, kind text NOT NULL,
  slot timestamptz NOT NULL, selector text NOT NULL, points bigint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, kind, slot, selector)
);
CREATE TABLE heatmap_selector_days (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL, kind text NOT NULL,
  day date NOT NULL, selector text NOT NULL, points bigint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, kind, day, selector)
);
-- The pages list reads every page of a site for a range: by (site, day) first.
CREATE INDEX heatmap_selector_days_site_day ON heatmap_selector_days (site_id, day);
CREATE INDEX heatmap_selector_slots_site_slot ON heatmap_selector_slots (site_id, slot);

-- Max scroll depth (0–100) per visitor of a page and device per slot / UTC day; a visitor's
-- depth over a range is the max over its slots and days.
CREATE TABLE heatmap_scroll_slots (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL,
  slot timestamptz NOT NULL, visitor_id text NOT NULL, depth smallint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, slot, visitor_id)
);
CREATE TABLE heatmap_scroll_days (
  site_id bigint NOT NULL, host text NOT NULL, path text NOT NULL, device text NOT NULL,
  day date NOT NULL, visitor_id text NOT NULL, depth smallint NOT NULL,
  PRIMARY KEY (site_id, host, path, device, day, visitor_id)
);

INSERT INTO rollup_watermarks (name, seq) VALUES ('heatmap', 0) ON CONFLICT (name) DO NOTHING;
