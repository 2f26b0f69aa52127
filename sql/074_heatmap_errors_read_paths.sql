-- Read paths of the heatmap and error reports (issue #18 point 5: ≤ 150 ms p95 and ≥ 10× the
-- raw rows at 10M events). No new tables, so no new RLS policy or erase coverage line.
--
-- 1. Heatmap rollups (sql/071, 072): the primary keys carry the counted column (INCLUDE), so a
--    page's cells and scroll depths are read by index-only scans. Measured on the 3M-event demo
--    copy (busiest page `/`, desktop clicks, 30 days ending 2026-12-04, America/New_York): the
--    day rows of one page (40,541 rows for 42,809 points — cells are sparse, so days barely
--    compress them) lay on 9,425 of the table's 9,466 heap pages (rows are appended batch by
--    batch, across every page), and the bitmap heap scan fetching them was most of the query;
--    the index-only scan reads 416 index pages. The counted column is then part of the index, so
--    an upsert that adds to a row is no longer a HOT update (a new index entry per changed row):
--    the job's cost, measured in docs/benchmarks.md.
ALTER TABLE heatmap_cell_slots DROP CONSTRAINT heatmap_cell_slots_pkey,
  ADD PRIMARY KEY (site_id, host, path, device, kind, slot, cx, cy) INCLUDE (points);
ALTER TABLE heatmap_cell_days DROP CONSTRAINT heatmap_cell_days_pkey,
  ADD PRIMARY KEY (site_id, host, path, device, kind, day, cx, cy) INCLUDE (points);
ALTER TABLE heatmap_cell_months DROP CONSTRAINT heatmap_cell_months_pkey,
  ADD PRIMARY KEY (site_id, host, path, device, kind, month, cx, cy) INCLUDE (points);
ALTER TABLE heatmap_scroll_slots DROP CONSTRAINT heatmap_scroll_slots_pkey,
  ADD PRIMARY KEY (site_id, host, path, device, slot, visitor_id) INCLUDE (depth);
ALTER TABLE heatmap_scroll_days DROP CONSTRAINT heatmap_scroll_days_pkey,
  ADD PRIMARY KEY (site_id, host, path, device, day, visitor_id) INCLUDE (depth);

-- 2. Error groups (sql/070): per-browser counts by an index-only scan of the range's slots.
ALTER TABLE error_group_slots DROP CONSTRAINT error_group_slots_pkey,
  ADD PRIMARY KEY (site_id, slot, group_id, browser) INCLUDE (occurrences);

-- 3. Distinct visitors and sessions of a range without a DISTINCT: each (slot, group, visitor,
--    session) row knows the slot of the row before it in its visitor's chain (rows of the same
--    group and visitor_key ordered by slot, then session_key) and in its session's chain (same
--    group and session_key, ordered by slot, then visitor_key). In a range [A, B) exactly one row
--    of each visitor present has no predecessor or one before A (the first of its chain in the
--    range; the rows after it have predecessors ≥ A), so the distinct visitors of a group are
--    count(*) FILTER (WHERE prev_visitor_slot IS NULL OR prev_visitor_slot < A) over the range's
--    rows, the same for sessions. The job (src/reports/errors/groups-rollup.ts) and erasure
--    (erase-visitor.ts) re-link every chain they touch, late rows included.
ALTER TABLE error_group_visitors ADD COLUMN prev_visitor_slot timestamptz, ADD COLUMN prev_session_slot timestamptz;
ALTER TABLE error_group_visitors DROP CONSTRAINT error_group_visitors_pkey,
  ADD PRIMARY KEY (site_id, slot, group_id, visitor_key, session_key) INCLUDE (prev_visitor_slot, prev_session_slot);
-- The chains, for re-linking the pairs a batch or an erasure touched.
CREATE INDEX error_group_visitors_visitor_chain ON error_group_visitors (site_id, group_id, visitor_key, slot);
CREATE INDEX error_group_visitors_session_chain ON error_group_visitors (site_id, group_id, session_key, slot);

UPDATE error_group_visitors t SET prev_visitor_slot = c.pv, prev_session_slot = c.ps
FROM (SELECT site_id, slot, group_id, visitor_key, session_key,
             lag(slot) OVER (PARTITION BY site_id, group_id, visitor_key ORDER BY slot, session_key) AS pv,
             lag(slot) OVER (PARTITION BY site_id, group_id, session_key ORDER BY slot, visitor_key) AS ps
      FROM error_group_visitors) c
WHERE t.site_id = c.site_id AND t.slot = c.slot AND t.group_id = c.group_id
  AND t.visitor_key = c.visitor_key AND t.session_key = c.session_key;
