-- Distinct searchers per query over a range as a sum of day rows (issue #19 point 5), kept by the
-- `search-rollups` job (src/reports/search/searcher-days.ts) beside the slot rows of sql/111.
--
-- Why: the report counted distinct (query, visitor) pairs by grouping every slot row of the range
-- (55,696 rows for 55,401 pairs over 90 days of the 3M demo: a visitor rarely repeats a query, so
-- a (query, visitor, day) grain would not be smaller). Instead each (query, visitor) is a chain of
-- its slots, and a pair counts in [a, b) exactly once: at its first slot s ≥ a, i.e. the chain row
-- in the range whose previous chain slot is < a (or none). A chain row that is not the first of its
-- UTC day has its previous slot in the same day, so for a whole UTC day d ≥ a it never counts; the
-- day's first chain row counts iff its previous slot < a. So per UTC day we keep, for each query
-- and each previous slot, how many pairs start that day after it:
--   searchers(q, whole days [d1, d2)) = Σ visitors WHERE day ∈ [d1, d2) AND prev_slot < a.
-- The range's partial UTC days at its edges are read from the slot rows (report.ts). Rows are few:
-- one per (query, day) for first-time pairs (prev_slot = -infinity) plus one per repeat.
--
-- zero_only: the same chain over the pair's slots with a zero-result search (zero > 0), for the
-- zero-result queries' searchers.
CREATE TABLE search_searcher_days (
  site_id bigint NOT NULL,
  day timestamptz NOT NULL, -- UTC midnight
  zero_only boolean NOT NULL,
  query text NOT NULL,
  prev_slot timestamptz NOT NULL, -- the pair's previous chain slot, before `day`; -infinity: none
  visitors bigint NOT NULL,
  PRIMARY KEY (site_id, day, zero_only, query, prev_slot)
);

-- Backfill from the slot rows already folded (the job keeps it from here on).
INSERT INTO search_searcher_days (site_id, day, zero_only, query, prev_slot, visitors)
SELECT site_id, day, zero_only, query, coalesce(prev, '-infinity'), count(*)
FROM (
  SELECT site_id, query, date_bin('1 day', slot, timestamptz '1970-01-01 00:00:00+00') AS day, false AS zero_only,
         lag(slot) OVER (PARTITION BY site_id, visitor_id, query ORDER BY slot) AS prev
  FROM search_visitor_slots
  UNION ALL
  SELECT site_id, query, date_bin('1 day', slot, timestamptz '1970-01-01 00:00:00+00'), true,
         lag(slot) OVER (PARTITION BY site_id, visitor_id, query ORDER BY slot)
  FROM search_visitor_slots WHERE zero > 0
) c
WHERE prev IS NULL OR prev < day
GROUP BY 1, 2, 3, 4, 5;

-- Row-level security as sql/150 sets it for every site_id table (a fresh database runs sql/150
-- after this file and does the same; on one migrated before, the role already exists).
DO $rls$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tally_report_reader') THEN
    ALTER TABLE search_searcher_days ENABLE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS tally_site_isolation ON search_searcher_days;
    CREATE POLICY tally_site_isolation ON search_searcher_days FOR SELECT TO tally_report_reader
      USING (site_id = NULLIF(current_setting('tally.site_id', true), '')::bigint);
    GRANT SELECT ON search_searcher_days TO tally_report_reader;
  END IF;
END
$rls$;
