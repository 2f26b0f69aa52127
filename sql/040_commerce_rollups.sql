-- Commerce rollups behind the revenue and products reports (issue 4 item 3).
--
-- Grain. Reports accept any IANA zone, so no day table in one zone can answer another exactly.
-- Every rollup is kept per UTC quarter-hour `slot` (date_bin 15 minutes): every zone in use
-- today is offset from UTC by a multiple of 15 minutes (Asia/Kathmandu +05:45 included), so a
-- local day, week or month is an exact union of slots, DST days (23/25 h) too. The revenue
-- slots are small (one row per site, currency, slot and channel with a paid order or refund:
-- ≤ 8,640 slots per currency and channel in 90 days), so a 90-day report sums them directly.
-- Product tables have one row per product per slot, too many to sum over 90 days in the
-- 100 ms budget, so they also have a UTC-day copy: a range [start, end) reads whole UTC days
-- from the day table and only the two partial days at its edges from the slot table.
--
-- Refresh (src/jobs/commerce-rollups.ts): commerce rows are mutable (re-sent orders replace the
-- old version, statuses change, refunds arrive later and may be re-sent), so the job recomputes
-- whole (site, slot) buckets from the commerce tables: the slots of the new version of every
-- order/refund changed since the watermark (orders.updated_at / refunds.updated_at, set to now()
-- by every upsert) and the slots of their old version, remembered in the *_state tables.

-- The watermark queries: updated_at is written by every upsert of src/commerce.
CREATE INDEX orders_updated_at ON orders (updated_at);
CREATE INDEX refunds_updated_at ON refunds (updated_at);
-- New-vs-returning keys fall back to visitor_id; by-channel attribution joins on it too.
CREATE INDEX orders_site_visitor ON orders (site_id, visitor_id);

CREATE TABLE commerce_rollup_watermarks (
  name text PRIMARY KEY,
  -- Rows with updated_at >= this were not all visible at the last run: re-read them next time.
  changed_since timestamptz NOT NULL DEFAULT '-infinity',
  -- For the traffic part (product views, add-to-carts, first touch): see commerce-traffic.ts.
  seq bigint NOT NULL DEFAULT 0,
  detail jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- What each order / refund contributed at its last rollup: the slot of the old version of a
-- changed row is recomputed too (a re-sent order may move to another day, a refund may move).
CREATE TABLE commerce_order_state (
  site_id bigint NOT NULL,
  order_id text NOT NULL,
  slot timestamptz NOT NULL,
  customer_key text,
  PRIMARY KEY (site_id, order_id)
);
CREATE TABLE commerce_refund_state (
  site_id bigint NOT NULL,
  refund_id text NOT NULL,
  slot timestamptz NOT NULL,
  PRIMARY KEY (site_id, refund_id)
);

-- Revenue per site, currency, quarter-hour and first-touch channel of the buyer.
-- Orders (paid, fulfilled or refunded) count in the slot of their created_at; refunds in the
-- slot of their own created_at (with the channel of their order).
CREATE TABLE commerce_revenue_slots (
  site_id bigint NOT NULL,
  currency char(3) NOT NULL,
  slot timestamptz NOT NULL,
  channel text NOT NULL,
  orders integer NOT NULL,
  gross bigint NOT NULL,
  discounts bigint NOT NULL,
  tax bigint NOT NULL,
  shipping bigint NOT NULL,
  refunds bigint NOT NULL,
  refund_count integer NOT NULL,
  PRIMARY KEY (site_id, currency, slot, channel)
);

-- Customers with a paid order per slot, for exact distinct counts over any range. The key is a
-- 64-bit hash of 'c:' || customer_id (or 'v:' || visitor_id for guest orders): hashing keeps
-- the index-only scan and the hash aggregate small (collision odds ~ n²/2⁶⁵: 1e-9 at 200k).
CREATE TABLE commerce_customer_slots (
  site_id bigint NOT NULL,
  currency char(3) NOT NULL,
  slot timestamptz NOT NULL,
  customer_hash bigint NOT NULL,
  PRIMARY KEY (site_id, currency, slot, customer_hash)
);

-- Each customer's first paid order (earliest created_at, ties by order id): a customer is new
-- in the range holding it, in the currency of that order.
CREATE TABLE commerce_customer_first (
  site_id bigint NOT NULL,
  customer_key text NOT NULL,
  first_paid_at timestamptz NOT NULL,
  currency char(3) NOT NULL,
  PRIMARY KEY (site_id, customer_key)
);
CREATE INDEX commerce_customer_first_time ON commerce_customer_first (site_id, currency, first_paid_at);

-- Item sales of paid orders per product and currency: purchases = orders containing the
-- product, units = Σ quantity, revenue = Σ quantity × unit_price (before order-level discount,
-- tax and shipping).
CREATE TABLE commerce_product_sales_slots (
  site_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  product_id text NOT NULL,
  currency char(3) NOT NULL,
  purchases integer NOT NULL,
  units bigint NOT NULL,
  revenue bigint NOT NULL,
  PRIMARY KEY (site_id, slot, product_id, currency)
);
CREATE TABLE commerce_product_sales_days (
  site_id bigint NOT NULL,
  day date NOT NULL, -- UTC day
  product_id text NOT NULL,
  currency char(3) NOT NULL,
  purchases integer NOT NULL,
  units bigint NOT NULL,
  revenue bigint NOT NULL,
  PRIMARY KEY (site_id, day, product_id, currency)
);

-- Product views and add-to-carts from the raw tables (pageviews of /products/<id>, events
-- `product_view` / `add_to_cart` with props.product_id), counted incrementally.
CREATE TABLE commerce_product_traffic_slots (
  site_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  product_id text NOT NULL,
  views bigint NOT NULL DEFAULT 0,
  add_to_carts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, slot, product_id)
);
CREATE TABLE commerce_product_traffic_days (
  site_id bigint NOT NULL,
  day date NOT NULL,
  product_id text NOT NULL,
  views bigint NOT NULL DEFAULT 0,
  add_to_carts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, day, product_id)
);

-- First-touch channel of each visitor (channel of their earliest pageview), for by-channel
-- revenue. Kept by the traffic part; an earlier late pageview replaces the row.
CREATE TABLE commerce_visitor_first_touch (
  site_id bigint NOT NULL,
  visitor_id text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  channel text NOT NULL,
  PRIMARY KEY (site_id, visitor_id)
);

-- Slots whose revenue must be recomputed for reasons other than a commerce write (a visitor's
-- first touch changed after their order was rolled up). Filled by the traffic part, drained by
-- the commerce part in the same job run.
CREATE TABLE commerce_dirty_slots (
  site_id bigint NOT NULL,
  slot timestamptz NOT NULL,
  PRIMARY KEY (site_id, slot)
);

-- The quarter-hour holding an instant (UTC-aligned; date_bin on timestamptz is plain arithmetic).
CREATE FUNCTION tally_slot(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT date_bin('15 minutes', at, timestamptz '2000-01-01 00:00:00+00') $$;
