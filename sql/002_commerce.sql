-- Commerce tables pushed by store back ends (contract §3). Money is bigint minor units with an
-- ISO 4217 code. Keys are the store's own ids, scoped by site_id (co-located by site in Citus).
-- CHECK constraints hold what must never be stored whatever path writes the row (API, import,
-- demo): negative amounts, quantity < 1, a total that does not add up, over-refunding.

CREATE TABLE customers (
  site_id bigint NOT NULL,
  id text NOT NULL,
  email text,
  visitor_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, id)
);

CREATE TABLE products (
  site_id bigint NOT NULL,
  id text NOT NULL,
  sku text,
  name text NOT NULL,
  category text,
  price bigint NOT NULL CHECK (price >= 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, id)
);

CREATE TABLE orders (
  site_id bigint NOT NULL,
  id text NOT NULL,
  customer_id text,
  visitor_id text,
  status text NOT NULL CHECK (status IN ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded')),
  -- Optional finer payment state from the store (Shopify's financial_status, WooCommerce's
  -- payment status); reports count an order as paid by `status`.
  payment_status text CHECK (payment_status IN ('pending', 'authorized', 'paid', 'partially_refunded', 'refunded', 'voided', 'failed')),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal bigint NOT NULL CHECK (subtotal >= 0),
  discount bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
  tax bigint NOT NULL DEFAULT 0 CHECK (tax >= 0),
  shipping bigint NOT NULL DEFAULT 0 CHECK (shipping >= 0),
  total bigint NOT NULL CHECK (total >= 0),
  -- Sum of this order's refunds, kept by the refund upsert in the same statement.
  refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_total_adds_up CHECK (total = subtotal - discount + tax + shipping),
  CONSTRAINT orders_refund_within_total CHECK (refunded <= total),
  PRIMARY KEY (site_id, id)
);
CREATE INDEX orders_site_created ON orders (site_id, created_at);
CREATE INDEX orders_site_customer ON orders (site_id, customer_id);

-- Items snapshot the product as sold (name, sku, category, price), so later catalogue edits do
-- not rewrite history. Re-sending an order replaces all its items.
CREATE TABLE order_items (
  site_id bigint NOT NULL,
  order_id text NOT NULL,
  line integer NOT NULL,
  product_id text NOT NULL,
  sku text,
  name text NOT NULL,
  category text,
  quantity integer NOT NULL CHECK (quantity >= 1),
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  PRIMARY KEY (site_id, order_id, line),
  -- Keys include site_id, so Citus can keep this FK between co-located tables.
  FOREIGN KEY (site_id, order_id) REFERENCES orders (site_id, id) ON DELETE CASCADE
);
CREATE INDEX order_items_site_product ON order_items (site_id, product_id);

CREATE TABLE refunds (
  site_id bigint NOT NULL,
  id text NOT NULL,
  order_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, id),
  FOREIGN KEY (site_id, order_id) REFERENCES orders (site_id, id) ON DELETE CASCADE
);
CREATE INDEX refunds_site_created ON refunds (site_id, created_at);
CREATE INDEX refunds_site_order ON refunds (site_id, order_id);
