-- Experiment exposures kept by the `experiment-exposures` job (src/reports/experiment/exposure-rollup.ts):
-- one row per (site, experiment, visitor, variant) with the first time that visitor was exposed to
-- that variant, folded incrementally from `$exposure` events by ingest_seq (watermark row
-- 'experiment-exposures'). The report groups these rows per visitor: one variant → the visitor
-- is in it from that time; two or more of the experiment's variants → left out and counted in
-- multiple_exposures. Keeping the variant in the key (rather than a per-visitor "multiple" flag)
-- lets the report ignore exposures to variant keys the definition lacks, and bound them by `to`.
CREATE TABLE experiment_exposures (
  site_id bigint NOT NULL,
  experiment text NOT NULL,
  visitor_id text NOT NULL,
  variant text NOT NULL,
  first_exposed_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, experiment, visitor_id, variant)
);

INSERT INTO rollup_watermarks (name, seq) VALUES ('experiment-exposures', 0) ON CONFLICT (name) DO NOTHING;
