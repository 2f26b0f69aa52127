-- Experiment metric sums kept by the `experiment-exposures` job (issue #17 point 5;
-- src/reports/experiment/metrics-rollup.ts), so the report's default range reads one small table
-- (experiment_totals) instead of joining events and orders of every exposed visitor.
--
-- Per (experiment, visitor): the variant (NULL = exposed to two or more of the definition's
-- variants: left out, counted in multiple_exposures) and the first exposure to one of them.
CREATE TABLE experiment_visitors (
  site_id bigint NOT NULL,
  experiment text NOT NULL,
  visitor_id text NOT NULL,
  variant text,
  first_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, experiment, visitor_id)
);
-- New events are matched to the experiments their visitor is in by (site, visitor).
CREATE INDEX experiment_visitors_visitor ON experiment_visitors (site_id, visitor_id);

-- Per (experiment, visitor) and metric: n = matching events (an event metric's key) or paid
-- orders ('$order', per currency) at or after the first exposure, revenue = Σ total − Σ refunds of
-- those orders; pre_n / pre_revenue the same in the 14 days before the first exposure (the CUPED
-- covariate). Only visitors with some activity have rows.
CREATE TABLE experiment_visitor_metrics (
  site_id bigint NOT NULL,
  experiment text NOT NULL,
  visitor_id text NOT NULL,
  metric text NOT NULL,
  currency text NOT NULL,
  n bigint NOT NULL DEFAULT 0,
  revenue bigint NOT NULL DEFAULT 0,
  pre_n bigint NOT NULL DEFAULT 0,
  pre_revenue bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, experiment, visitor_id, metric, currency)
);

-- Every (visitor, uid) pair sent in pageviews or events (contract §4.1 links an order's
-- customer_id to the visitors that sent it as uid): which visitors a changed order concerns, and
-- which orders a newly exposed visitor has, without scanning the raw tables by visitor.
CREATE TABLE experiment_uid_links (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (site_id, visitor_id, user_id)
);
CREATE INDEX experiment_uid_links_user ON experiment_uid_links (site_id, user_id);

-- Which exposed visitors each order (any status) was linked to at its last count: a re-sent order
-- that changed its visitor_id or customer_id recomputes the visitors it left too.
CREATE TABLE experiment_order_links (
  site_id bigint NOT NULL,
  order_id text NOT NULL,
  visitor_id text NOT NULL,
  PRIMARY KEY (site_id, order_id, visitor_id)
);
CREATE INDEX experiment_order_links_visitor ON experiment_order_links (site_id, visitor_id);

-- The definition (variants and metrics) the kept rows of an experiment were built for. The report
-- reads the kept sums only while it equals the experiment's current definition; the job rebuilds
-- an experiment whose definition changed (a metric added after exposures, say).
CREATE TABLE experiment_metric_state (
  site_id bigint NOT NULL,
  experiment text NOT NULL,
  definition jsonb NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, experiment)
);

-- What the report reads: per experiment and variant, metric '$users' (currency '') the users
-- (variant '' = the multiple-exposure count); per metric key and currency ('' for event metrics)
-- the users with activity (conversions) and Σ, Σ² of the statistic's per-user value, Σ revenue,
-- and the covariate's Σ, Σ² and Σ value × covariate. Regrouped from the two tables above for each
-- experiment the job touched.
CREATE TABLE experiment_totals (
  site_id bigint NOT NULL,
  experiment text NOT NULL,
  metric text NOT NULL,
  currency text NOT NULL,
  variant text NOT NULL,
  users bigint NOT NULL DEFAULT 0,
  conversions bigint NOT NULL DEFAULT 0,
  sum numeric NOT NULL DEFAULT 0,
  sum_squares numeric NOT NULL DEFAULT 0,
  revenue numeric NOT NULL DEFAULT 0,
  pre_sum numeric NOT NULL DEFAULT 0,
  pre_sum_squares numeric NOT NULL DEFAULT 0,
  cross_sum numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, experiment, metric, currency, variant)
);

-- Experiments whose totals must be regrouped at the end of the run.
CREATE TABLE experiment_dirty (
  site_id bigint NOT NULL,
  experiment text NOT NULL,
  PRIMARY KEY (site_id, experiment)
);

-- The uid links of rows the exposures job has already passed (a database migrated while the job
-- ran before this file); later rows are folded by the job past its watermark.
INSERT INTO experiment_uid_links (site_id, visitor_id, user_id)
SELECT site_id, visitor_id, user_id FROM pageviews
WHERE user_id IS NOT NULL AND ingest_seq <= (SELECT seq FROM rollup_watermarks WHERE name = 'experiment-exposures')
UNION
SELECT site_id, visitor_id, user_id FROM events
WHERE user_id IS NOT NULL AND ingest_seq <= (SELECT seq FROM rollup_watermarks WHERE name = 'experiment-exposures')
ON CONFLICT DO NOTHING;

-- Changed orders and refunds by updated_at (the commerce rollups' horizon method).
INSERT INTO commerce_rollup_watermarks (name) VALUES ('experiment-metrics') ON CONFLICT (name) DO NOTHING;
