-- Retention, cohorts and customer lifetime value (contract §4.2, issue #16).
--
-- Kept by the `retention-rollups` job (src/reports/retention/rollup.ts); the report reads only
-- these tables.
--
-- Grain, and why it is exact for any IANA zone and any period (day, week, month):
-- * Visitors: one row per (site, visitor, UTC day) with the first and last pageview instant of
--   that UTC day. A local period boundary (a local midnight) that falls inside a UTC day splits
--   that day's pageviews in two; "has a pageview in the period before it" is first_at < boundary
--   and "in the period after it" is last_at >= boundary, so the two instants decide it exactly.
--   This needs at most one boundary strictly inside any UTC day, i.e. no local period shorter
--   than a UTC day starting after a UTC midnight: a local day only has two midnights inside one
--   UTC day when it is under 24 h and its offset lies strictly between −01:00 and 00:00, which
--   no zone of the tz database uses today (Asia/Kolkata +05:30, Asia/Kathmandu +05:45 and the
--   DST zones all have one boundary per UTC day at most; every zone Node knows is checked over
--   2026–2028 by src/reports/retention/periods.test.ts, and the reports are tested against a
--   brute force in Kolkata, Paris and New York).
--   The table is ~ (visitors × active days) rows, far fewer than pageviews.
-- * Customers: money and orders per (site, customer, UTC quarter-hour slot, currency), as the
--   commerce rollups (sql/040): every zone's offset is a multiple of 15 minutes, so a local
--   midnight is a slot boundary and a slot lies wholly in one local period. Rows ≈ orders.
-- * Orders are mutable (re-sent, status changes, cancelled first orders): a changed order or
--   refund marks its customer (new and previous customer_id, kept in retention_order_state)
--   dirty, and every dirty customer is recomputed whole, so the first paid order moves to the
--   next paid order when the first is cancelled.

CREATE TABLE retention_visitor_first (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  -- tie-break between pageviews of the same instant, so an incremental run equals a rebuild
  first_event_id uuid NOT NULL,
  channel text NOT NULL,
  country text NOT NULL,
  device text NOT NULL,
  PRIMARY KEY (site_id, visitor_id)
);
CREATE INDEX retention_visitor_first_seen ON retention_visitor_first (site_id, first_seen_at);

CREATE TABLE retention_visitor_days (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  day date NOT NULL,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, visitor_id, day)
);

CREATE TABLE retention_customer_first (
  site_id bigint NOT NULL,
  customer_id text NOT NULL,
  first_paid_at timestamptz NOT NULL,
  -- the second paid order's time (repeat-purchase rate, days to second order); NULL if none
  second_paid_at timestamptz,
  -- the first paid order's visitor's first touch, seen at or before the order (as revenue's
  -- by-channel attribution); 'unknown' without one
  channel text NOT NULL,
  country text NOT NULL,
  device text NOT NULL,
  PRIMARY KEY (site_id, customer_id)
);
CREATE INDEX retention_customer_first_paid ON retention_customer_first (site_id, first_paid_at);

CREATE TABLE retention_customer_slots (
  site_id bigint NOT NULL,
  customer_id text NOT NULL,
  slot timestamptz NOT NULL,
  currency char(3) NOT NULL,
  orders integer NOT NULL,      -- paid orders created in the slot
  gross bigint NOT NULL,        -- Σ total of those orders
  refunds bigint NOT NULL,      -- Σ refunds on the customer's orders dated in the slot
  PRIMARY KEY (site_id, customer_id, slot, currency)
);

-- The customer an order belonged to at the last run (a re-sent order may change customer_id).
CREATE TABLE retention_order_state (
  site_id bigint NOT NULL,
  order_id text NOT NULL,
  customer_id text,
  PRIMARY KEY (site_id, order_id)
);

CREATE TABLE retention_watermarks (
  name text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  changed_since timestamptz NOT NULL DEFAULT '-infinity',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS retention_orders_site_visitor ON orders (site_id, visitor_id);
