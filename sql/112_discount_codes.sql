-- Discount codes on orders and their commerce rollups (issue #19, contract §4.7).
--
-- order_discount_codes: the codes an order carries, upper-cased by the writer (compared
-- case-insensitively, reported upper-case). Re-sending an order replaces its codes, in the
-- transaction of the order upsert (src/commerce/write-orders.ts), so orders.updated_at moves
-- with them and the commerce rollup job (src/reports/revenue/rollup.ts) recomputes the order's
-- slots: a code's numbers follow a re-sent or cancelled order at the next run.
CREATE TABLE order_discount_codes (
  site_id bigint NOT NULL,
  order_id text NOT NULL,
  code text NOT NULL CHECK (code <> '' AND char_length(code) <= 64 AND code = upper(code)),
  PRIMARY KEY (site_id, order_id, code),
  FOREIGN KEY (site_id, order_id) REFERENCES orders (site_id, id) ON DELETE CASCADE
);

-- Per (site, currency, UTC quarter-hour slot, code), like commerce_revenue_slots (sql/040: every
-- zone's local day is a union of quarter-hours). Paid orders (paid, fulfilled, refunded) count
-- in the slot of their created_at under each of their codes; refunds in the slot of their own
-- created_at under their order's codes. code '' holds the orders without a code (a real code is
-- never empty), for the report's `without_code`.
-- new_customers: paid orders of the slot that are their customer's first paid order ever
-- (discount_first_orders below).
CREATE TABLE discount_code_slots (
  site_id bigint NOT NULL,
  currency char(3) NOT NULL,
  slot timestamptz NOT NULL,
  code text NOT NULL,
  orders integer NOT NULL,
  gross bigint NOT NULL,
  discount bigint NOT NULL,
  refunds bigint NOT NULL,
  new_customers integer NOT NULL,
  PRIMARY KEY (site_id, currency, slot, code)
);

-- Customers (hash of customer_id, else visitor_id, as commerce_customer_slots) with a paid order
-- carrying the code, per slot: the report counts them distinct over its range.
CREATE TABLE discount_customer_slots (
  site_id bigint NOT NULL,
  currency char(3) NOT NULL,
  slot timestamptz NOT NULL,
  code text NOT NULL,
  customer_hash bigint NOT NULL,
  PRIMARY KEY (site_id, currency, slot, code, customer_hash)
);

-- Each customer's first paid order ever (earliest created_at, ties by order id), with its slot:
-- when a customer's orders change, the slots of the old and the new first order are recomputed.
CREATE TABLE discount_first_orders (
  site_id bigint NOT NULL,
  customer_key text NOT NULL,
  order_id text NOT NULL,
  slot timestamptz NOT NULL,
  PRIMARY KEY (site_id, customer_key)
);
CREATE INDEX discount_first_orders_order ON discount_first_orders (site_id, order_id);

-- Existing installations: the new tables start empty while the revenue rollup's watermark is
-- past the existing orders. Forgetting the watermark makes the next run treat every order and
-- refund as changed and recompute every slot (each part deletes and re-inserts its slots, the
-- day tables by deltas), which fills these tables and leaves the others as they were.
DELETE FROM commerce_rollup_watermarks WHERE name = 'revenue';
