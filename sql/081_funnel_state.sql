-- Saved funnels' precomputed state (issue #15, contract §4.1), kept by the `funnel-state` job.
--
-- Why attempts and not per-unit results: a unit's depth depends on all its activity inside the
-- report's [from, to) and the range varies per request (any dates, any zone). Two facts make a
-- per-attempt state exact for every range whose ends fall on a quarter hour (every IANA zone's
-- midnight does, offsets being multiples of 15 minutes):
--   1. an attempt only looks forward from its start, so `from` only decides which attempts
--      exist (start >= from); the exception is unit=session with an order as the first step,
--      whose session comes from the latest pageview/event up to 30 minutes before it: that
--      attempt exists only when its anchor (that pageview's time) is >= from as well;
--   2. clipping activity at `to` turns an attempt's hits into the prefix of its unclipped hits
--      that are < to (each step's earliest match is the same activity, or none).
-- So the state stores, per attempt, the unclipped hit times; the report counts hits < to,
-- takes per unit the max depth and the earliest attempt reaching it (src/reports/funnel/
-- saved-report.ts). Attempts that can never be chosen are pruned: a later attempt whose start
-- is in the same quarter hour as an earlier kept one with at least its depth and every hit at
-- or before its hit (both are inside or outside any such range together, and the earlier one
-- wins every clipping).

-- funnel_attempt_walk: every non-dominated attempt of one unit starting in [lo_us, hi_us).
-- Arguments as funnel_walk (sql/080); bucket_us is the pruning bucket (a quarter hour).
CREATE FUNCTION funnel_attempt_walk(
  us bigint[], masks integer[], is_order boolean[], n_steps integer, window_us bigint, mode text,
  bucket_us bigint, lo_us bigint, hi_us bigint
) RETURNS TABLE (start_idx integer, hits integer[], hit_steps integer[])
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  n integer := coalesce(array_length(us, 1), 0);
  i integer;
  j integer;
  k integer;
  a integer;
  s integer;
  filled integer;
  m integer;
  cur_hits integer[];
  cur_steps integer[];
  bucket bigint := NULL;
  kept_t bigint[];
  kept_off integer[];
  kept_len integer[];
  dominated boolean;
  all_le boolean;
BEGIN
  FOR i IN 1 .. n LOOP
    CONTINUE WHEN us[i] < lo_us OR us[i] >= hi_us;
    IF mode = 'unordered' THEN
      m := masks[i];
      CONTINUE WHEN m = 0;
      k := 0;
      WHILE (m & (1 << k)) = 0 LOOP k := k + 1; END LOOP;
      filled := 1 << k;
      cur_hits := ARRAY[i];
      cur_steps := ARRAY[k];
      s := 1;
      FOR j IN i + 1 .. n LOOP
        EXIT WHEN s = n_steps OR us[j] - us[i] > window_us;
        m := masks[j] & ~filled;
        IF m <> 0 THEN
          k := 0;
          WHILE (m & (1 << k)) = 0 LOOP k := k + 1; END LOOP;
          filled := filled | (1 << k);
          cur_hits := cur_hits || j;
          cur_steps := cur_steps || k;
          s := s + 1;
        END IF;
      END LOOP;
    ELSE
      CONTINUE WHEN (masks[i] & 1) = 0;
      cur_hits := ARRAY[i];
      cur_steps := ARRAY[0];
      s := 1;
      FOR j IN i + 1 .. n LOOP
        EXIT WHEN s = n_steps OR us[j] - us[i] > window_us;
        IF (masks[j] & (1 << s)) <> 0 THEN
          cur_hits := cur_hits || j;
          cur_steps := cur_steps || s;
          s := s + 1;
        ELSIF mode = 'strict' AND NOT is_order[j] THEN
          EXIT;
        END IF;
      END LOOP;
    END IF;
    IF bucket IS DISTINCT FROM floor(us[i]::numeric / bucket_us)::bigint THEN
      bucket := floor(us[i]::numeric / bucket_us)::bigint;
      kept_t := ARRAY[]::bigint[];
      kept_off := ARRAY[]::integer[];
      kept_len := ARRAY[]::integer[];
    END IF;
    dominated := false;
    FOR a IN 1 .. coalesce(array_length(kept_len, 1), 0) LOOP
      CONTINUE WHEN kept_len[a] < s;
      all_le := true;
      FOR k IN 1 .. s LOOP
        IF kept_t[kept_off[a] + k - 1] > us[cur_hits[k]] THEN all_le := false; EXIT; END IF;
      END LOOP;
      IF all_le THEN dominated := true; EXIT; END IF;
    END LOOP;
    CONTINUE WHEN dominated;
    kept_off := kept_off || (coalesce(array_length(kept_t, 1), 0) + 1);
    kept_len := kept_len || s;
    FOR k IN 1 .. s LOOP kept_t := kept_t || us[cur_hits[k]]; END LOOP;
    start_idx := i;
    hits := cur_hits;
    hit_steps := cur_steps;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Per saved funnel: when its state was first built, and up to when changed orders were read.
CREATE TABLE funnel_state (
  site_id bigint NOT NULL,
  funnel_id bigint NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now(),
  orders_at timestamptz NOT NULL DEFAULT '-infinity',
  PRIMARY KEY (site_id, funnel_id),
  FOREIGN KEY (site_id, funnel_id) REFERENCES funnels (site_id, id) ON DELETE CASCADE
);

-- One row per kept attempt. session_id is '' for unit=visitor. Times in epoch microseconds
-- (exact integers: the window is inclusive). hits_us / hit_steps / order_hits are aligned
-- (time order); order_hits holds the order id where the hit is an order, else NULL. bvals are
-- the attempt's first activity's channel, device, country, browser, utm_source, utm_campaign.
CREATE TABLE funnel_attempts (
  site_id bigint NOT NULL,
  funnel_id bigint NOT NULL,
  visitor_id text NOT NULL,
  session_id text NOT NULL,
  start_us bigint NOT NULL,
  start_id text NOT NULL,
  anchor_us bigint NOT NULL,
  hits_us bigint[] NOT NULL,
  hit_steps smallint[] NOT NULL,
  order_hits text[],
  bvals text[] NOT NULL,
  FOREIGN KEY (site_id, funnel_id) REFERENCES funnels (site_id, id) ON DELETE CASCADE
);
-- The report reads a funnel's attempts by start time; the job replaces a visitor's attempts
-- in a time span.
CREATE INDEX funnel_attempts_start ON funnel_attempts (site_id, funnel_id, start_us);
CREATE INDEX funnel_attempts_visitor ON funnel_attempts (site_id, funnel_id, visitor_id, start_us);

-- The order → visitor links the state was computed with (order steps only): a re-sent order
-- that moves to another visitor or customer, or is cancelled, must also recompute the units it
-- left, which the orders table no longer tells.
CREATE TABLE funnel_order_links (
  site_id bigint NOT NULL,
  funnel_id bigint NOT NULL,
  order_id text NOT NULL,
  visitor_id text NOT NULL,
  at_us bigint NOT NULL,
  PRIMARY KEY (site_id, funnel_id, order_id, visitor_id),
  FOREIGN KEY (site_id, funnel_id) REFERENCES funnels (site_id, id) ON DELETE CASCADE
);
CREATE INDEX funnel_order_links_visitor ON funnel_order_links (site_id, funnel_id, visitor_id);

INSERT INTO rollup_watermarks (name, seq) VALUES ('funnel-state', 0) ON CONFLICT (name) DO NOTHING;
