-- A/B experiment definitions (contract §7). Site-scoped: the key includes site_id, like every
-- other site table. Assignment (src/experiments/assign.ts) reads seed, coverage and variants; the
-- report (src/reports/experiment/) reads metrics. Exposures are `$exposure` events
-- (props.experiment = key, props.variant = a variant key) in the events table.
CREATE TABLE experiments (
  site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (key ~ '^[A-Za-z0-9_.:-]{1,100}$'),
  name text,
  -- The hash seed (contract §7: the experiment's seed, default its key).
  seed text,
  -- [{"key": "control", "weight": 0.5}, …]: 2–10 variants, weights >= 0 summing to 1 (validated in the API).
  variants jsonb NOT NULL,
  coverage double precision NOT NULL DEFAULT 1 CHECK (coverage BETWEEN 0 AND 1),
  -- [{"key", "type": "event", "name", "props"?, "statistic"?} | {"key", "type": "order", "statistic"?}]; the first is the primary.
  metrics jsonb NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'stopped')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Set the first time the status becomes running / stopped.
  started_at timestamptz,
  stopped_at timestamptz,
  PRIMARY KEY (site_id, key)
);
