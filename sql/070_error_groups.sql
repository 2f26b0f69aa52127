-- JavaScript error issues (contract §4.4). Occurrences stay in the raw `errors` table (their
-- `fingerprint` is computed once at ingest: src/reports/errors/fingerprint.ts); the job
-- `error-groups` (src/reports/errors/groups-rollup.ts) folds new rows, by ingest_seq from the
-- watermark row 'error-groups' in rollup_watermarks, into one group per (site, fingerprint) and
-- per-quarter-hour counts per browser. Every key includes site_id.
CREATE TABLE error_groups (
  site_id bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  fingerprint text NOT NULL,
  kind text,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'ignored')),
  -- A resolved group that got an occurrence whose ts is later than resolved_at: open again.
  regressed boolean NOT NULL DEFAULT false,
  resolved_at timestamptz,
  -- Ever (not per range).
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  -- The latest occurrence's (by occurred_at, then ingest_seq): message, its first frame's file
  -- and line (else the beacon's), its stack.
  message text NOT NULL,
  file text,
  line integer,
  stack text,
  latest_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, id),
  UNIQUE (site_id, fingerprint)
);
CREATE INDEX error_groups_site_status ON error_groups (site_id, status);

-- Occurrences per group, UTC quarter-hour slot (tally_slot) and browser: every IANA zone's
-- midnight falls on a quarter hour, so any local-date range is a whole number of slots.
CREATE TABLE error_group_slots (
  site_id bigint NOT NULL,
  group_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  browser text NOT NULL,
  occurrences bigint NOT NULL,
  PRIMARY KEY (site_id, slot, group_id, browser),
  FOREIGN KEY (site_id, group_id) REFERENCES error_groups (site_id, id) ON DELETE CASCADE
);

-- Who had them: one row per (slot, group, visitor, session) with an occurrence, so distinct
-- visitors and sessions of any range are count(DISTINCT …) over narrow rows (an index-only scan)
-- rather than over the wide raw rows (text ids, a bitmap heap scan). Keys are 64-bit hashes
-- (hashtextextended), as the traffic rollups' visitor_key (sql/030).
CREATE TABLE error_group_visitors (
  site_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  group_id bigint NOT NULL,
  visitor_key bigint NOT NULL,
  session_key bigint NOT NULL,
  PRIMARY KEY (site_id, slot, group_id, visitor_key, session_key),
  FOREIGN KEY (site_id, group_id) REFERENCES error_groups (site_id, id) ON DELETE CASCADE
);

INSERT INTO rollup_watermarks (name, seq) VALUES ('error-groups', 0) ON CONFLICT (name) DO NOTHING;
